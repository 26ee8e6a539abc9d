"""The customer portal: server-rendered pages over portal.services / portal.selectors.

Views parse a form, call one service and render; visibility is portal.selectors'
`tickets_visible_to_customer` (anything outside it is a 404, never a 403). Every page speaks
the customer's language (portal.auth.in_page_locale).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ConflictError
from success.surveys import survey_url
from tickets.status import Status

from . import selectors, services
from .auth import (
    COOKIE,
    browser_locale,
    clear_portal_cookie,
    customer_required,
    in_page_locale,
    set_portal_cookie,
)
from .forms import NewTicketForm, ReplyForm, SignInForm
from .suggestions import article_suggestions


def _add_errors(form, exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/not_found.html", status=404)


# --- signing in ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@in_page_locale
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a link. The answer is the same whether or not the address is known."""
    form = SignInForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render(request, "portal/sign_in.html", {"form": form}, status=status)
    try:
        services.sign_in_link_request(
            email=form.cleaned_data["email"],
            client_ip=request.META.get("REMOTE_ADDR", ""),
            browser_locale=browser_locale(request),
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return render(request, "portal/sign_in.html", {"form": form}, status=400)
    except services.RateLimited as exc:
        response = render(
            request,
            "portal/sign_in.html",
            {"form": form, "retry_minutes": max(1, exc.retry_after // 60)},
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    return render(request, "portal/link_sent.html", {"email": form.cleaned_data["email"]})


@require_http_methods(["GET", "POST"])
@in_page_locale
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a "Sign in" button (mail scanners open links; only the click spends it)."""
    if request.method == "GET":
        sign_in = services.sign_in_from_link(token)
        if sign_in is None:
            return render(request, "portal/link_invalid.html", status=404)
        return render(request, "portal/link_confirm.html", {"email": sign_in.email})
    sign_in = services.sign_in_link_consume(token=token, browser_locale=browser_locale(request))
    if sign_in is None:
        return render(request, "portal/link_invalid.html", status=404)
    response = redirect(reverse("portal:home"))
    set_portal_cookie(response, sign_in)
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sign_in = services.sign_in_from_session(request.COOKIES.get(COOKIE))
    if sign_in is not None:
        services.portal_sign_out(sign_in=sign_in)
    response = redirect(reverse("portal:sign-in"))
    clear_portal_cookie(response)
    return response


# --- the customer's tickets --------------------------------------------------------------------


@customer_required
@in_page_locale
def home(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer
    tickets = list(selectors.tickets_visible_to_customer(customer)[:200])
    surveys = [
        (survey, survey_url(survey)) for survey in selectors.surveys_pending_for(customer)[:20]
    ]
    return render(
        request,
        "portal/home.html",
        {"customer": customer, "tickets": tickets, "surveys": surveys},
    )


def _ticket_page(request, ticket, form, status=200, conflict=""):
    return render(
        request,
        "portal/ticket.html",
        {
            "customer": request.portal_customer,
            "ticket": ticket,
            "conversation": selectors.public_conversation(ticket),
            "form": form,
            "closed": ticket.status == Status.CLOSED,
            "conflict": conflict,
        },
        status=status,
    )


@customer_required
@in_page_locale
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.tickets_visible_to_customer(request.portal_customer).filter(pk=pk).first()
    if ticket is None:
        return _not_found(request)
    return _ticket_page(request, ticket, ReplyForm())


@require_POST
@customer_required
@in_page_locale
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.tickets_visible_to_customer(request.portal_customer).filter(pk=pk).first()
    if ticket is None:
        return _not_found(request)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, form, status=400)
    try:
        services.portal_reply(
            ticket=ticket, customer=request.portal_customer, body=form.cleaned_data["body"]
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _ticket_page(request, ticket, form, status=400)
    except ConflictError:
        ticket.refresh_from_db()
        return _ticket_page(
            request,
            ticket,
            form,
            status=409,
            conflict=translation.gettext(
                "This ticket is closed, so it cannot take a reply. Please open a new ticket."
            ),
        )
    return redirect(reverse("portal:ticket", kwargs={"pk": ticket.pk}) + "#latest")


@require_http_methods(["GET", "POST"])
@customer_required
@in_page_locale
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Two steps: describe, then see suggested articles and either submit or say "this solved
    it" (nothing is written then)."""
    customer = request.portal_customer
    if request.method == "GET":
        return render(request, "portal/ticket_new.html", {"form": NewTicketForm(), "step": 1})
    form = NewTicketForm(request.POST)
    action = request.POST.get("action", "next")
    if not form.is_valid():
        return render(request, "portal/ticket_new.html", {"form": form, "step": 1}, status=400)
    if action == "solved":
        return render(request, "portal/deflected.html")
    if action != "submit":
        text = f"{form.cleaned_data['subject']}\n{form.cleaned_data['body']}"
        articles = article_suggestions(
            text=text, locale=translation.get_language() or "en", customer=customer
        )
        return render(
            request, "portal/ticket_new.html", {"form": form, "step": 2, "articles": articles}
        )
    try:
        ticket = services.portal_ticket_open(
            customer=customer,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return render(request, "portal/ticket_new.html", {"form": form, "step": 1}, status=400)
    return redirect(reverse("portal:ticket", kwargs={"pk": ticket.pk}))


@customer_required
@in_page_locale
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A file of the public conversation, as a download that cannot run in our origin."""
    attachment = selectors.attachment_visible_to_customer(request.portal_customer, pk)
    if attachment is None:
        return _not_found(request)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
