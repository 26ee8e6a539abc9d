"""The widget's HTTP API under /chat/api/ (same origin as the frame, so no CORS). Each call
but the session carries the visitor token in X-Chat-Token; a bad token is 403 `bad_token` and
changes nothing. Thin: validate, call one service, answer."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, permissions, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.parsers import JSONParser
from knowledge.selectors import suggest_articles

from . import selectors, services
from .strings import widget_language
from .tokens import BadToken, Visitor, issue, new_visitor, read

TOKEN_HEADER = "HTTP_X_CHAT_TOKEN"  # noqa: S105 - a header name


class BadVisitorToken(PermissionDenied):
    default_code = "bad_token"


def _visitor(request: Request) -> Visitor:
    try:
        visitor = read(request.META.get(TOKEN_HEADER))
        services.visitor_channel(visitor)
        selectors.visitor_thread(visitor)
    except BadToken as exc:
        raise BadVisitorToken(str(exc)) from exc
    return visitor


def _visitor_json(visitor: Visitor) -> dict:
    return {
        "token": issue(visitor),
        "visitor": {"name": visitor.name, "email": visitor.email},
        "conversation": visitor.thread_id,  # the thread id; null before the first message
    }


class _WidgetView(APIView):
    authentication_classes: list = []  # the visitor token, not a session: no CSRF to carry
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]

    def dispatch(self, request, *args, **kwargs):
        # The frame's language (?lang=), for messages and suggestions; English otherwise.
        with translation.override(widget_language(request.GET.get("lang", ""))):
            return super().dispatch(request, *args, **kwargs)


class SessionSerializer(serializers.Serializer):
    channel = serializers.IntegerField()
    token = serializers.CharField(required=False, allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)


class SessionView(_WidgetView):
    """Start or resume a visitor (a stored token), with the pre-chat answers if given; the
    channel's configuration comes back with the (refreshed) token."""

    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        data = SessionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = selectors.chat_channel(data.validated_data["channel"])
        if channel is None:
            raise NotFound("No such chat.")
        token = data.validated_data.get("token")
        if token:
            try:
                visitor = read(token)
                if visitor.channel_id != channel.pk:
                    raise BadToken("The visitor token belongs to another chat.")
                selectors.visitor_thread(visitor)
            except BadToken as exc:
                raise BadVisitorToken(str(exc)) from exc
        else:
            visitor = new_visitor(channel.pk)
        visitor = services.visitor_identify(
            visitor=visitor,
            name=data.validated_data.get("name", ""),
            email=data.validated_data.get("email", ""),
        )
        if visitor.thread_id is None:
            thread = selectors.open_thread_of(visitor)
            visitor = visitor.with_changes(thread_id=thread.pk if thread else None)
        return Response({**_visitor_json(visitor), "config": selectors.widget_config(channel)})


class HistoryView(_WidgetView):
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        visitor = _visitor(request)
        messages = selectors.conversation(selectors.visitor_thread(visitor))
        return Response({"messages": [selectors.message_json(m) for m in messages]})


class MessageSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
    client_id = serializers.CharField(max_length=100, required=False, allow_blank=True)


def _sent(visitor: Visitor, message) -> Response:
    body = {**_visitor_json(visitor), "message": None}
    if message is not None:
        body["message"] = selectors.message_json(message)
    return Response(body, status=status.HTTP_201_CREATED if message else status.HTTP_202_ACCEPTED)


class MessageView(_WidgetView):
    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        visitor = _visitor(request)
        data = MessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        visitor, message = services.visitor_message_send(
            visitor=visitor,
            text=data.validated_data["text"],
            client_id=data.validated_data.get("client_id", ""),
        )
        return _sent(visitor, message)


class UploadView(_WidgetView):
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        visitor = _visitor(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise DjangoValidationError({"file": ["Choose a file to send."]})
        visitor, message = services.visitor_file_send(
            visitor=visitor,
            upload=upload,
            text=str(request.data.get("text", ""))[:20000],
            client_id=str(request.data.get("client_id", ""))[:100],
        )
        return _sent(visitor, message)


class TypingView(_WidgetView):
    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        services.visitor_typing(visitor=_visitor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TranscriptView(_WidgetView):
    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        visitor = _visitor(request)
        email = request.data.get("email", "") if isinstance(request.data, dict) else ""
        row = services.transcript_send(visitor=visitor, email=str(email))
        return Response({"queued": True, "to": row.recipient}, status=status.HTTP_202_ACCEPTED)


class SuggestView(_WidgetView):
    """Published articles for what the visitor is typing (knowledge's suggest service)."""

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        _visitor(request)
        text = request.query_params.get("q", "")[:500]
        if len(text.strip()) < 3:
            return Response({"articles": []})
        found = suggest_articles(text=text, locale=translation.get_language() or "en", limit=3)
        return Response({"articles": [{"title": s.translation.title, "url": s.url} for s in found]})
