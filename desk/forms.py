"""Desk forms: they validate input and hand typed values to the ticket services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from slas.models import SlaTier
from tickets.models import Team
from tickets.status import ACTIVE, Status

from . import labels
from .choices import ListedModelChoiceField
from .form_renderer import RENDERER
from .uploads import MultipleFileField


class DeskLoginForm(AuthenticationForm):
    """Agents and managers only: integrations hold API tokens, not desk sessions."""

    default_renderer = RENDERER

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_an_agent": _("Only agents and managers can sign in to the desk."),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not user.is_agent:
            raise forms.ValidationError(self.error_messages["not_an_agent"], code="not_an_agent")


ASSIGNED_CHOICES = [("", _("Anyone")), ("mine", _("Mine")), ("unassigned", _("Unassigned"))]


class QueueFilterForm(forms.Form):
    """GET parameters of the queue page; an invalid value is ignored, never an error page."""

    default_renderer = RENDERER

    team = ListedModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label=_("All"), label=_("Team")
    )
    channel = forms.ChoiceField(
        choices=[("", _("All")), *labels.CHANNEL.items()], required=False, label=_("Channel")
    )
    tier = ListedModelChoiceField(
        queryset=SlaTier.objects.only("id", "name"),  # what an option shows (SlaTier.__str__)
        required=False,
        empty_label=_("All"),
        label=_("Tier"),
    )
    status = forms.ChoiceField(
        choices=[("", _("All")), *[(s.value, labels.STATUS[s]) for s in Status if s in ACTIVE]],
        required=False,
        label=_("Status"),
    )
    assigned = forms.ChoiceField(choices=ASSIGNED_CHOICES, required=False, label=_("Assignee"))

    def __init__(self, *args, user, teams: list[Team] | None = None, **kwargs):
        """`teams`: the agent's teams as the page already read them (the team options)."""
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(members=user)
        self.fields["team"].options = teams


STATUS_AFTER_REPLY = [("", _("Keep (a new ticket becomes open)")), *labels.STATUS.items()]


class ReplyForm(forms.Form):
    default_renderer = RENDERER

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label=_("Message"),
        max_length=100_000,
        required=False,
    )
    visibility = forms.ChoiceField(
        choices=[
            ("public", _("Public reply (to the customer)")),
            ("internal", _("Internal note")),
        ],
        initial="public",
        widget=forms.RadioSelect,
        label=_("Send as"),
    )
    status = forms.ChoiceField(
        choices=STATUS_AFTER_REPLY, required=False, label=_("Then set status")
    )
    attachments = MultipleFileField()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Offered only when nothing can carry a public reply: keep it on the ticket, marked not
    # delivered, because the agent reaches the customer some other way (a call, in person).
    record_unsent = forms.BooleanField(
        required=False,
        label=_("Record it on the ticket without sending (I will reach the customer another way)"),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reply_%s")  # two forms on one page: distinct ids
        super().__init__(*args, **kwargs)

    # A message template (WhatsApp), chosen in desk/_reply_route.html when the channel has some.
    template = forms.CharField(required=False, max_length=600)

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("template"):
            self.add_error("body", _("This field is required."))
        return data

    @property
    def public(self) -> bool:
        return self.cleaned_data["visibility"] == "public"


class AgentChoiceField(ListedModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class TicketFieldsForm(forms.Form):
    default_renderer = RENDERER

    status = forms.ChoiceField(choices=list(labels.STATUS.items()), label=_("Status"))
    priority = forms.TypedChoiceField(
        choices=list(labels.PRIORITY.items()), coerce=int, label=_("Priority")
    )
    assignee = AgentChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Unassigned"),
        label=_("Assignee"),
    )
    team = ListedModelChoiceField(
        queryset=Team.objects.only("id", "name"),  # what an option shows (Team.__str__)
        required=False,
        empty_label=_("None"),
        label=_("Team"),
    )
    tags = forms.CharField(
        required=False, help_text=_("Comma-separated."), max_length=1000, label=_("Tags")
    )
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
            .only("id", "username", "first_name", "last_name")  # what display_name reads
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
