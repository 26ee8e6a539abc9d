"""Settings, all read from the environment (12-factor) in this one place.

With no environment at all the project runs on embedded defaults: SQLite and kombu's
filesystem broker, so `make run` works on a laptop with nothing else installed. Production
sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL or REDIS_URL (Redis), SECRET_KEY and
DEBUG=0; `manage.py check --deploy` is clean with those.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config import fixed_settings, queues

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HELPDESK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "anymail",
    "django_htmx",
    "accounts",
    "customers",
    "outbox",
    "tickets",
    "slas",
    "success",
    "goodwill",
    "webhooks",
    "automations",
    "desk",
    "portal",
    "reports",
    "knowledge",
    "macros",
    "live",
    "widget",
    # Last: its ready() wires every app's handlers and registers every app's tasks.
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session, user and messages middlewares, skipped for token-authenticated /api/
    # requests, which read none of them (the light path: api/page_middleware.py). CSRF and
    # frame options stay Django's own (`check --deploy` looks for them by name; both are a
    # few attribute reads on such a request).
    "api.page_middleware.PageSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "api.page_middleware.PageAuthenticationMiddleware",
    "api.page_middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # request.htmx for the desk's partial updates (polling the queue rows).
    "django_htmx.middleware.HtmxMiddleware",
    # request.customer on /help/ pages: the customer signed in to the portal, if any.
    "portal.auth.HelpCenterCustomerMiddleware",
    # API writes: the per-endpoint body limit (413), then one transaction per write that is
    # rolled back on any 4xx/5xx, with Idempotency-Key replay.
    "api.middleware.ApiWriteMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "helpdesk.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, whose health check asks the server only when the socket says something.
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    # Fail fast when the database is away, so requests answer 503 instead of hanging.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DB_CONNECT_TIMEOUT", 3
    )
    # Parameters bound by the server and statements prepared once per connection (psycopg
    # prepares a statement the fifth time a connection runs it): the hot paths run the same
    # few statements all day, and each no longer pays PostgreSQL's parse and plan nor
    # psycopg's quoting of every value into the query's text. Off for a transaction-mode
    # pooler older than PgBouncer 1.21 (which cannot carry prepared statements).
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 5)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is shared by the web server, a worker and beat: take the write
    # lock at BEGIN and wait for it, rather than failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
# Reports (and only reports) read from a replica when one is given; it is never migrated.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = "core.postgresql"  # as the default's, above
    # Tests: the replica is the test database itself (no second copy to keep in step).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["reports.routers.ReportsReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, presence); Redis when REDIS_URL is given ---------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, with one redis-py client per pool instead of one per call.
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis costs a request a second at most, not the OS's TCP timeout
            # (the throttle then lets the request through, see api/throttling.py).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Real time (Django Channels, live/): one Redis channel layer for every web process -----
# LIVE_REDIS_URL defaults to REDIS_URL; without either, an in-memory layer (one process only).
ASGI_APPLICATION = "config.asgi.application"
LIVE_REDIS_URL = os.environ.get("LIVE_REDIS_URL", REDIS_URL)
if LIVE_REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the very time
                # channels_redis blocks in BZPOPMIN waiting for a socket's next event: a busy
                # host then times the read out and the socket's consumer dies. 30 s leaves a
                # margin and still notices a dead connection.
                # redis-py 8's pool holds at most 100 connections per process (default) and
                # raises at once beyond: 200 sockets of one process disconnecting together
                # (a restart, the benchmark's end) failed group_discard in their consumers.
                "hosts": [
                    {
                        "address": LIVE_REDIS_URL,
                        "socket_timeout": 30,
                        "max_connections": env_int("LIVE_REDIS_MAX_CONNECTIONS", 1000),
                    }
                ],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Time, language, static and media ------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The languages we speak to customers in (customers.models.Locale): automatic answers, survey
# pages, follow-up emails and the portal, each in the customer's locale. The desk speaks the
# agent's profile language (DESK_LANGUAGES); the admin and the API stay in English (no
# LocaleMiddleware: a header must not change API messages).
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
    ("lv", "Latviešu"),
    ("lt", "Lietuvių"),
    ("fa", "فارسی"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start when it is missing
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security (`check --deploy` clean when DEBUG is off) -----------------------------------
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Request limits -------------------------------------------------------------------------
# Default body limit for API requests; endpoints that take files set `max_body_bytes`.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# Files an agent attaches to one message (desk replies and new tickets; the API's limit is 10).
ATTACHMENT_MAX_COUNT = env_int("ATTACHMENT_MAX_COUNT", 10)
# Django's own guard must admit the largest endpoint limit; ours is enforced per endpoint.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 40 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
ATTACHMENT_ALLOWED_TYPES = env_list(
    "ATTACHMENT_ALLOWED_TYPES",
    [
        *("image/png", "image/jpeg", "image/gif", "image/webp", "image/heic"),
        *("application/pdf", "text/plain", "text/csv", "text/calendar", "message/rfc822"),
        *("application/zip", "application/json", "application/msword"),
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        *("audio/mpeg", "audio/wav", "audio/ogg", "audio/mp4", "video/mp4"),
    ],
)

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON only (with a nesting limit): form encodings cannot carry our nested fields, so the
    # schema must not advertise them. Endpoints that take files add MultiPartParser themselves.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "api.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.CredentialRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"credential": os.environ.get("API_THROTTLE_RATE", "1200/min")},
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = fixed_settings.SPECTACULAR_SETTINGS

IDEMPOTENCY_KEY_TTL = timedelta(hours=env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24))

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker: messages are files in var/celery, so no server is needed.
    _broker_dir = VAR_DIR / "celery"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        # remote-control (pidbox) messages too, instead of a `control/` folder in the cwd
        "control_folder": str(_broker_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Redis redelivers an unacknowledged message after this long; it must exceed the
        # longest task, or a slow task runs twice. Sweeps are short and idempotent anyway.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    }
CELERY_TASK_IGNORE_RESULT = True  # state lives in our rows, not in a result backend
# A task is acknowledged after it ran, so a worker killed mid-task hands it back.
CELERY_TASK_ACKS_LATE = True
# ...and a task whose worker process died (SIGKILL, OOM) is requeued rather than dropped.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process, so a dying worker holds back at most one task.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Work leaving a request is enqueued with transaction.on_commit (e.g. SLA notifications), so a
# task never runs for a change that rolled back, nor before the change is visible to it.
# How often beat runs the SLA sweep (warnings, breaches, escalations), in seconds.
SLA_SWEEP_SECONDS = env_int("SLA_SWEEP_SECONDS", 5)
# How long a process reuses a policy version with its calendar (an edit made in another
# process takes effect within this; in the same process at once).
SLA_POLICY_CACHE_SECONDS = env_int("SLA_POLICY_CACHE_SECONDS", 30)
# Queues, routes and limits of every task, and the beat schedule: config/queues.py.
TASK_QUEUES = queues.TASK_QUEUES
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = queues.TASK_ROUTES
CELERY_BEAT_SCHEDULE = queues.beat_schedule(
    sla_sweep_seconds=SLA_SWEEP_SECONDS,
    followup_sweep_seconds=env_int("FOLLOWUP_SWEEP_SECONDS", 10),
    imap_poll_seconds=env_int("IMAP_POLL_SECONDS", 60),
    outbox_sweep_seconds=env_int("OUTBOX_SWEEP_SECONDS", 10),
    automation_sweep_seconds=env_int("AUTOMATION_SWEEP_SECONDS", 10),
    reports_sweep_seconds=env_int("REPORTS_SWEEP_SECONDS", 60),
    reports_refresh_seconds=env_int("REPORTS_REFRESH_SECONDS", 60),
)
# A chain of triggers firing triggers (rule A's change fires B, B's fires A...) stops at this
# depth, with an `automation.loop_stopped` note on the ticket's audit trail.
AUTOMATION_MAX_DEPTH = env_int("AUTOMATION_MAX_DEPTH", 5)
# How long a process reuses the active triggers, time rules and routed teams (a change made in
# another process takes effect within this; in the same process at once).
AUTOMATION_RULES_CACHE_SECONDS = env_int("AUTOMATION_RULES_CACHE_SECONDS", 30)
# Due time-rule rows per batch (one transaction; a sweep takes up to 50 batches). Larger
# batches apply a wave faster and hold their tickets' locks longer.
AUTOMATION_SWEEP_BATCH_SIZE = env_int("AUTOMATION_SWEEP_BATCH_SIZE", 500)

# How long a process reuses the default team of new tickets (a change made in another process
# takes effect within this; in the same process at once).
# Off by default: a default team changed or deleted in another process would be used for up to
# this long (a deleted one fails every create meanwhile). Set it where the default team is
# fixed: it saves ticket create one statement.
DEFAULT_TEAM_CACHE_SECONDS = env_int("DEFAULT_TEAM_CACHE_SECONDS", 0)

# --- Proactive follow-ups, surveys, customer health ---------------------------------------------
# Where customers open links we send (survey answers): the public address of this service.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:8000")
FOLLOWUP_MAX_ATTEMPTS = env_int("FOLLOWUP_MAX_ATTEMPTS", 5)  # then failed, visible to managers
FOLLOWUP_SWEEP_BATCH = env_int("FOLLOWUP_SWEEP_BATCH", 100)
SURVEY_TTL_DAYS = env_int("SURVEY_TTL_DAYS", 30)  # a survey link expires after this
AT_RISK_THRESHOLD = env_int("AT_RISK_THRESHOLD", 2)  # poor experiences in the window
AT_RISK_WINDOW_DAYS = env_int("AT_RISK_WINDOW_DAYS", 90)

# --- Reports and exports (issue 14) -----------------------------------------------------------
# The incremental export hands out only rows stamped longer ago than this (reports/exports.py):
# it must exceed the longest write transaction, so a late commit is never skipped.
REPORTS_EXPORT_SETTLE_SECONDS = env_int("REPORTS_EXPORT_SETTLE_SECONDS", 60)
# How often the at-risk episodes (flagged / recovered history) are brought up to date.
REPORTS_SWEEP_SECONDS = env_int("REPORTS_SWEEP_SECONDS", 60)
# How often beat refreshes the report rollups, and how stale a report may read them: older
# than REPORTS_MAX_STALENESS_SECONDS (beat stopped), a report refreshes them inline first
# (0: every report does). Each report says how fresh it is (`fresh_as_of`).
REPORTS_REFRESH_SECONDS = env_int("REPORTS_REFRESH_SECONDS", 60)
REPORTS_MAX_STALENESS_SECONDS = env_int("REPORTS_MAX_STALENESS_SECONDS", 120)
# Time zones the SLA rollups are kept in (reports/rollups/): a report asked in one of them
# reads the rollups, in another zone the base tables (exact, slower). Any IANA zone works,
# whatever its offset (Asia/Tehran +03:30, Asia/Kathmandu +05:45), as rows are local days.
REPORTS_ROLLUP_ZONES = tuple(
    z.strip()
    for z in os.environ.get("REPORTS_ROLLUP_ZONES", "UTC,Europe/Berlin").split(",")
    if z.strip()
)

# --- Email --------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@helpdesk.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Channels: inbound intake, outbound replies, webhooks ----------------------------
# A chat conversation idle longer than this is ended; the next message opens a new ticket.
CHAT_IDLE_MINUTES = env_int("CHAT_IDLE_MINUTES", 30)
# The chat widget: how long a visitor token is valid (renewed on each visit) and how long a
# widget socket counts as connected without a heartbeat (the frame pings every third of it).
CHAT_VISITOR_TOKEN_MAX_AGE_DAYS = env_int("CHAT_VISITOR_TOKEN_MAX_AGE_DAYS", 90)
CHAT_PRESENCE_TTL_SECONDS = env_int("CHAT_PRESENCE_TTL_SECONDS", 60)
# How long a file link handed to a chat visitor works (widget/files.py).
CHAT_FILE_LINK_MAX_AGE_DAYS = env_int("CHAT_FILE_LINK_MAX_AGE_DAYS", 30)
# A call appends to the caller's open phone ticket updated within this window, else opens one.
CALL_THREAD_WINDOW_HOURS = env_int("CALL_THREAD_WINDOW_HOURS", 24)
# Processing an inbound payload is retried this often (exponential backoff) before it fails.
INBOUND_MAX_RETRIES = env_int("INBOUND_MAX_RETRIES", 5)
# The outbox (every message that leaves): attempts before a transient error becomes a
# failure (core.retry.backoff between them: 30 s doubling, at most 1 h), and the lease of one
# attempt (a row `sending` longer than this is taken again: it must exceed any transport's
# timeout).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300)
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION") or None
# Webhooks: never POST into private/loopback networks unless explicitly allowed (tests, dev).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
# A new or changed subscription reaches every process's events within this many seconds.
WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS = env_int("WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS", 5)
# How long a process reuses the active follow-up rules (every new customer, delivery and
# solved ticket asks which apply; a change made in this process is seen at once).
FOLLOWUP_RULES_CACHE_SECONDS = env_int("FOLLOWUP_RULES_CACHE_SECONDS", 30)
# Plain http webhook URLs only while developing: payloads carry customers' messages.
WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", not DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# Meta's Graph API (WhatsApp Cloud API, Messenger / Instagram Send API); tests use a local one.
META_GRAPH_API_BASE = os.environ.get("META_GRAPH_API_BASE", "https://graph.facebook.com/v21.0")
META_GRAPH_TIMEOUT_SECONDS = env_int("META_GRAPH_TIMEOUT_SECONDS", 10)
# Telegram and Twilio (README "Telegram and Twilio"): the providers' API hosts (tests point them
# at a local stand-in) and the public base URL Twilio posts to (it signs the URL it used: behind
# a proxy that is not the URL Django sees; a channel's `public_url` setting wins).
TELEGRAM_API_BASE = os.environ.get("TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/")
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
TWILIO_WEBHOOK_BASE_URL = os.environ.get("TWILIO_WEBHOOK_BASE_URL", "").rstrip("/")
PROVIDER_HTTP_TIMEOUT_SECONDS = env_int("PROVIDER_HTTP_TIMEOUT_SECONDS", 10)
# django-anymail: inbound webhooks are protected by HTTP basic auth with this "user:password".
ANYMAIL: dict[str, str] = {}
if os.environ.get("ANYMAIL_WEBHOOK_SECRET"):
    ANYMAIL["WEBHOOK_SECRET"] = os.environ["ANYMAIL_WEBHOOK_SECRET"]

LOGGING = fixed_settings.logging_config(os.environ.get("LOG_LEVEL", "INFO"))

LOGIN_URL = "/desk/login/"
LOGIN_REDIRECT_URL = "/desk/"
LOGOUT_REDIRECT_URL = "/desk/login/"
# The agents' desk: presence heartbeats expire after this many seconds without a refresh.
DESK_PRESENCE_TTL_SECONDS = env_int("DESK_PRESENCE_TTL_SECONDS", 30)
# How many rows the queue page shows (the API's maximum is 100).
DESK_QUEUE_ROWS = env_int("DESK_QUEUE_ROWS", 50)
# A public reply to an unassigned ticket from the desk assigns it to the replier.
DESK_ASSIGN_ON_REPLY = env_bool("DESK_ASSIGN_ON_REPLY", True)
# The languages the desk speaks to agents (their profile picks one; default English).
DESK_LANGUAGES = [("en", "English"), ("ru", "Русский")]

# --- Customer portal (magic-link sign-in; its own signed cookie, never a Django login) ------
PORTAL_LINK_TTL_MINUTES = env_int("PORTAL_LINK_TTL_MINUTES", 15)
# Sign-in links requested per email address and per client address in an hour (known or
# not: the limit answers alike, so it reveals nothing either).
PORTAL_LINKS_PER_HOUR = env_int("PORTAL_LINKS_PER_HOUR", 5)
PORTAL_LINKS_PER_HOUR_PER_IP = env_int("PORTAL_LINKS_PER_HOUR_PER_IP", 30)
PORTAL_SESSION_HOURS = env_int("PORTAL_SESSION_HOURS", 12)
