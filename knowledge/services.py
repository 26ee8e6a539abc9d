"""Every change to the knowledge base and its self-service records.

Invariants kept here: a translation's stored HTML is always rendered from its Markdown and
sanitized (never raw); its search vector is recomputed in the same transaction as every save;
each saved change of a translation (or of the article's status) is one ArticleVersion row
(who, when, which fields); slugs are unique per locale; agents edit drafts, managers also
published and archived articles; one vote per visitor and article.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core.errors import ConflictError
from tickets.attachments import AttachmentInput, validate_attachment
from tickets.models import Direction
from tickets.status import Status as TicketStatus

from . import search
from .locales import LOCALES
from .models import (
    Article,
    ArticleAttachment,
    ArticleTranslation,
    ArticleVersion,
    Category,
    CategoryTranslation,
    Status,
    Visibility,
)
from .render import markdown_to_text, render_markdown

TRANSLATION_FIELDS = ("title", "slug", "body_md")


def _check_locale(locale: str, field: str) -> None:
    if locale not in LOCALES:
        raise ValidationError(
            {field: [f"Unknown locale {locale!r}; one of {', '.join(LOCALES)}."]},
            code="invalid_choice",
        )


def _unique_slug(model, locale: str, wanted: str, fallback: str, exclude_pk=None) -> str:
    base = slugify(wanted or fallback, allow_unicode=True)[:200] or "article"
    slug, n = base, 1
    taken = model.objects.filter(locale=locale)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# --- categories --------------------------------------------------------------------------------


@transaction.atomic
def category_save(
    *,
    category: Category | None = None,
    translations: Mapping[str, Mapping[str, str]],
    position: int | None = None,
) -> Category:
    """Create or update a category with its names per locale (a slug is derived from the
    name when none is given, unique per locale)."""
    category = category or Category()
    if not translations and category.pk is None:
        raise ValidationError({"translations": ["Name the category in at least one locale."]})
    if position is not None:
        category.position = position
    category.save()
    for locale, values in translations.items():
        _check_locale(locale, f"translations.{locale}")
        row = CategoryTranslation.objects.filter(category=category, locale=locale).first()
        row = row or CategoryTranslation(category=category, locale=locale)
        row.name = values.get("name", row.name)
        if not row.name:
            raise ValidationError({f"translations.{locale}.name": ["This field is required."]})
        row.description = values.get("description", row.description)
        row.slug = _unique_slug(
            CategoryTranslation, locale, values.get("slug") or row.slug, row.name, row.pk
        )
        row.save()
    return category


# --- articles ----------------------------------------------------------------------------------


def _check_visibility(visibility: str, min_tier) -> None:
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": [f"One of {', '.join(Visibility.values)}."]})
    if visibility == Visibility.TIERS and min_tier is None:
        raise ValidationError(
            {"min_tier": ["Name the lowest tier that may read a tier-only article."]},
            code="required",
        )


def _save_translation(
    article: Article, locale: str, values: Mapping[str, str], author, number: int
) -> tuple[ArticleTranslation, int]:
    """Save one translation; record a version when something changed. Returns the row and
    the next free version number."""
    _check_locale(locale, f"translations.{locale}")
    row = ArticleTranslation.objects.filter(article=article, locale=locale).first()
    created = row is None
    row = row or ArticleTranslation(article=article, locale=locale)
    before = {name: getattr(row, name) for name in TRANSLATION_FIELDS}
    row.title = (values.get("title", row.title) or "").strip()
    if not row.title:
        raise ValidationError({f"translations.{locale}.title": ["This field is required."]})
    row.body_md = values.get("body_md", row.body_md) or ""
    wanted_slug = values.get("slug") or row.slug
    row.slug = _unique_slug(ArticleTranslation, locale, wanted_slug, row.title, row.pk)
    changed = [name for name in TRANSLATION_FIELDS if getattr(row, name) != before[name]]
    if not changed and not created:
        return row, number
    row.body_html = render_markdown(row.body_md)
    row.body_text = markdown_to_text(row.body_md)
    row.save()
    ArticleVersion.objects.create(
        article=article,
        locale=locale,
        number=number,
        title=row.title,
        body_md=row.body_md,
        changes=["created"] if created else changed,
        status=article.status,
        author=author if getattr(author, "is_authenticated", False) else None,
    )
    return row, number + 1


def _next_number(article: Article) -> int:
    last = article.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _reindex(article: Article) -> None:
    search.index_translations(list(article.translations.values_list("id", flat=True)))


@transaction.atomic
def article_create(
    *,
    author,
    translations: Mapping[str, Mapping[str, str]],
    category: Category | None = None,
    visibility: str = Visibility.PUBLIC,
    min_tier=None,
    tags: Iterable[str] = (),
    related: Iterable[Article] = (),
    source_ticket=None,
) -> Article:
    """A new draft article with at least one translation; version 1 of each translation is
    recorded and the search vectors written."""
    if not translations:
        raise ValidationError({"translations": ["Write the article in at least one locale."]})
    _check_visibility(visibility, min_tier)
    article = Article.objects.create(
        category=category,
        visibility=visibility,
        min_tier=min_tier,
        tags=_clean_tags(tags),
        source_ticket=source_ticket,
        created_by=author if getattr(author, "is_authenticated", False) else None,
    )
    number = 1
    for locale, values in translations.items():
        _, number = _save_translation(article, locale, values, author, number)
    article.related.set([a for a in related if a.pk != article.pk])
    _reindex(article)
    return article


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = []
    for tag in tags:
        tag = str(tag).strip().lower()[:50]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned


@transaction.atomic
def article_update(
    *,
    article: Article,
    author,
    version: int | None = None,
    translations: Mapping[str, Mapping[str, str]] | None = None,
    **fields: Any,
) -> Article:
    """Edit an article (category, visibility, min_tier, tags, related) and any of its
    translations. Agents edit drafts only; a stale `version` is a 409, as on tickets.
    Each changed translation gets a version row; search vectors follow in the transaction."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    if version is not None and version != article.version:
        raise ConflictError(
            f"The article changed since version {version} (now {article.version}); reload it.",
            code="stale_version",
        )
    if article.status != Status.DRAFT and not getattr(author, "is_manager", False):
        raise ConflictError(
            "Only drafts can be edited by agents; a manager edits published articles.",
            code="not_draft",
        )
    visibility = fields.get("visibility", article.visibility)
    min_tier = fields.get("min_tier", article.min_tier)
    _check_visibility(visibility, min_tier)
    article.visibility, article.min_tier = visibility, min_tier
    if "category" in fields:
        article.category = fields["category"]
    tags_changed = "tags" in fields and _clean_tags(fields["tags"]) != article.tags
    if "tags" in fields:
        article.tags = _clean_tags(fields["tags"])
    number = _next_number(article)
    for locale, values in (translations or {}).items():
        _, number = _save_translation(article, locale, values, author, number)
    if "related" in fields:
        article.related.set([a for a in fields["related"] if a.pk != article.pk])
    if tags_changed:
        ArticleVersion.objects.create(
            article=article,
            locale="",
            number=number,
            title="",
            changes=["tags"],
            status=article.status,
            author=author if getattr(author, "is_authenticated", False) else None,
        )
    article.version += 1
    article.save()
    _reindex(article)
    return article


