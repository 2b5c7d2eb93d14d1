"""Settings for the Dialogue Commitments Tracker.

One module, driven by environment variables only (see README.md, "Configuration").
Development is opted into with DJANGO_DEBUG=1; without it the settings are production settings
and refuse to start without a real DJANGO_SECRET_KEY.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production). "
            "For local development set DJANGO_DEBUG=1, as `make run` and `make test` do."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is too weak for production: use 50+ random characters.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# Country names as staff say them ("United States", not the ISO list's long form).
COUNTRIES_OVERRIDE = {"US": _("United States")}

INSTALLED_APPS = [
    "tracker.apps.TrackerAdminConfig",  # django.contrib.admin, with the tracker's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # Django's own widget templates, behind ours (FORM_RENDERER below)
    "django_htmx",
    "django_filters",
    "simple_history",
    "django_countries",  # country names, in both languages
    "axes",
    "import_export",  # spreadsheets in and out of the admin (tracker/imports/spreadsheets.py)
    "rest_framework",  # the JSON API under /api/v1/ (tracker/api/)
    "drf_spectacular",  # its OpenAPI schema
    "drf_spectacular_sidecar",  # the schema's browsable documentation, from our own static files
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware: picks the language from the cookie, else the
    # browser's Accept-Language (issue 15). URLs carry no language prefix.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets the language cookie to the person's stored choice on the response that logs them in.
    "tracker.language.RememberedLanguageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Deny by default: every view needs a login unless marked @login_not_required.
    "tracker.middleware.HtmxAwareLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records which user made each change for django-simple-history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers locked-out login attempts.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses logins for a locked-out username + address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the logged-in user through a query compiled once.
    "tracker.login_state.ModelBackend",
]

# Login throttling: 5 failures for one username from one address lock that pair out for a while.
AXES_FAILURE_LIMIT = int(os.environ.get("TRACKER_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("TRACKER_LOGIN_COOLOFF_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Content-Security-Policy: every script, style and image comes from this site; no inline script,
# no eval (htmx is configured for that in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% translate %} everywhere without a {% load i18n %} in each template.
            "builtins": ["django.templatetags.i18n"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",  # LANGUAGE_CODE, LANGUAGES for the switch
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.context_processors.follow_state",
            ],
        },
    },
]

# Form widgets render through the templates above, so that templates/django/forms/widgets/ (the
# same markup as Django's, one template per widget rather than one per option and attribute list)
# comes before Django's own: the commitment page's two forms took a fifth of its time to render.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "config.wsgi.application"

# Databases: an SQLite file next to manage.py unless DATABASE_URL says otherwise.
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config(conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: our queries are short, and compiling one the planner guesses is dear
        # (a commitment's related commitments as of a day, the overview's attention) takes longer
        # than running it: 22 of 24 ms measured at 10,000 commitments.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"-c jit=off {options.get('options', '')}".strip()
        # Parameters sent apart from the query, and a query run five times on a connection kept as a
        # prepared statement (psycopg's threshold), but a text search (config/postgresql.py): every
        # page's queries are the same few shapes, and planning them again for each request was most
        # of PostgreSQL's time. In the load test's mix, PostgreSQL's CPU per request 3.3 -> 2.2 ms,
        # Django's 12.8 -> 12.2 ms (the parameters are no longer quoted into the SQL). Behind a
        # pooler in transaction mode, prepared statements need its support (PgBouncer's
        # max_prepared_statements).
        from config.postgresql import Cursor

        options["server_side_binding"] = True
        options["cursor_factory"] = Cursor
        options["prepare_threshold"] = 5
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so concurrent writers
                # queue on the busy timeout instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            # Kept open between requests, as on PostgreSQL: opening one (the file, four PRAGMAs,
            # the functions Django registers) cost each request about 2 ms.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # Tests use a real file too (not Django's in-memory default), so concurrency tests
            # exercise the same locking as production.
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH", str(BASE_DIR / "test-db.sqlite3"))},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Sessions live in the database so several stateless app servers can share them (Django's database
# store, reading the session through a query compiled once: tracker/login_state.py).
SESSION_ENGINE = "tracker.login_state"
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_SECONDS", 8 * 60 * 60))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True

# British English is the default; "en-gb" falls back to the "en" entry below, so dates keep their
# English day-month-year formats. French readers get French formats ("30 juin 2022", "12,5 %").
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English reads the British formats (config/formats/en/formats.py), whatever English variant the browser asks for.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Evidence files (tracker/models/evidence.py) are the only files the app stores. They go to a private
# folder outside the project's static files, with no MEDIA_URL: they are served only by the evidence
# view, to logged-in users, as attachments. Or to an S3-compatible bucket through django-storages
# when TRACKER_EVIDENCE_S3_BUCKET is set (README, "Evidence files"); the view streams them from there too.
TRACKER_EVIDENCE_DIR = os.environ.get("TRACKER_EVIDENCE_DIR", str(BASE_DIR / "var" / "evidence"))
TRACKER_EVIDENCE_MAX_BYTES = int(os.environ.get("TRACKER_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))
EVIDENCE_STORAGE = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {
        "location": TRACKER_EVIDENCE_DIR,
        # Readable by the app's own user and group only: the files are not public.
        "file_permissions_mode": 0o640,
        "directory_permissions_mode": 0o750,
    },
}
if os.environ.get("TRACKER_EVIDENCE_S3_BUCKET"):
    EVIDENCE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["TRACKER_EVIDENCE_S3_BUCKET"],
            "endpoint_url": os.environ.get("TRACKER_EVIDENCE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("TRACKER_EVIDENCE_S3_REGION") or None,
            "location": os.environ.get("TRACKER_EVIDENCE_S3_PREFIX", "evidence"),
            # Private objects, never overwritten; credentials from the usual AWS_* variables or role.
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
STORAGES = {
    "default": EVIDENCE_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the source folders when collectstatic has not been run (development, tests).
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)
WHITENOISE_AUTOREFRESH = DEBUG

# Production hardening; each can be relaxed by environment for a plain-HTTP internal deployment.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating load balancer that sets X-Forwarded-Proto (see README).
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Tracker behaviour.
TRACKER_STALE_AFTER_DAYS = int(os.environ.get("TRACKER_STALE_AFTER_DAYS", 90))
# A commitment is due for review this many days after its latest update, unless its dialogue or the
# commitment itself says otherwise (rules.review_cadence_days); "due soon" is a due date or a review
# within TRACKER_DUE_SOON_DAYS.
TRACKER_REVIEW_EVERY_DAYS = int(os.environ.get("TRACKER_REVIEW_EVERY_DAYS", 90))
TRACKER_DUE_SOON_DAYS = int(os.environ.get("TRACKER_DUE_SOON_DAYS", 14))
TRACKER_PAGE_SIZE = int(os.environ.get("TRACKER_PAGE_SIZE", 25))
# The address people reach the site at, for links that leave it (calendar feeds, the digest's emails): those are
# read outside any request, so the request's own host cannot say it. No trailing slash.
TRACKER_SITE_URL = os.environ.get("TRACKER_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# How often calendar programs are asked to fetch a feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
TRACKER_CALENDAR_REFRESH_MINUTES = int(os.environ.get("TRACKER_CALENDAR_REFRESH_MINUTES", 60))
# How long computed page data (facet counts, overview figures) may be served from the cache. Any
# write through the app makes it out of date at once (tracker/caching.py); this only bounds how long
# a change made behind the app's back (raw SQL) can go unseen.
TRACKER_CACHE_SECONDS = int(os.environ.get("TRACKER_CACHE_SECONDS", 300))

# The weekly digest (manage.py send_digests, tracker/digests.py); its links start with TRACKER_SITE_URL.
# Items listed per dialogue and section of a digest; the rest are counted ("…and 12 more") and linked.
TRACKER_DIGEST_MAX_ITEMS = int(os.environ.get("TRACKER_DIGEST_MAX_ITEMS", 10))
# A digest claimed by a run that then died (killed, host lost) is sent by a later run once its claim
# is this old; a run that fails in an orderly way releases its claim at once (see tracker/digests.py).
TRACKER_DIGEST_CLAIM_MINUTES = int(os.environ.get("TRACKER_DIGEST_CLAIM_MINUTES", 30))

# Email, from the environment. With EMAIL_HOST set: SMTP to it. Without it: the console in
# development (DJANGO_DEBUG=1), and in production SMTP to localhost:25 (a local relay), Django's own
# default. EMAIL_BACKEND overrides all of that (e.g. the file backend for a dry run).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A mail server that stops answering fails the message (retried by the next run), not the run.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 30))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Commitments Tracker <tracker@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Spreadsheets imported in the admin (django-import-export). The admin offers CSV and XLSX only; a
# file with any bad row imports nothing (every import runs in one transaction); importing needs the
# add permission (and change, but for the append-only trail: see tracker/admin.py).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# The library's own escaping drops a leading "=" (the text changes, and every cell becomes text):
# tracker/imports/spreadsheets.py guards formulas itself, reversibly, so an export imports back.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# Control characters that XLSX cannot hold become "�" instead of failing the whole export.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
# Bounds on one imported file: bigger files are refused with a message saying how to split them.
TRACKER_IMPORT_MAX_ROWS = int(os.environ.get("TRACKER_IMPORT_MAX_ROWS", 20000))
TRACKER_IMPORT_MAX_MEGABYTES = int(os.environ.get("TRACKER_IMPORT_MAX_MEGABYTES", 10))

# The JSON API (tracker/api/). Every endpoint needs a logged-in user; writes check the model
# permissions the pages check.
# Requests one API client (a token, or a logged-in user) may make; beyond it, 429 with Retry-After.
# "<n>/<second|minute|hour|day>". A benchmark that drives one token hard raises it for its run.
TRACKER_API_RATE = os.environ.get("TRACKER_API_RATE", "1200/minute")
REST_FRAMEWORK = {
    # A personal token (Authorization: Bearer) first, then the browser's session, which enforces CSRF
    # on writes (tracker/api/authentication.py).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tracker.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per token, per session user, per address for the rest, at TRACKER_API_RATE (tracker/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["tracker.api.throttling.APIRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every error as RFC 9457 problem details (tracker/api/errors.py).
    "EXCEPTION_HANDLER": "tracker.api.errors.problem_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dialogue Commitments Tracker API",
    "DESCRIPTION": "Read the tracker's dialogues, objectives, agencies and commitments; post status updates.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its documentation need a login like every page.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}


def page_cache(url: str) -> dict:
    """The page cache: on local disk by default, shared by every worker process on this machine (and
    kept over restarts); in Redis when TRACKER_CACHE_URL names a server, so several app hosts share
    what one computed. Either way entries are keyed by a token read from the database on every
    request, so a write makes them unreachable at once in every process and on every host."""
    if not url:
        return {
            # Django's FileBasedCache, but not listing the directory on every write (config/cache.py).
            "BACKEND": "config.cache.FileCache",
            "LOCATION": os.environ.get("TRACKER_CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            "TIMEOUT": TRACKER_CACHE_SECONDS,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "TRACKER_CACHE_URL must be a Redis address (redis://host:6379/0, rediss://… or unix:///path), "
            f"not {url.split('://')[0]!r}."
        )
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "TIMEOUT": TRACKER_CACHE_SECONDS,
        # Several trackers may share one Redis server: each keeps to its own keys.
        "KEY_PREFIX": os.environ.get("TRACKER_CACHE_PREFIX", "tracker"),
    }


CACHES = {"default": page_cache(os.environ.get("TRACKER_CACHE_URL", ""))}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of every PDF at INFO; and warns of every screen-only rule in app.css: only its errors are worth reading.
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "WARNING"}},
}
