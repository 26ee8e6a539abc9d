"""Settings that come from no environment variable (config/settings.py reads those, and imports
this): the OpenAPI schema's (drf-spectacular: title, the UIs served from the sidecar, the schema
hooks, names for the enums several serializers share) and the logging configuration."""

SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": (
        "Tickets, messages, customers and SLAs for integrations and agents. "
        "Authenticate with `Authorization: Token <key>` (or `Bearer <key>`). Every POST honours "
        'an `Idempotency-Key` header. Errors share one shape: `{"error": {...}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "DEFAULT_GENERATOR_CLASS": "api.schema_generator.SchemaGenerator",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TicketTypeEnum": "tickets.models.TicketType",
        "OutboxStateEnum": "outbox.models.State",
        "WebhookDeliveryLogStateEnum": ["pending", "delivered", "failed"],
        "TicketKindEnum": "tickets.models.TicketKind",
        "IdentityKindEnum": "customers.models.IdentityKind",
        "AuthorTypeEnum": ["customer", "agent", "system"],
        "FollowUpStateEnum": "success.models.FollowUpState",
        "ChannelKindEnum": "tickets.models.ChannelKind",
        "PriorityEnum": ["low", "normal", "high", "urgent"],
        "CallStatusEnum": ["completed", "missed", "voicemail"],
        "StatusEnum": "tickets.status.Status",
        "ArticleStatusEnum": "knowledge.models.Status",
        "InboundStateEnum": "tickets.channels.models.InboundState",
        "TriggerEventEnum": "automations.models.TriggerEvent",
        "MacroStatusEnum": "macros.models.MACRO_STATUS_CHOICES",
        "GestureKindEnum": "goodwill.models.GestureKind",
        "GestureStateEnum": "goodwill.models.GestureState",
    },
}


def logging_config(level: str) -> dict:
    """Plain lines on stderr at `level`; SQL only from WARNING (DEBUG would log every query)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }
