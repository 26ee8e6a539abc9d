"""Help-center articles suggested before a new ticket is written (deflection).

knowledge/ (another app) provides `knowledge.selectors.suggest_articles`; while it is not
installed the portal simply shows no suggestions.
"""

from __future__ import annotations

import logging

from customers.models import Customer

logger = logging.getLogger(__name__)


def article_suggestions(*, text: str, locale: str, customer: Customer | None) -> list:
    try:
        from knowledge.selectors import suggest_articles
    except ImportError:
        return []
    return list(suggest_articles(text=text, locale=locale, customer=customer, limit=5))
