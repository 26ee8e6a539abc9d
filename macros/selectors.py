"""Which macros a person may use and change."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Macro


def macros_usable_by(user) -> QuerySet[Macro]:
    """Shared macros and the user's own personal ones (another agent's personal macros are
    theirs alone, a manager's included); nothing for integrations."""
    if not user.is_authenticated or not user.is_agent:
        return Macro.objects.none()
    return Macro.objects.filter(Q(is_shared=True) | Q(owner=user)).select_related("set_team")


def may_change(user, macro: Macro) -> bool:
    """A personal macro is changed by its owner; a shared one by managers."""
    return user.is_manager if macro.is_shared else macro.owner_id == user.pk
