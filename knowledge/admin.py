"""The knowledge base in the admin, for managers: every save goes through knowledge.services
(rendering, sanitizing, search vectors, versions), publish and archive are actions; votes,
searches and deflections are read-only records."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from core.admin_forms import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, ServiceForm
from core.errors import ConflictError

from . import services
from .locales import LOCALE_CHOICES
from .models import (
    Article,
    ArticleFeedback,
    ArticleTranslation,
    ArticleVersion,
    Category,
    CategoryTranslation,
    Deflection,
    SearchLog,
)


class ArticleForm(ServiceForm):
    """Edits the article and one translation (pick the locale; a new locale adds one)."""

    locale = forms.ChoiceField(choices=LOCALE_CHOICES, initial="en")
    title = forms.CharField(max_length=250)
    body_md = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16}), required=False, label="Body (Markdown)"
    )
    tags_text = forms.CharField(required=False, label="Tags", help_text="Comma-separated.")

    class Meta:
        model = Article
        fields = ["category", "visibility", "min_tier", "related"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            first = (
                self.instance.translations.filter(locale="en").first()
                or self.instance.translations.first()
            )
            if first is not None:
                self.initial.update(locale=first.locale, title=first.title, body_md=first.body_md)
            self.initial["tags_text"] = ", ".join(self.instance.tags)

    def save_through_service(self):
        data = self.cleaned_data
        translation = {data["locale"]: {"title": data["title"], "body_md": data["body_md"]}}
        tags = [t for t in data["tags_text"].split(",") if t.strip()]
        if self.original.pk is None:
            return services.article_create(
                author=self.actor,
                translations=translation,
                category=data["category"],
                visibility=data["visibility"],
                min_tier=data["min_tier"],
                tags=tags,
                related=data["related"],
            )
        return services.article_update(
            article=self.original,
            author=self.actor,
            translations=translation,
            category=data["category"],
            visibility=data["visibility"],
            min_tier=data["min_tier"],
            tags=tags,
            related=data["related"],
        )


class TranslationInline(ReadOnlyInline, admin.TabularInline):
    model = ArticleTranslation
    fields = ["locale", "title", "slug", "updated_at"]
    readonly_fields = fields


class VersionInline(ReadOnlyInline, admin.TabularInline):
    model = ArticleVersion
    fields = ["number", "locale", "title", "changes", "status", "author", "created_at"]
    readonly_fields = fields


@admin.register(Article)
class ArticleAdmin(ServiceAdmin):
    form = ArticleForm
    list_display = ["__str__", "status", "visibility", "category", "updated_at"]
    list_filter = ["status", "visibility", "category"]
    search_fields = ["translations__title"]
    readonly_fields = ["status", "version", "published_at", "source_ticket"]
    inlines = [TranslationInline, VersionInline]
    actions = ["publish", "archive"]
    filter_horizontal = ["related"]

    def _each(self, request, queryset, service, verb: str) -> None:
        done = 0
        for article in queryset:
            try:
                service(article=article, actor=request.user)
                done += 1
            except ConflictError as exc:
                self.message_user(request, f"{article}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} article(s) {verb}.")

    @admin.action(description="Publish the selected articles")
    def publish(self, request, queryset):
        self._each(request, queryset, services.article_publish, "published")

    @admin.action(description="Archive the selected articles")
    def archive(self, request, queryset):
        self._each(request, queryset, services.article_archive, "archived")


class CategoryForm(ServiceForm):
    locale = forms.ChoiceField(choices=LOCALE_CHOICES, initial="en")
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    class Meta:
        model = Category
        fields = ["position"]

    def save_through_service(self):
        data = self.cleaned_data
        return services.category_save(
            category=self.original if self.original.pk else None,
            translations={
                data["locale"]: {"name": data["name"], "description": data["description"]}
            },
            position=data["position"],
        )


class CategoryTranslationInline(ReadOnlyInline, admin.TabularInline):
    model = CategoryTranslation
    fields = ["locale", "name", "slug", "description"]
    readonly_fields = fields


@admin.register(Category)
class CategoryAdmin(ServiceAdmin):
    form = CategoryForm
    list_display = ["__str__", "position"]
    inlines = [CategoryTranslationInline]


@admin.register(ArticleFeedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["article", "locale", "helpful", "comment", "created_at"]
    list_filter = ["helpful", "locale"]


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdmin):
    list_display = ["query", "locale", "source", "results", "created_at"]
    list_filter = ["source", "locale"]
    search_fields = ["query"]


@admin.register(Deflection)
class DeflectionAdmin(ReadOnlyAdmin):
    list_display = ["id", "locale", "customer", "tier", "outcome", "ticket", "created_at"]
    list_filter = ["outcome", "locale"]
