"""Knowledge-base API shapes: thin, they validate and the views call one service."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from slas.models import SlaTier

from ..locales import LOCALE_CHOICES
from ..models import (
    Article,
    ArticleAttachment,
    ArticleTranslation,
    ArticleVersion,
    Category,
    CategoryTranslation,
    Deflection,
    Outcome,
    Status,
    Visibility,
)
from ..selectors import article_url


class CategoryTranslationSerializer(serializers.ModelSerializer):
    locale = serializers.ChoiceField(choices=LOCALE_CHOICES)
    slug = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = CategoryTranslation
        fields = ["locale", "name", "slug", "description"]
        validators = []  # uniqueness is the service's (slugs are made unique there)


def _by_locale(rows: list[dict], field: str = "translations") -> dict[str, dict]:
    by_locale: dict[str, dict] = {}
    for index, row in enumerate(rows):
        if row["locale"] in by_locale:
            raise serializers.ValidationError(
                {field: {index: {"locale": ["Each locale once."]}}}, code="unique"
            )
        by_locale[row["locale"]] = {k: v for k, v in row.items() if k != "locale"}
    return by_locale


class CategorySerializer(serializers.ModelSerializer):
    translations = CategoryTranslationSerializer(many=True)

    class Meta:
        model = Category
        fields = ["id", "position", "translations", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_translations(self, rows):
        return _by_locale(rows)


class ArticleTranslationSerializer(serializers.ModelSerializer):
    locale = serializers.ChoiceField(choices=LOCALE_CHOICES)
    slug = serializers.CharField(max_length=250, required=False, allow_blank=True)
    body_md = serializers.CharField(required=False, allow_blank=True, max_length=200_000)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ArticleTranslation
        fields = ["locale", "title", "slug", "body_md", "body_html", "url", "updated_at"]
        read_only_fields = ["body_html", "url", "updated_at"]
        validators = []  # uniqueness is the service's (slugs are made unique there)

    def get_url(self, obj) -> str:
        return article_url(obj)


class ArticleAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ArticleAttachment
        fields = ["id", "filename", "content_type", "size", "url", "created_at"]

    def get_url(self, obj) -> str:
        return reverse("help-file", kwargs={"pk": obj.pk, "filename": obj.filename})


class ArticleSerializer(serializers.ModelSerializer):
    """An article with all its translations. Writing: `translations` is a list with each
    locale once; on PATCH the translations named are created or changed, others kept."""

    translations = ArticleTranslationSerializer(many=True)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    min_tier = serializers.PrimaryKeyRelatedField(
        queryset=SlaTier.objects.all(), allow_null=True, required=False
    )
    related = serializers.PrimaryKeyRelatedField(
        queryset=Article.objects.all(), many=True, required=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=30
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    version = serializers.IntegerField(
        required=False, help_text="On PATCH: the version you edited; a stale one is a 409."
    )
    attachments = ArticleAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "status",
            "visibility",
            "min_tier",
            "category",
            "tags",
            "related",
            "translations",
            "attachments",
            "source_ticket",
            "version",
            "created_at",
            "updated_at",
            "published_at",
        ]
        read_only_fields = ["id", "source_ticket", "created_at", "updated_at", "published_at"]

    def validate_translations(self, rows):
        if not rows and self.instance is None:
            raise serializers.ValidationError("Write the article in at least one locale.")
        return _by_locale(rows)


class ArticleVersionSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ArticleVersion
        fields = [
            "number",
            "locale",
            "title",
            "body_md",
            "changes",
            "status",
            "author",
            "created_at",
        ]


class FromTicketSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    locale = serializers.ChoiceField(choices=LOCALE_CHOICES, required=False)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class SearchResultSerializer(serializers.Serializer):
    article = serializers.IntegerField(source="article.pk")
    locale = serializers.CharField(source="translation.locale")
    title = serializers.CharField(source="translation.title")
    url = serializers.CharField()
    score = serializers.FloatField()
    headline = serializers.CharField(help_text="HTML: escaped text, matches in <mark>.")


class SuggestRequestSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=250, allow_blank=True, required=False, default="")
    body = serializers.CharField(allow_blank=True, required=False, default="", max_length=20_000)
    locale = serializers.ChoiceField(
        choices=LOCALE_CHOICES, required=False, help_text="Guessed from the text when omitted."
    )
    customer = serializers.IntegerField(required=False, help_text="The customer, if known.")
    limit = serializers.IntegerField(required=False, default=5, min_value=1, max_value=10)

    def validate(self, attrs):
        if not (attrs.get("subject") or "").strip() and not (attrs.get("body") or "").strip():
            raise serializers.ValidationError(
                {"subject": ["Send the draft's subject or body."]}, code="required"
            )
        return attrs


class SuggestedArticleSerializer(serializers.Serializer):
    article = serializers.IntegerField(source="article.pk")
    title = serializers.CharField(source="translation.title")
    url = serializers.CharField()
    score = serializers.FloatField()


class DeflectionSerializer(serializers.ModelSerializer):
    suggestions = serializers.SerializerMethodField()

    class Meta:
        model = Deflection
        fields = [
            "id",
            "locale",
            "customer",
            "outcome",
            "outcome_article",
            "ticket",
            "suggestions",
            "created_at",
            "outcome_at",
        ]

    def get_suggestions(self, obj) -> list[dict]:
        return self.context.get("suggestions", obj.articles)


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[Outcome.VIEWED, Outcome.SOLVED, Outcome.TICKET],
        help_text="viewed: an article was opened; solved: no ticket needed; ticket: one was "
        "created (name it).",
    )
    article = serializers.PrimaryKeyRelatedField(
        queryset=Article.objects.all(), required=False, allow_null=True
    )
    ticket = serializers.IntegerField(required=False)


class SelfServiceReportSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    deflection = serializers.DictField()
    by_tier = serializers.ListField(child=serializers.DictField())
    articles = serializers.ListField(child=serializers.DictField())
    content_gaps = serializers.ListField(child=serializers.DictField())
