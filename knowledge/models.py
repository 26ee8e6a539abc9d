"""The knowledge base: categories and articles with one translation per locale, their
version history, attachments, and what visitors did with them (views, votes, searches,
deflection suggestions and their outcomes)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from .locales import LOCALE_CHOICES


class Category(models.Model):
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        first = next(iter(self.translations.all()), None)
        return first.name if first else f"Category {self.pk}"


class CategoryTranslation(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="translations")
    locale = models.CharField(max_length=5, choices=LOCALE_CHOICES)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, allow_unicode=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["locale"]
        constraints = [
            models.UniqueConstraint(fields=["category", "locale"], name="category_one_per_locale"),
            models.UniqueConstraint(fields=["locale", "slug"], name="category_slug_per_locale"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.locale})"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Everyone"
    TIERS = "tiers", "Customers on a tier (or above)"
    INTERNAL = "internal", "Agents only"


class Article(models.Model):
    """An article; its text lives in one translation per locale. Status and visibility are
    the article's: a published article shows every translation it has.

    Visibility `tiers` shows the article to customers whose tier ranks at least `min_tier`
    (anonymous visitors and customers without a tier never see it); `internal` is for agents.
    """

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    min_tier = models.ForeignKey(
        "slas.SlaTier", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tags = models.JSONField(default=list, blank=True)
    related = models.ManyToManyField("self", blank=True)
    source_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "visibility"], name="article_status_vis_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="tiers") | Q(min_tier__isnull=False),
                name="article_tiers_need_min_tier",
            )
        ]

    def __str__(self) -> str:
        first = next(iter(self.translations.all()), None)
        return first.title if first else f"Article {self.pk}"


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    locale = models.CharField(max_length=5, choices=LOCALE_CHOICES)
    title = models.CharField(max_length=250)
    slug = models.SlugField(max_length=250, allow_unicode=True)
    body_md = models.TextField(blank=True, help_text="Markdown, as the author wrote it.")
    body_html = models.TextField(blank=True, help_text="Rendered from body_md and sanitized.")
    body_text = models.TextField(blank=True, help_text="Plain text, for search and snippets.")
    # title (A) over tags (B) over body (C), in the locale's text-search configuration;
    # written by knowledge.search.index_translations in the service that saves the row.
    search_vector = SearchVectorField(null=True, editable=False)
    # title (A) and tags (B) alone: few rows match a word here, so every such match is ranked
    # even when a frequent word is in the bodies of tens of thousands (knowledge.search).
    title_vector = SearchVectorField(null=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["locale"]
        constraints = [
            models.UniqueConstraint(fields=["article", "locale"], name="article_one_per_locale"),
            models.UniqueConstraint(fields=["locale", "slug"], name="article_slug_per_locale"),
        ]
        # The GIN indexes (search_vector; title with gin_trgm_ops) and the unaccent/pg_trgm
        # extensions are created by migration 0002 on PostgreSQL only, so SQLite still migrates.

    def __str__(self) -> str:
        return f"{self.title} ({self.locale})"


class ArticleVersion(models.Model):
    """One saved state of one translation: who, when, and which fields changed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    # Empty for changes of the article itself (status, tags).
    locale = models.CharField(max_length=5, choices=LOCALE_CHOICES, blank=True)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=250, blank=True)
    body_md = models.TextField(blank=True)
    changes = models.JSONField(default=list, help_text="Field names that changed.")
    status = models.CharField(max_length=10, choices=Status.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number} {self.locale}".strip()


def article_file_path(instance: ArticleAttachment, filename: str) -> str:
    return f"knowledge/{instance.article_id}/{uuid.uuid4().hex}/{filename}"


class ArticleAttachment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=article_file_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class ArticleView(models.Model):
    """A help-center page view (or a suggestion opened), for the self-service report."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="views")
    locale = models.CharField(max_length=5)
    tier = models.ForeignKey(
        "slas.SlaTier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"view of {self.article_id}"


class ArticleFeedback(models.Model):
    """ "Was this helpful?": one vote per visitor (a signed cookie id) and article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    locale = models.CharField(max_length=5)
    visitor = models.CharField(max_length=64)
    helpful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "visitor"], name="feedback_one_per_visitor")
        ]

    def __str__(self) -> str:
        return f"{'yes' if self.helpful else 'no'} on {self.article_id}"


class SearchSource(models.TextChoices):
    HELP_CENTER = "help", "Help center"
    API = "api", "API"
    SUGGEST = "suggest", "Deflection suggestion"


class SearchLog(models.Model):
    """Every search, with how many articles it found: the ones that found none are the
    content gaps."""

    query = models.CharField(max_length=500)
    locale = models.CharField(max_length=5)
    source = models.CharField(max_length=10, choices=SearchSource.choices)
    results = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.query


class Outcome(models.TextChoices):
    PENDING = "pending", "Shown"
    VIEWED = "viewed", "An article was opened"
    SOLVED = "solved", "Solved without a ticket"
    TICKET = "ticket", "A ticket was created"


class Deflection(models.Model):
    """Articles suggested for a draft ticket (a widget, an integration, the portal) and what
    the visitor did next: deflected when solved without a ticket."""

    subject = models.CharField(max_length=250, blank=True)
    body = models.TextField(blank=True)
    locale = models.CharField(max_length=5)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.ForeignKey(
        "slas.SlaTier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    articles = models.JSONField(default=list, help_text="[{article, score}] best first.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Deflection {self.pk}: {self.outcome}"


class SearchTerm(models.Model):
    """The search lexicon: each lexeme of the published articles per locale with the number
    of articles containing it. Typo correction looks up look-alike lexemes here (pg_trgm), and
    suggestions drop the lexemes that are in too many articles to tell them apart. New
    lexemes are added on every save; counts are recomputed by the `knowledge.lexicon_rebuild`
    task (hourly)."""

    locale = models.CharField(max_length=5)
    lexeme = models.CharField(max_length=200)
    documents = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["locale", "lexeme"], name="search_term_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lexeme} ({self.locale}, {self.documents})"
