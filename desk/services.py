"""The desk's own writes: agents' saved views and their profile (language, time zone)."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.unset import UNSET

from .models import SavedView
from .ticket_lists import clean_filters, clean_sort


def _clean_name(owner: User, name: str, *, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError({"name": [_("A name of 1 to 80 characters.")]})
    taken = SavedView.objects.filter(owner=owner, name=name).exclude(pk=exclude).exists()
    if taken:
        raise ValidationError({"name": [_("You already have a view with this name.")]})
    return name


@transaction.atomic
def saved_view_create(
    *, owner: User, name: str, filters: Mapping, sort: str | None = None
) -> SavedView:
    """A personal view; its filters only from the allow-list (desk.ticket_lists.FILTERS)."""
    return SavedView.objects.create(
        owner=owner,
        name=_clean_name(owner, name),
        filters=clean_filters(filters),
        sort=clean_sort(sort),
    )


@transaction.atomic
def saved_view_update(*, view: SavedView, name=UNSET, filters=UNSET, sort=UNSET) -> SavedView:
    view = SavedView.objects.select_for_update().get(pk=view.pk)
    if name is not UNSET:
        view.name = _clean_name(view.owner, name, exclude=view.pk)
    if filters is not UNSET:
        view.filters = clean_filters(filters)
    if sort is not UNSET:
        view.sort = clean_sort(sort)
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView) -> None:
    view.delete()


def _clean_language(language: str) -> str:
    if language not in {"", *(code for code, _name in settings.DESK_LANGUAGES)}:
        raise ValidationError({"language": [_("Not a language the desk speaks.")]})
    return language


def _clean_time_zone(zone: str) -> str:
    if zone and zone not in available_timezones():
        raise ValidationError({"time_zone": [_("Not an IANA time zone (e.g. Europe/Berlin).")]})
    return zone


@transaction.atomic
def agent_profile_update(*, user: User, language=UNSET, time_zone=UNSET) -> User:
    """The agent's desk language and time zone (blank: English / their team's calendar)."""
    fields = []
    if language is not UNSET:
        user.language = _clean_language(language)
        fields.append("language")
    if time_zone is not UNSET:
        user.time_zone = _clean_time_zone(time_zone)
        fields.append("time_zone")
    if fields:
        user.save(update_fields=fields)
    return user
