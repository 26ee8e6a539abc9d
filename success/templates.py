"""Follow-up rule templates: checked when a rule is saved, rendered (compiled once per text)
in the customer's language when a follow-up runs."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Node, TextNode
from django.template.defaulttags import LoadNode
from django.templatetags.i18n import TranslateNode
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


def _language_only(node: Node) -> bool:
    """Whether the node's output depends on nothing but the active language: text, {% load %}
    and {% translate "a literal" %} (no variable, filter, context or `as`)."""
    if isinstance(node, TextNode | LoadNode):
        return True
    if isinstance(node, TranslateNode):
        expression = node.filter_expression
        return (
            expression.var.literal is not None
            and not expression.filters
            and node.message_context is None
            and node.asvar is None
        )
    return False


@lru_cache(maxsize=512)
def _reads_context(text: str) -> bool:
    return not all(_language_only(node) for node in _template(text).nodelist)


@lru_cache(maxsize=2048)
def _rendered_in(text: str, language: str) -> str:
    """A template that reads nothing from its context, rendered once per language (a sweep
    of a thousand emails of one rule renders its subject and body once, not a thousand
    times each)."""
    with translation.override(language):
        return _template(text).render(Context()).strip()


def _render(text: str, followup: FollowUp) -> str:
    language = followup.customer.locale or settings.LANGUAGE_CODE
    if not _reads_context(text):
        return _rendered_in(text, language)
    context = {
        "customer": followup.customer,
        "delivery": followup.delivery,
        "ticket": followup.ticket,
        "rule": followup.rule,
    }
    with translation.override(language):
        return _template(text).render(Context(context)).strip()
