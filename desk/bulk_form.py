"""The queue's bulk bar (desk/bulk.py has the view; this module imports no view, so the
queue page's context in desk/views.py can build the form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from accounts.models import User
from tickets.models import Team
from tickets.status import Status

from .choices import ListedModelChoiceField
from .form_renderer import RENDERER

ACTION_CHOICES = [
    ("assign", gettext_lazy("Assign to")),
    ("set_status", gettext_lazy("Set status")),
    ("add_tag", gettext_lazy("Add tag")),
    ("move_team", gettext_lazy("Move to team")),
]


class TicketIdsField(forms.TypedMultipleChoiceField):
    """Ticket ids as checked; which of them the agent may change is the service's business
    (per ticket, `not_found` otherwise), not a list of choices."""

    def valid_value(self, value) -> bool:
        return True


class BulkForm(forms.Form):
    """The queue's bulk bar: which tickets (checkboxes), which action, and its value (one
    field per action; the chosen action's is used)."""

    default_renderer = RENDERER

    ids = TicketIdsField(coerce=int, choices=[], label=gettext_lazy("Tickets"))
    action = forms.ChoiceField(choices=ACTION_CHOICES, label=gettext_lazy("Action"))
    assignee = ListedModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=gettext_lazy("Agent"),
        empty_label=gettext_lazy("Nobody (unassign)"),
    )
    status = forms.ChoiceField(choices=Status.choices, required=False, label=gettext_lazy("Status"))
    tag = forms.CharField(max_length=50, required=False, label=gettext_lazy("Tag"))
    team = ListedModelChoiceField(
        queryset=Team.objects.all(), required=False, label=gettext_lazy("Team")
    )

    def __init__(self, *args, user, teams: list[Team] | None = None, **kwargs):
        """`teams`: every team as the page already read it (the move options)."""
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            User.objects.filter(is_active=True, role__in=("agent", "manager"))
            .filter(teams__in=Team.objects.filter(members=user))
            .distinct()
            .order_by("first_name", "username")
            .only("id", "username", "first_name", "last_name")  # what display_name reads
        )
        self.fields["team"].options = teams
        self.fields["assignee"].label_from_instance = lambda user: user.display_name
        # "Assign to" starts on the agent themself: unassigning is chosen, never a default.
        self.fields["assignee"].initial = user.pk

    def value(self):
        action = self.cleaned_data["action"]
        if action == "assign":
            user = self.cleaned_data["assignee"]
            return user.pk if user else None
        if action == "move_team":
            team = self.cleaned_data["team"]
            return team.pk if team else None
        return self.cleaned_data["status" if action == "set_status" else "tag"]
