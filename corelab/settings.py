"""The one settings module, driven by environment variables (healthchecks style).

Defaults serve the README's quick start on a developer machine: local Postgres and Redis.
Production safety switches on with ``DEBUG=false``; the app refuses to start in that mode
with the development secret key.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_secret(name: str, default: str) -> str:
    """Read ``NAME_FILE`` when set (Docker secrets), else ``NAME``, else the default."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() == "true":
        return True
    if raw.lower() == "false":
        return False
    raise ImproperlyConfigured(f"{name} must be 'true' or 'false', not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def database_from_url(url: str) -> dict[str, object]:
    """``postgres://user:pass@host:port/name`` or ``sqlite:///path`` → a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if path.startswith("//"):
            path = path[1:]
        else:
            path = str(BASE_DIR / path.lstrip("/"))
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "corelab",
        "USER": unquote(parsed.username or "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "localhost",
        "PORT": str(parsed.port or 5432),
        # Persistent connections only pay off with a fixed pool of threads (gunicorn); the
        # development server starts a thread per request, and each would strand its own
        # connection (issue 12: 62 idle after 40 parallel requests). DEBUG → 0 by default.
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60),
        "CONN_HEALTH_CHECKS": True,
    }


DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_secret("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE) when DEBUG=false")

ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "adjudication",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Frames and frame grants are answered here, skipping the rest (adjudication/frames_shortpath.py)
    "adjudication.frames_shortpath.FrameShortPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "adjudication.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "corelab.urls"
WSGI_APPLICATION = "corelab.wsgi.application"

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
            ]
        },
    }
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", "postgres://postgres@localhost:5432/corelab")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Services own their transactions (atomic(durable=True)); an outer request transaction would
# make every durable block fail.
ATOMIC_REQUESTS = False

AUTHENTICATION_BACKENDS = ["adjudication.security.LockoutModelBackend"]
# Sign-in lockout (adjudication/security.py): after LOGIN_FAILURE_LIMIT failed passwords for
# one username *from one client address*, that username is locked for that address for
# LOGIN_LOCKOUT_S seconds; after LOGIN_ADDRESS_FAILURE_LIMIT failures from one address (any
# usernames) the address is locked. Signed-step password re-checks lock that step per user.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_LOCKOUT_S = env_int("LOGIN_LOCKOUT_S", 900)
# How many reverse proxies in front of the app append to X-Forwarded-For (nginx of
# docker-compose: 1). 0 → the client address is REMOTE_ADDR and X-Forwarded-For is ignored;
# N → the N-th address from the right, the one the outermost trusted proxy saw. Used by the
# lockout and by every DRF throttle (NUM_PROXIES below).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
# API tokens (adjudication/tokens.py): valid this many hours from sign-in; any number per user.
TOKEN_TTL_HOURS = env_int("TOKEN_TTL_HOURS", 12)
if TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured("TOKEN_TTL_HOURS must be at least 1")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
# The viewer bundle built by `npm run build`; served at static/viewer/.
VIEWER_DIST_DIR = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [("viewer", VIEWER_DIST_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "worklist"
LOGOUT_REDIRECT_URL = "login"

# Limits (units in names).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 2 * 1024**3)
PULLBACK_MAX_FRAMES = env_int("PULLBACK_MAX_FRAMES", 2000)
PULLBACK_MAX_ROWS = env_int("PULLBACK_MAX_ROWS", 2048)
PULLBACK_MAX_COLUMNS = env_int("PULLBACK_MAX_COLUMNS", 2048)
FRAME_CACHE_MAX_AGE_S = env_int("FRAME_CACHE_MAX_AGE_S", 3600)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024**2
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024**2

REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "adjudication.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Depth-limited JSON: a deeply nested body answers 400, never RecursionError (issue 12).
    "DEFAULT_PARSER_CLASSES": [
        "adjudication.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "adjudication.api.exceptions.exception_handler",
    # `?format=` names the export format (SPEC §9), not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("AUTH_THROTTLE_RATE", "20/min")},
    # Without it DRF keys throttles on the whole X-Forwarded-For header, which the client
    # writes: rotating it bypassed the token throttle (issue 12).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OCT core-lab adjudication API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PullbackStatusEnum": "adjudication.models.choices.PULLBACK_STATUS_CHOICES",
        "ReadStatusEnum": "adjudication.models.choices.READ_STATUS_CHOICES",
        "AdjudicationStatusEnum": "adjudication.models.choices.ADJUDICATION_STATUS_CHOICES",
    },
}

# Celery: Redis broker; tasks run eagerly in-process only when the dev fallback asks for it.
REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker dies (SIGKILL, OOM, a lost container) is still "unacknowledged" in
# Redis; another worker gets it back once it is older than visibility_timeout, checked every
# unacked_restore_interval seconds (kombu's default sweep is every 10 × 10 s). So a lost task
# re-runs within visibility + sweep ≈ 50 s. The hard time limit stays below the visibility
# timeout, so a task still running is never handed to a second worker (corelab/celery.py
# refuses to start otherwise).
#
# Two queues. Ingest and the automatic proposal (a large decode, a 540-frame image analysis:
# many seconds, minutes for long pullbacks) go to ``<queue>.heavy``; everything else (metrics,
# comparison, consensus, statistics) stays on ``<queue>``, so metrics never wait behind a
# decode. Heavy tasks need limits above a minute, which the light queue's "a lost task re-runs
# within a minute" forbids, so the worker's role decides (CELERY_WORKER_ROLE):
#   light  (-Q <queue>):        the limits above; visibility 45 s;
#   heavy  (-Q <queue>.heavy):  limits CELERY_HEAVY_*_TIME_LIMIT_S (10/11 min), its own
#          visibility (12 min) and its own unacked keys: its sweep only restores heavy
#          messages, and a light worker's sweep never touches them;
#   all    (the default, no -Q: consumes both queues, one visibility for both): the light
#          limits for every task (a single development worker; compose and `make run` start a
#          light and a heavy worker).
# Messages carry no time limits (corelab.celery.WorkerLimitsTask), so the worker that runs a
# task applies its own.
# A heavy task lost with its worker re-runs once the heavy visibility has passed (ingest and
# the proposal are fenced by their database claims, so a late re-run is harmless).
CELERY_WORKER_ROLE = env_str("CELERY_WORKER_ROLE", "all")
if CELERY_WORKER_ROLE not in ("all", "light", "heavy"):
    raise ImproperlyConfigured("CELERY_WORKER_ROLE must be all, light or heavy")
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "corelab")
CELERY_HEAVY_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}.heavy"
if CELERY_WORKER_ROLE == "heavy":
    CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_HEAVY_SOFT_TIME_LIMIT_S", 600)
    CELERY_TASK_TIME_LIMIT = env_int("CELERY_HEAVY_TIME_LIMIT_S", 660)
    CELERY_VISIBILITY_TIMEOUT_S = env_int("CELERY_HEAVY_VISIBILITY_TIMEOUT_S", 720)
    _UNACKED = CELERY_HEAVY_QUEUE
else:
    CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT_S", 30)
    CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT_S", 40)
    CELERY_VISIBILITY_TIMEOUT_S = env_int("CELERY_VISIBILITY_TIMEOUT_S", 45)
    _UNACKED = CELERY_TASK_DEFAULT_QUEUE
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, CELERY_HEAVY_QUEUE)
)
CELERY_TASK_ROUTES = {
    "adjudication.tasks.pullback_ingest": {"queue": CELERY_HEAVY_QUEUE},
    "adjudication.tasks.pullback_auto_annotate": {"queue": CELERY_HEAVY_QUEUE},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_S,
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL_S", 5),
    "unacked_restore_throttle": 1,
    "unacked_key": f"unacked:{_UNACKED}",
    "unacked_index_key": f"unacked_index:{_UNACKED}",
    "unacked_mutex_key": f"unacked_mutex:{_UNACKED}",
}
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# One cache shared by every process (lockout counters, frame-permission grants): Redis,
# except in the no-Redis development fallback.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if CELERY_TASK_ALWAYS_EAGER
        else {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "corelab"),
        }
    )
}

# Content-Security-Policy on every HTML page (adjudication.middleware).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- ingest and frames (issue 4) ---
# Decoding budget of one pullback: rows × columns × frames × samples × bytes per sample
# (decompression-bomb guard, checked from the header before any pixel is read).
PULLBACK_MAX_DECODED_BYTES = env_int("PULLBACK_MAX_DECODED_BYTES", 8 * 1024**3)
# Members one uploaded zip may hold (directories and skipped names included).
UPLOAD_MAX_ARCHIVE_MEMBERS = env_int("UPLOAD_MAX_ARCHIVE_MEMBERS", 2000)
# How long a cached frame permission grant lives (adjudication/frames_auth.py): losing access
# to a pullback takes effect for its frames within this many seconds.
FRAME_GRANT_TTL_S = env_int("FRAME_GRANT_TTL_S", 30)
# Production topology (deploy/nginx.conf.template, docker-compose.yml, bin/serve): the app authorises a
# frame request and answers X-Accel-Redirect to FRAMES_PROXY_LOCATION + <storage key>/…; nginx
# sends the file (an internal location aliased to MEDIA_ROOT/pullbacks/). Off: the app sends
# frame bytes itself (development, tests, a single process without a proxy).
FRAMES_VIA_PROXY = env_bool("FRAMES_VIA_PROXY", False)
FRAMES_PROXY_LOCATION = env_str("FRAMES_PROXY_LOCATION", "/_frames/")
# Raw DICOM uploads (Content-Type: application/dicom) written to a file by nginx itself
# (bin/serve): nginx stores the body under MEDIA_ROOT/incoming/ and passes the app the file's
# name with this token (X-Upload-File, X-Upload-Token); the app moves the file into staging
# instead of reading 50 MB through the proxy. Empty: off (the app reads the body). The token is
# what proves the name came from nginx: at least 32 letters, digits, '-' or '_'.
UPLOAD_PROXY_TOKEN = env_secret("UPLOAD_PROXY_TOKEN", "")
if UPLOAD_PROXY_TOKEN and not re.fullmatch(r"[A-Za-z0-9_-]{32,}", UPLOAD_PROXY_TOKEN):
    raise ImproperlyConfigured("UPLOAD_PROXY_TOKEN must be 32 or more letters, digits, - or _")
# Most frames one batched request (GET /api/v1/pullbacks/{id}/frames/?start=&count=) returns.
FRAMES_BATCH_MAX_COUNT = env_int("FRAMES_BATCH_MAX_COUNT", 64)
# Ingest progress (cache key per pullback) is written every this many frames.
INGEST_PROGRESS_EVERY_FRAMES = env_int("INGEST_PROGRESS_EVERY_FRAMES", 20)
# ... and at most once per this many milliseconds.
INGEST_PROGRESS_EVERY_MS = env_int("INGEST_PROGRESS_EVERY_MS", 500)
# Key of the keyed hash (HMAC-SHA256) that replaces DICOM UIDs at de-identification and
# fingerprints SOP Instance UIDs for the duplicate check (adjudication/dicom/deidentify.py):
# without it an original UID cannot be linked to its replacement. Default: derived from
# SECRET_KEY. Keep it stable: changing it changes every new replacement UID and hides
# duplicates of files ingested before the change.
DEIDENTIFY_UID_SECRET = env_secret("DEIDENTIFY_UID_SECRET", "")
