"""Roles and what each may call.

agent:       works the tickets of their teams (and tickets assigned to them);
manager:     everything an agent can, plus configuration (teams, SLAs, channels, rules);
integration: creates tickets and messages, reads what belongs to the customers it submitted.

Which *objects* a caller sees is decided by the selectors (`tickets_visible_to`, ...), so an
object outside the caller's reach is a 404, never a 403 that confirms it exists. This module
decides only which *endpoints* a role may call.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

AGENT = "agent"
MANAGER = "manager"
INTEGRATION = "integration"

STAFF = frozenset({AGENT})  # agents; managers count as agents too
MANAGERS = frozenset({MANAGER})
EVERYONE = frozenset({AGENT, INTEGRATION})


def roles_of(user) -> frozenset[str]:
    if not user or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_manager:
        return frozenset({MANAGER, AGENT})
    if user.is_integration:
        return frozenset({INTEGRATION})
    if user.is_agent:
        return frozenset({AGENT})
    return frozenset()


class RolePermission(BasePermission):
    """Grant by role. A view declares `roles`, mapping an action name (or the fallbacks
    "read" and "write") to the roles allowed; the default is staff read, managers write."""

    default_roles = {"read": STAFF, "write": MANAGERS}
    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        caller = roles_of(request.user)
        if not caller:
            return False
        rules = {**self.default_roles, **getattr(view, "roles", {})}
        action = getattr(view, "action", None)
        if action in rules:
            allowed = rules[action]
        else:
            allowed = rules["read" if request.method in SAFE_METHODS else "write"]
        return bool(caller & allowed)
