"""Follow-up rule templates: checked when a rule is saved, rendered (compiled once per text)
in the customer's language when a follow-up runs."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import translation

from .models import FollowUp

# Plain-text templates: no HTML escaping of a customer's name in an email body.
# Rule templates may use {% translate %} / {% blocktranslate %}: rendered in the customer's
# language (customers.Customer.locale) where the catalogues have the text.
_TEMPLATES = Engine(autoescape=False, builtins=["django.templatetags.i18n"])


def template_check(text: str) -> None:
    """Raise ValidationError if `text` is not a valid template (checked when a rule is saved,
    so a typo fails the manager's request, not a follow-up at 3 a.m.)."""
    try:
        _TEMPLATES.from_string(text)
    except TemplateSyntaxError as exc:
        raise ValidationError(str(exc)) from exc


@lru_cache(maxsize=512)
def _template(text: str):
    """Compiled once per distinct text (rules rarely change; a sweep renders the same few)."""
    return _TEMPLATES.from_string(text)


def _render(text: str, followup: FollowUp) -> str:
    context = {
        "customer": followup.customer,
        "delivery": followup.delivery,
        "ticket": followup.ticket,
        "rule": followup.rule,
    }
    with translation.override(followup.customer.locale or settings.LANGUAGE_CODE):
        return _template(text).render(Context(context)).strip()
