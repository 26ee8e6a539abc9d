"""The knowledge base API: categories and articles (agents write drafts, managers publish),
search, deflection suggestions and their outcomes, and the self-service report."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import EVERYONE, MANAGERS, STAFF
from api.pagination import CursorPagination
from api.params import int_parameter, query_int
from customers.selectors import customers_visible_to
from tickets.attachments import AttachmentInput
from tickets.selectors import tickets_visible_to

from .. import feedback, reports, selectors, services
from ..locales import LOCALES, guess_locale, locale_of
from ..models import Article, Category, Deflection, SearchSource
from .serializers import (
    ArticleAttachmentSerializer,
    ArticleSerializer,
    ArticleVersionSerializer,
    CategorySerializer,
    DeflectionSerializer,
    FromTicketSerializer,
    OutcomeSerializer,
    SearchResultSerializer,
    SelfServiceReportSerializer,
    SuggestedArticleSerializer,
    SuggestRequestSerializer,
    UploadSerializer,
)


def _is_staff(user) -> bool:
    return user.is_authenticated and (user.is_agent or user.is_manager)


class CategoryViewSet(viewsets.ModelViewSet):
    """Help-center categories with a name and slug per locale. Managers write."""

    serializer_class = CategorySerializer
    queryset = Category.objects.prefetch_related("translations").order_by("position", "id")
    pagination_class = type("CategoryPagination", (CursorPagination,), {"ordering": "id"})
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    roles = {"read": EVERYONE, "write": MANAGERS}

    def create(self, request, *args, **kwargs):
        data = CategorySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_save(
            translations=data.validated_data["translations"],
            position=data.validated_data.get("position"),
        )
        return Response(
            CategorySerializer(self.get_queryset().get(pk=category.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request, *args, **kwargs):
        category = self.get_object()
        data = CategorySerializer(category, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.category_save(
            category=category,
            translations=data.validated_data.get("translations", {}),
            position=data.validated_data.get("position"),
        )
        return Response(CategorySerializer(self.get_queryset().get(pk=category.pk)).data)


class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Knowledge-base articles. Agents and managers see every status and create and edit
    drafts (managers also published ones); managers publish and archive. Integrations read
    the published public articles (what an anonymous visitor of the help center sees)."""

    serializer_class = ArticleSerializer
    pagination_class = type("ArticlePagination", (CursorPagination,), {"ordering": "-id"})
    filterset_fields = ["status", "visibility", "category"]
    queryset = Article.objects.none()  # for the schema; requests read get_queryset
    roles = {
        "read": EVERYONE,
        "create": STAFF,
        "partial_update": STAFF,
        "from_ticket": STAFF,
        "attachments": STAFF,
        "versions": STAFF,
        "publish": MANAGERS,
        "archive": MANAGERS,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        if _is_staff(user):
            return selectors.articles_for_staff(user).order_by("-id")
        return (
            selectors.articles_visible_to(selectors.audience_for(user=user))
            .select_related("category", "min_tier")
            .prefetch_related("translations", "related", "attachments")
            .order_by("-id")
        )

    def _answer(self, article, code=status.HTTP_200_OK):
        return Response(ArticleSerializer(self.get_queryset().get(pk=article.pk)).data, code)

    def create(self, request, *args, **kwargs):
        data = ArticleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        article = services.article_create(
            author=request.user,
            translations=attrs["translations"],
            category=attrs.get("category"),
            visibility=attrs.get("visibility", "public"),
            min_tier=attrs.get("min_tier"),
            tags=attrs.get("tags", []),
            related=attrs.get("related", []),
        )
        return self._answer(article, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        article = self.get_object()
        data = ArticleSerializer(article, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        attrs = dict(data.validated_data)
        article = services.article_update(
            article=article,
            author=request.user,
            version=attrs.pop("version", None),
            translations=attrs.pop("translations", None),
            **attrs,
        )
        return self._answer(article)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft (or an archived article again)."""
        return self._answer(services.article_publish(article=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Take an article out of the help center, search and suggestions."""
        return self._answer(services.article_archive(article=self.get_object(), actor=request.user))

    @extend_schema(responses=ArticleVersionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_fields=[])
    def versions(self, request, pk=None):
        """Version history: who changed what, when (oldest first)."""
        article = self.get_object()
        rows = article.versions.select_related("author").order_by("number")
        return Response(ArticleVersionSerializer(rows, many=True).data)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: ArticleAttachmentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request, pk=None):
        """Add an image or file (the tickets' size and type limits apply)."""
        article = self.get_object()
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Send the file as multipart field `file`."]})
        attachment = services.attachment_add(
            article=article,
            upload=AttachmentInput(upload.name, upload, upload.content_type or ""),
            author=request.user,
        )
        return Response(ArticleAttachmentSerializer(attachment).data, status.HTTP_201_CREATED)

    @extend_schema(request=FromTicketSerializer, responses={201: ArticleSerializer})
    @action(detail=False, methods=["post"], url_path="from-ticket")
    def from_ticket(self, request):
        """A draft (internal until edited) from a solved ticket the caller can see."""
        data = FromTicketSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = tickets_visible_to(request.user).filter(pk=data.validated_data["ticket"]).first()
        if ticket is None:
            raise ValidationError(
                {"ticket": [f"Ticket {data.validated_data['ticket']} not found."]}
            )
        article = services.article_from_ticket(
            ticket=ticket, author=request.user, locale=data.validated_data.get("locale")
        )
        return self._answer(article, status.HTTP_201_CREATED)

    max_body_bytes = 25 * 1024 * 1024  # attachments


def _customer(user, customer_id):
    if customer_id is None:
        return None
    customer = customers_visible_to(user).filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError({"customer": [f"Customer {customer_id} not found."]})
    return customer


class SearchView(APIView):
    """Search published articles in one locale, as the customer named (or an anonymous
    visitor) would see them; agents also find internal articles."""

    roles = {"read": EVERYONE}

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True),
            OpenApiParameter("locale", str, enum=list(LOCALES)),
            OpenApiParameter(
                "customer",
                {"type": "integer", "minimum": 1, "maximum": 10**9 - 1},
                description="A customer id.",
            ),
            int_parameter("limit", minimum=1, maximum=50, default=10, description="How many."),
        ],
        responses=SearchResultSerializer(many=True),
    )
    def get(self, request):
        query = request.query_params.get("q", "").strip()
        if not query:
            raise ValidationError({"q": ["Send the words to search for."]}, code="required")
        limit = query_int(request, "limit", default=10, minimum=1, maximum=50)
        customer_id = query_int(request, "customer", default=0, minimum=1, maximum=10**9 - 1)
        customer = _customer(request.user, customer_id or None)
        locale = request.query_params.get("locale") or guess_locale(query)
        if locale not in LOCALES:
            raise ValidationError({"locale": [f"One of {', '.join(LOCALES)}."]})
        audience = selectors.audience_for(user=request.user, customer=customer)
        results = selectors.search_articles(
            query=query, locale=locale, audience=audience, limit=limit
        )
        feedback.search_log_record(
            query=query, locale=locale, source=SearchSource.API, results=len(results)
        )
        rows = [
            {
                "article": r.article,
                "translation": r.translation,
                "url": selectors.article_url(r.translation, absolute=True),
                "score": r.score,
                "headline": r.headline,
            }
            for r in results
        ]
        return Response(SearchResultSerializer(rows, many=True).data)


