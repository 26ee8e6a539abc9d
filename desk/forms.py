"""Desk forms: they validate input and hand typed values to the ticket services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q

from accounts.models import Role, User
from slas.models import SlaTier
from tickets.models import ChannelKind, Priority, Team
from tickets.status import ACTIVE, Status


class DeskLoginForm(AuthenticationForm):
    """Agents and managers only: integrations hold API tokens, not desk sessions."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_an_agent": "Only agents and managers can sign in to the desk.",
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_agent:
            raise forms.ValidationError(self.error_messages["not_an_agent"], code="not_an_agent")


ASSIGNED_CHOICES = [("", "Anyone"), ("mine", "Mine"), ("unassigned", "Unassigned")]


class QueueFilterForm(forms.Form):
    """GET parameters of the queue page; an invalid value is ignored, never an error page."""

    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="All")
    channel = forms.ChoiceField(choices=[("", "All"), *ChannelKind.choices], required=False)
    tier = forms.ModelChoiceField(queryset=SlaTier.objects.all(), required=False, empty_label="All")
    status = forms.ChoiceField(
        choices=[("", "All"), *[(s.value, s.label) for s in Status if s in ACTIVE]],
        required=False,
    )
    assigned = forms.ChoiceField(choices=ASSIGNED_CHOICES, required=False, label="Assignee")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(members=user)


STATUS_AFTER_REPLY = [("", "Keep (a new ticket becomes open)"), *Status.choices]


class ReplyForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), label="Message", max_length=100_000
    )
    visibility = forms.ChoiceField(
        choices=[("public", "Public reply (to the customer)"), ("internal", "Internal note")],
        initial="public",
        widget=forms.RadioSelect,
        label="Send as",
    )
    status = forms.ChoiceField(choices=STATUS_AFTER_REPLY, required=False, label="Then set status")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reply_%s")  # two forms on one page: distinct ids
        super().__init__(*args, **kwargs)

    @property
    def public(self) -> bool:
        return self.cleaned_data["visibility"] == "public"


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class TicketFieldsForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)
    assignee = AgentChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned"
    )
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, empty_label="None")
    tags = forms.CharField(required=False, help_text="Comma-separated.", max_length=1000)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, ticket, **kwargs):
        kwargs.setdefault("auto_id", "fields_%s")
        super().__init__(*args, **kwargs)
        # Agents of the ticket's team, managers, and whoever holds it now; the service
        # checks the team rule again.
        who = Q(role=Role.MANAGER)
        if ticket.team_id is not None:
            who |= Q(teams=ticket.team_id)
        if ticket.assignee_id is not None:
            who |= Q(pk=ticket.assignee_id)
        self.fields["assignee"].queryset = (
            User.objects.filter(who, is_active=True, role__in=["agent", "manager"])
            .distinct()
            .order_by("username")
        )

    @classmethod
    def initial_for(cls, ticket) -> dict:
        return {
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee": ticket.assignee_id,
            "team": ticket.team_id,
            "tags": ", ".join(tag.name for tag in ticket.tags.all()),
            "version": ticket.version,
        }

    def tag_names(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]
