"""Settings come from the environment (12-factor); see README "Configuration".

With no DATABASE_URL the embedded Postgres (pgserver) is used; with no REDIS_URL tasks run
in-process; with no EMAIL_URL mail is written to files under .data/mail. Defaults are safe for
production when DEBUG is off: secure cookies, HSTS, no default SECRET_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("BACKOFFICE_TESTING", False)

DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-never-use-in-production"
# Keys published somewhere (this repository, Django's startproject): never for production, where
# the key signs sessions and, without GATEWAY_ENCRYPTION_KEY, encrypts gateway credentials.
PLACEHOLDER_SECRET_KEYS = {
    DEVELOPMENT_SECRET_KEY,
    "change-me-in-production-use-a-long-random-string",  # docker-compose.yml's former default
    "build-only",
}


def secret_key_is_weak(key: str) -> bool:
    """A published placeholder, startproject's throwaway, or shorter/plainer than Django's own
    check (security.W009) accepts."""
    return (
        key in PLACEHOLDER_SECRET_KEYS
        or key.startswith("django-insecure")
        or len(key) < 50
        or len(set(key)) < 5
    )


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = DEVELOPMENT_SECRET_KEY
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
elif not (DEBUG or TESTING) and secret_key_is_weak(SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY is a placeholder or too weak for DEBUG off: set a random value of 50+ "
        'characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".'
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "backoffice.admin_site.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "axes",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "template_partials",
    "ninja",
    "js_lib_htmx",
    "core",
    "catalog",
    "customers",
    "promotions",
    "orders",
    "payments",
    "invoicing",
    "shipping",
    "purchasing",
    "notifications",
    "reports",
    # Back-office order entry (seed 003): above orders, beside purchasing (see README).
    "entry",
    # Last: its post_migrate hook builds the roles from every app's permissions.
    "backoffice",
]
# Seed, bench, demo data and the fault-test harness: `make run`, `make bench` and the tests turn
# them on; production leaves them out (the product never imports them).
if env_bool("BACKOFFICE_DEVTOOLS", False):
    INSTALLED_APPS.insert(INSTALLED_APPS.index("backoffice"), "devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "backoffice.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns django-axes' lockout into our login page with a message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
# Django's renderer, with its stock widgets written out in Python (core.forms.FormRenderer).
FORM_RENDERER = "core.forms.FormRenderer"
WSGI_APPLICATION = "backoffice.wsgi.application"
ASGI_APPLICATION = "backoffice.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backoffice.context_processors.store",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    from backoffice.embedded import database_url

    DATABASE_URL = database_url(BASE_DIR)
# Persistent connections without a per-request health check (a SELECT 1 on every request):
# Django discards a connection that failed at the end of the request that saw the error.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("Backoffice needs PostgreSQL (DATABASE_URL=postgres://...).")
# Server-side parameter binding, so that psycopg prepares a statement the connection has run
# DATABASE_PREPARE_THRESHOLD times and Postgres stops parsing and planning it on every request
# (a page's dozen ORM queries and the intake's are the same few statements again and again:
# measured at 1,000,000 orders, the order page's database time 6.1-7.0 -> 4.7 ms, the
# intake's 2.1 -> 1.5 ms). "off" turns both off (client-side binding, Django's default), for
# a transaction-pooling PgBouncer older than 1.21 (README, "Scaling out").
DATABASE_PREPARE_THRESHOLD = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5").strip().lower()
if DATABASE_PREPARE_THRESHOLD != "off":
    try:
        _threshold = int(DATABASE_PREPARE_THRESHOLD)
    except ValueError:
        raise ImproperlyConfigured(
            f"DATABASE_PREPARE_THRESHOLD must be a whole number or off, "
            f"not {DATABASE_PREPARE_THRESHOLD!r}."
        ) from None
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=max(0, _threshold)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Reporting replica (README "Reading from a replica") ------------------------------------
# A Postgres streaming replica of the database above: reports and exports read from it through
# core.replica.reporting_db() and explicit .using() (no router), everything else stays on the
# primary. Lagging more than REPLICA_MAX_LAG_SECONDS, or not answering, it is passed over for
# the primary with a note on the page; the check is remembered REPLICA_CHECK_SECONDS.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
REPLICA_MAX_LAG_SECONDS = env_seconds("REPLICA_MAX_LAG_SECONDS", 300)
REPLICA_CHECK_SECONDS = env_seconds("REPLICA_CHECK_SECONDS", 5)
# Seconds to wait for a connection to the replica (libpq's minimum is 2).
REPLICA_CONNECT_TIMEOUT = int(os.environ.get("REPLICA_CONNECT_TIMEOUT", "2"))
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=60,
        # A replica restarts more often than the primary (maintenance, failover): a request
        # checks its kept connection before the first use (a SELECT 1), so one dropped in
        # between is replaced instead of failing a report.
        conn_health_checks=True,
        # Behind a transaction-pooling PgBouncer (README "Reading from a replica").
        disable_server_side_cursors=env_bool("REPLICA_DISABLE_SERVER_SIDE_CURSORS", False),
    )
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL too.")
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "connect_timeout": REPLICA_CONNECT_TIMEOUT,
        **DATABASES["replica"].get("OPTIONS", {}),
    }
    # The test run has one database: the replica alias reads the test database itself.
    if TESTING:
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

# --- Celery / Redis -------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# kombu's Redis transport with a guard that keeps the worker alive through a broker outage.
CELERY_BROKER_TRANSPORT = "backoffice.broker:Transport" if REDIS_URL else None
CELERY_RESULT_BACKEND = None
# No broker configured: run tasks in-process (the embedded default of `make run`).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Longer than any retry delay, so Redis never re-delivers a task a worker still holds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = os.environ.get("STORE_TIMEZONE", "UTC")
CELERY_BEAT_SCHEDULE: dict = {
    # Re-hands outbox emails the broker never got (it was down) or a dead worker held.
    "notifications-sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": env_seconds("NOTIFICATIONS_SWEEP_INTERVAL", 30),
    },
    # Reads EDI vendors' outbound folders for 856 ship notices and records their shipments.
    "purchasing-ship-notices": {
        "task": "purchasing.tasks.ship_notices_poll",
        "schedule": env_seconds("PURCHASING_SHIP_NOTICE_POLL", 300),
    },
    # Deletes exports older than EXPORT_KEEP_DAYS, files and all.
    "reports-exports-prune": {"task": "reports.tasks.exports_prune_task", "schedule": 60 * 60},
}

# --- Cache ----------------------------------------------------------------------------------
# Redis when configured (shared by every process: sessions and permission sets stay coherent),
# else this process's memory (the embedded default runs one process).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Mail -----------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    vars().update(dj_email_url.parse(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / ".data" / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Backoffice <orders@example.com>")

# --- Notifications (the outbox) -------------------------------------------------------------
# Where links in customer emails point (download links, the tracking page).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
NOTIFICATIONS_MESSAGE_ID_DOMAIN = os.environ.get(
    "NOTIFICATIONS_MESSAGE_ID_DOMAIN",
    DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost",
)
# Seconds an email that fails transiently (a 4xx answer, no connection) is retried, counted
# from its first failure, as mail servers do; a 5xx answer fails it at once.
NOTIFICATIONS_RETRY_PERIOD = env_seconds("NOTIFICATIONS_RETRY_PERIOD", 24 * 60 * 60)
# Seconds: the first retry's wait, doubling up to the cap (kept under the broker's visibility
# timeout, so a task waiting for its retry is never redelivered).
# The fault tests shorten these (and the sweep's interval) through the environment.
NOTIFICATIONS_RETRY_BASE = env_seconds("NOTIFICATIONS_RETRY_BASE", 30)
NOTIFICATIONS_RETRY_MAX = env_seconds("NOTIFICATIONS_RETRY_MAX", 60 * 60)
NOTIFICATIONS_SMTP_TIMEOUT = env_seconds("NOTIFICATIONS_SMTP_TIMEOUT", 30)
# A `sending` claim older than this belongs to a dead worker; longer than any SMTP conversation.
NOTIFICATIONS_SENDING_LEASE = env_seconds("NOTIFICATIONS_SENDING_LEASE", 5 * 60)
# The sweep leaves freshly queued rows to their own hand-off for this long.
NOTIFICATIONS_SWEEP_GRACE = env_seconds("NOTIFICATIONS_SWEEP_GRACE", 60)
NOTIFICATIONS_SWEEP_BATCH = 500
# The sweep re-hands a waiting row only when its last hand-off is older than this.
NOTIFICATIONS_REHAND_AFTER = env_seconds("NOTIFICATIONS_REHAND_AFTER", 10 * 60)

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or client before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "backoffice.auth.CachedPermissionsBackend",
]
# Sign-in throttle (django-axes, attempts kept in the database): LOGIN_FAILURE_LIMIT failed
# sign-ins to one account, or from one client (any accounts), lock that account or client out
# for LOGIN_COOLOFF_MINUTES, even with the right password; a successful sign-in clears them.
# A store admin unlocks early with `manage.py axes_reset_username NAME`.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=max(1, int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15"))))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "backoffice.accounts.login_locked_out"
# Password-reset emails an hour: to one address, and requests from one client.
PASSWORD_RESET_LIMIT_PER_EMAIL = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_EMAIL", "3"))
PASSWORD_RESET_LIMIT_PER_CLIENT = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_CLIENT", "10"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "orders:list"
LOGOUT_REDIRECT_URL = "login"

# --- Store ----------------------------------------------------------------------------------
STORE_NAME = os.environ.get("STORE_NAME", "Backoffice Demo Store")
STORE_CURRENCY = os.environ.get("STORE_CURRENCY", "USD").upper()
STORE_CURRENCY_PLACES = int(os.environ.get("STORE_CURRENCY_PLACES", "2"))
# Encrypts gateway credentials at rest (a Fernet key); derived from SECRET_KEY when unset.
GATEWAY_ENCRYPTION_KEY = os.environ.get("GATEWAY_ENCRYPTION_KEY", "")
# Where a Stripe gateway may send its secret key (its API base URL): Stripe's API only; the
# tests add their local fake server. An origin without a port allows any port.
STRIPE_API_ORIGINS = ["https://api.stripe.com"]
# Where EDI vendors on a local folder (an AS2/VAN client on this host) have their inbound and
# outbound folders: <root>/<folder> as each vendor sets it.
PURCHASING_EDI_ROOT = Path(os.environ.get("PURCHASING_EDI_ROOT", BASE_DIR / ".data" / "edi"))
# Seconds an SFTP connection to a vendor may take to open or answer.
PURCHASING_SFTP_TIMEOUT = env_seconds("PURCHASING_SFTP_TIMEOUT", 20)
# How long a buyer's download links work (they are revoked at once by a rollback).
DOWNLOAD_LINK_DAYS = int(os.environ.get("DOWNLOAD_LINK_DAYS", "14"))
# How often an open back-office page asks whether new online orders came in (the nav badge).
NEW_ORDERS_POLL_SECONDS = int(os.environ.get("NEW_ORDERS_POLL_SECONDS", "15"))

# --- I18N / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("STORE_TIMEZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
# Uploaded and generated files (digital goods, exports): with several machines, a volume
# every web process and worker shares.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
if DEBUG or TESTING:
    # WhiteNoise serves from the finders here, but warns on a missing STATIC_ROOT.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Exports --------------------------------------------------------------------------------
# Up to these many rows an export streams in the request; more run on the worker with a
# progress bar (CSV streams at ~100,000 rows/s, XLSX is several times slower per row).
EXPORT_INLINE_MAX_ROWS_CSV = int(os.environ.get("EXPORT_INLINE_MAX_ROWS_CSV", 200_000))
EXPORT_INLINE_MAX_ROWS_XLSX = int(os.environ.get("EXPORT_INLINE_MAX_ROWS_XLSX", 20_000))
EXPORT_KEEP_DAYS = 7

# --- Security -------------------------------------------------------------------------------
# Behind a load balancer every request comes from its address: the client's is the entry
# TRUSTED_PROXY_COUNT places from the right of TRUSTED_PROXY_HEADER (each proxy appends the
# address it received from). 0: no proxy, REMOTE_ADDR is the client. Rate limits and the
# sign-in lockout key on it (core.throttling.client_ip).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "X-Forwarded-For")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^health/"]  # /health/ and /health/workers/

# Content-Security-Policy (django-csp) on every response: our pages load scripts and styles
# from our own origin only (no inline script, no style="" attributes); the email preview's
# sandboxed frame adds style-src-attr for the email's inline styles (notifications.views).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}},
}