class SuggestView(APIView):
    """Deflection: the best articles for a draft ticket, before it is created. The answer's
    `id` is where the widget reports what happened next (`.../outcome/`)."""

    roles = {"write": EVERYONE}

    @extend_schema(request=SuggestRequestSerializer, responses={201: DeflectionSerializer})
    def post(self, request):
        data = SuggestRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        customer = _customer(request.user, attrs.get("customer"))
        text = f"{attrs['subject']}\n{attrs['body']}".strip()
        from ..handlers import customer_locale

        locale = attrs.get("locale") or customer_locale(customer, text)
        suggestions = selectors.suggest_articles(
            text=text, locale=locale, customer=customer, limit=attrs["limit"]
        )
        deflection = feedback.deflection_record(
            subject=attrs["subject"],
            body=attrs["body"],
            locale=locale_of(locale).code,
            customer=customer,
            tier=selectors.customer_tier_of(customer),
            requested_by=request.user,
            suggestions=suggestions,
        )
        feedback.search_log_record(
            query=text[:500], locale=locale, source=SearchSource.SUGGEST, results=len(suggestions)
        )
        shown = SuggestedArticleSerializer(suggestions, many=True).data
        return Response(
            DeflectionSerializer(deflection, context={"suggestions": shown}).data,
            status=status.HTTP_201_CREATED,
        )


class SuggestOutcomeView(APIView):
    """Report what the visitor did after the suggestions: opened an article (`viewed`),
    needed no ticket (`solved`), or created ticket N (`ticket`). Only the caller that asked
    for the suggestions (and managers) may report."""

    roles = {"write": EVERYONE}

    @extend_schema(request=OutcomeSerializer, responses=DeflectionSerializer)
    def post(self, request, pk: int):
        deflections = Deflection.objects.all()
        if not request.user.is_manager:
            deflections = deflections.filter(requested_by=request.user)
        deflection = get_object_or_404(deflections, pk=pk)
        data = OutcomeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        ticket = None
        if attrs.get("ticket") is not None:
            ticket = tickets_visible_to(request.user).filter(pk=attrs["ticket"]).first()
            if ticket is None:
                raise ValidationError({"ticket": [f"Ticket {attrs['ticket']} not found."]})
        deflection = feedback.deflection_outcome(
            deflection=deflection,
            outcome=attrs["outcome"],
            article=attrs.get("article"),
            ticket=ticket,
        )
        return Response(DeflectionSerializer(deflection).data)


class SelfServiceReportView(APIView):
    """Deflection rate per tier and per article, views and helpfulness per article, and the
    searches that found nothing (content gaps), over `since`..`until` (default: 30 days)."""

    roles = {"read": MANAGERS}

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="ISO 8601; default 30 days ago"),
            OpenApiParameter("until", str, description="ISO 8601; default now"),
        ],
        responses=SelfServiceReportSerializer,
    )
    def get(self, request):
        until = self._time(request, "until") or timezone.now()
        since = self._time(request, "since") or until - timedelta(days=30)
        if since >= until:
            raise ValidationError({"since": ["Must be before `until`."]})
        return Response(reports.self_service_report(since=since, until=until))

    @staticmethod
    def _time(request, name):
        raw = request.query_params.get(name)
        if not raw:
            return None
        try:
            value = parse_datetime(raw)
        except ValueError:
            value = None
        if value is None:
            raise ValidationError({name: ["An ISO 8601 date and time, e.g. 2026-11-01T00:00Z."]})
        if timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        return value
