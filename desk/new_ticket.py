"""New ticket from the desk (/desk/tickets/new/): on behalf of a customer, or reaching out.
The form validates input; tickets.services.ticket_open_by_agent decides (teams, channels,
whether anything reaches the customer) and writes."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tickets import services
from tickets.models import Priority, Team, TicketKind
from tickets.services.agent_open import DESK_CHANNELS

from . import labels
from .form_renderer import RENDERER
from .uploads import MultipleFileField, attachment_inputs
from .views import _apply_errors, agent_required

KIND_CHOICES = [
    (TicketKind.REACTIVE, gettext_lazy("On behalf of the customer (they contacted us)")),
    (TicketKind.PROACTIVE, gettext_lazy("Reach out (we write first)")),
]


class NewTicketForm(forms.Form):
    default_renderer = RENDERER

    kind = forms.ChoiceField(
        choices=KIND_CHOICES,
        initial=TicketKind.REACTIVE,
        widget=forms.RadioSelect,
        label=gettext_lazy("Who starts"),
    )
    channel = forms.ChoiceField(
        choices=[(kind, labels.CHANNEL[kind]) for kind in DESK_CHANNELS],
        initial="phone",
        label=gettext_lazy("Channel"),
        help_text=gettext_lazy(
            "Where the customer reached us; when we reach out, a message goes by email "
            "(a new ticket has no open chat or social conversation)."
        ),
    )
    requester_email = forms.CharField(
        required=False, max_length=254, label=gettext_lazy("Customer's email")
    )
    requester_phone = forms.CharField(
        required=False, max_length=40, label=gettext_lazy("Customer's phone")
    )
    requester_name = forms.CharField(
        required=False, max_length=200, label=gettext_lazy("Customer's name")
    )
    # No blank choice: the first of the agent's teams (the default team first) is picked.
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), empty_label=None, label=gettext_lazy("Team")
    )
    priority = forms.TypedChoiceField(
        choices=list(labels.PRIORITY.items()),
        coerce=int,
        initial=Priority.NORMAL,
        label=gettext_lazy("Priority"),
    )
    subject = forms.CharField(max_length=250, label=gettext_lazy("Subject"))
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=100_000,
        label=gettext_lazy("Message"),
        help_text=gettext_lazy("On behalf: what the customer said. Reaching out: what we send."),
    )
    attachments = MultipleFileField()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("-is_default", "name")
        # The service checks the team rule again; the choices only spare a wrong pick.
        self.fields["team"].queryset = teams if user.is_manager else teams.filter(members=user)


def _opened(request: HttpRequest, form: NewTicketForm) -> HttpResponse:
    data = form.cleaned_data
    try:
        ticket = services.ticket_open_by_agent(
            actor=request.user,
            kind=data["kind"],
            channel=data["channel"],
            team=data["team"],
            subject=data["subject"],
            body=data["body"],
            requester_email=data["requester_email"],
            requester_phone=data["requester_phone"],
            requester_name=data["requester_name"],
            priority=data["priority"],
            attachments=attachment_inputs(data["attachments"]),
        )
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _page(request, form, status=400)
    except PermissionDenied:
        return render(request, "desk/403.html", status=403)
    if ticket.kind == TicketKind.PROACTIVE:  # handed to the outbox, not yet sent
        text = _("Ticket #%(id)s opened; your message is queued for delivery.")
    else:
        text = _("Ticket #%(id)s opened for the customer.")
    messages.success(request, text % {"id": ticket.pk})
    return redirect("desk:ticket", pk=ticket.pk)


def _page(request: HttpRequest, form: NewTicketForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "attachment_max_count": settings.ATTACHMENT_MAX_COUNT}
    return render(request, "desk/new_ticket.html", context, status=status)


@require_http_methods(["GET", "POST"])
@agent_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, NewTicketForm(user=request.user))
    form = NewTicketForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    return _opened(request, form)
