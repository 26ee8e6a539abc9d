"""`UNSET`: the one way a service says "this argument was not given".

Update services take every field as an optional keyword; a field left `UNSET` is not touched,
while `None` is a value like any other (no team, no assignee, no override policy). Callers
pass only what they mean to change (`data.get("name", UNSET)` or `**changes`).
"""

from __future__ import annotations

from enum import Enum
from typing import Final, Literal


class _Unset(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False  # `if name:` treats a missing argument as missing, not as a value


UNSET: Final = _Unset.UNSET
# For type hints: `name: str | Unset = UNSET`.
Unset = Literal[_Unset.UNSET]
