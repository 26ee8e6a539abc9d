"""Domain errors that services raise and the API turns into the shared error shape.

Services raise django.core.exceptions.ValidationError for bad input (400 with field errors)
and ConflictError when the request is fine but the current state forbids it (409).
"""

from __future__ import annotations


class ConflictError(Exception):
    """The request is valid but conflicts with the current state (a closed ticket, a stale
    version, an object still in use)."""

    def __init__(self, message: str, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code


class UndeliverableError(Exception):
    """A message that nothing can carry to its recipient (no channel, no reachable identity):
    refused before anything is written (422 `undeliverable` at the API)."""

    def __init__(self, message: str, code: str = "undeliverable"):
        super().__init__(message)
        self.message = message
        self.code = code
