"""How knowledge/ joins the rest: it names help-center articles in the Self-service tier's
automatic answer (the outside-plan reply of slas/).

Direction: knowledge imports slas (tiers, a customer's tier) and registers its provider in
slas.hybrid.SELF_SERVICE_HINTS from connect() (config's wiring list); slas never imports
knowledge.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction

from slas import hybrid

from .locales import guess_locale, locale_of

logger = logging.getLogger(__name__)

INTRO = {
    "en": "These articles from our help center may answer your question right away:",
    "ru": "Возможно, на ваш вопрос уже отвечают эти статьи нашего справочного центра:",
    "lv": "Iespējams, uz jūsu jautājumu jau atbild šie mūsu palīdzības centra raksti:",
    "lt": "Galbūt į jūsų klausimą jau atsako šie mūsų pagalbos centro straipsniai:",
    "fa": "شاید این مقاله‌های مرکز راهنمای ما همین حالا به پرسش شما پاسخ دهند:",
}
HINT_ARTICLES = 3


def customer_locale(customer, text: str = "") -> str:
    """The customer's own language when the record has one (the portal stores it), else the
    language their message is written in."""
    stored = getattr(customer, "locale", "") if customer is not None else ""
    return locale_of(stored).code if stored else guess_locale(text)


def outside_plan_articles(*, ticket, tier) -> str:
    """Up to three articles matching the ticket, in the customer's language, as lines of
    "title: url"; "" when none match (slas then keeps the help-center pointer)."""
    from .selectors import suggest_articles

    first = ticket.messages.filter(direction="inbound").order_by("id").first()
    text = f"{ticket.subject}\n{first.body_text if first else ''}"
    locale = customer_locale(ticket.requester, text)
    try:
        # In its own savepoint: a failing search must not fail the ticket being created
        # (this runs inside ticket_create's transaction); the answer then keeps the URL.
        with transaction.atomic():
            suggestions = suggest_articles(
                text=text, locale=locale, customer=ticket.requester, limit=HINT_ARTICLES
            )
    except DatabaseError:
        logger.exception("help-center suggestions failed for ticket %s", ticket.pk)
        return ""
    if not suggestions:
        return ""
    lines = [f"- {s.translation.title}: {s.url}" for s in suggestions]
    return "\n\n" + INTRO[locale] + "\n" + "\n".join(lines)


def connect() -> None:
    """Idempotent."""
    if outside_plan_articles not in hybrid.SELF_SERVICE_HINTS:
        hybrid.SELF_SERVICE_HINTS.append(outside_plan_articles)