def _set_status(article: Article, status: str, actor, allowed_from: set[str]) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status == status:
        return article  # publishing a published article again changes nothing
    if article.status not in allowed_from:
        raise ConflictError(f"A {article.status} article cannot become {status}.", "bad_status")
    if status == Status.PUBLISHED and not article.translations.exists():
        raise ConflictError("An article without text cannot be published.", "empty")
    article.status = status
    if status == Status.PUBLISHED:
        article.published_at = timezone.now()
    article.version += 1
    article.save()
    ArticleVersion.objects.create(
        article=article,
        locale="",
        number=_next_number(article),
        title="",
        changes=["status"],
        status=status,
        author=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return article


@transaction.atomic
def article_publish(*, article: Article, actor) -> Article:
    """Draft or archived -> published (visible to its audience at once); recorded as a
    version. Publishing a published article is a no-op."""
    return _set_status(article, Status.PUBLISHED, actor, {Status.DRAFT, Status.ARCHIVED})


@transaction.atomic
def article_archive(*, article: Article, actor) -> Article:
    """Draft or published -> archived (gone from the help center, search and suggestions;
    its history and votes stay)."""
    return _set_status(article, Status.ARCHIVED, actor, {Status.DRAFT, Status.PUBLISHED})


@transaction.atomic
def article_from_ticket(*, ticket, author, locale: str | None = None) -> Article:
    """A draft from a solved (or closed) ticket: its subject as the title, the customer's
    first message as the question and the agents' public replies as the answer. Internal
    notes never reach an article."""

    from .locales import guess_locale

    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        raise ConflictError(
            "Only a solved ticket can become an article; solve it first.", "not_solved"
        )
    public = list(ticket.messages.filter(is_public=True).order_by("created_at", "id"))
    question = next((m for m in public if m.direction == Direction.INBOUND), None)
    answers = [
        m for m in public if m.direction == Direction.OUTBOUND and m.author_user_id is not None
    ]
    question_text = question.body_text.strip() if question else ""
    locale = locale or guess_locale(f"{ticket.subject}\n{question_text}")
    body = ""
    if question_text:
        body += "\n".join(f"> {line}" for line in question_text.splitlines()) + "\n\n"
    body += "\n\n".join(m.body_text.strip() for m in answers if m.body_text.strip())
    return article_create(
        author=author,
        translations={locale: {"title": ticket.subject, "body_md": body}},
        visibility=Visibility.INTERNAL,  # an agent decides who may read it before publishing
        tags=[tag.name for tag in ticket.tags.all()],
        source_ticket=ticket,
    )


@transaction.atomic
def attachment_add(*, article: Article, upload: AttachmentInput, author) -> ArticleAttachment:
    """An image or file for an article, checked with the tickets' attachment limits (size,
    allowed types) before anything is stored."""
    item = validate_attachment(upload, field="file")
    return ArticleAttachment.objects.create(
        article=article,
        file=_django_file(item),
        filename=item.filename,
        content_type=item.content_type,
        size=item.size,
        uploaded_by=author if getattr(author, "is_authenticated", False) else None,
    )


def _django_file(item: AttachmentInput):
    from django.core.files.base import File

    content = item.content if isinstance(item.content, File) else File(item.content)
    content.name = item.filename
    return content
