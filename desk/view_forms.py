"""Forms of the desk's views and profile pages. They render the fields; the rules (the filter
allow-list, valid languages and zones) live in desk.ticket_lists and desk.services."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tickets.models import Priority, Team

from . import labels
from .form_renderer import RENDERER
from .models import ViewSort

ANY = [("", _("Any"))]


class ViewFilterForm(forms.Form):
    """GET parameters of a view page (each one of desk.ticket_lists.FILTERS)."""

    default_renderer = RENDERER

    status = forms.ChoiceField(
        choices=[*ANY, *labels.STATUS.items()], required=False, label=_("Status")
    )
    priority = forms.ChoiceField(
        choices=[*ANY, *[(p.label, labels.PRIORITY[p]) for p in Priority]],
        required=False,
        label=_("Priority"),
    )
    channel = forms.ChoiceField(
        choices=[*ANY, *labels.CHANNEL.items()], required=False, label=_("Channel")
    )
    team = forms.ChoiceField(choices=ANY, required=False, label=_("Team"))
    assignee = forms.ChoiceField(
        choices=[*ANY, ("me", _("Me")), ("none", _("Unassigned"))],
        required=False,
        label=_("Assignee"),
    )
    tag = forms.CharField(required=False, max_length=50, label=_("Tag"))
    sla_state = forms.ChoiceField(
        choices=[*ANY, ("breached", _("Breached")), ("ok", _("Not breached"))],
        required=False,
        label=_("SLA"),
    )
    sort = forms.ChoiceField(choices=ViewSort.choices, required=False, label=_("Sort"))

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "view_%s")
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(members=user).values_list("pk", "name")
        self.fields["team"].choices = ANY + [(str(pk), name) for pk, name in teams]


class ProfileForm(forms.Form):
    default_renderer = RENDERER

    language = forms.ChoiceField(label=_("Language"))
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, default_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.DESK_LANGUAGES
        self.fields["time_zone"].choices = [
            ("", _("My team's calendar (%(zone)s)") % {"zone": default_zone})
        ] + [(zone, zone) for zone in sorted(available_timezones())]
