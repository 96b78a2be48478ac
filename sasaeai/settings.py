"""One settings module, read from the environment through helpers that refuse bad values.

SASAEAI_ENV chooses the profile: "development" (default: SQLite, demo-friendly),
"test" (fast hasher, locmem cache) or "production" (secrets required, Redis, HTTPS).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENVIRONMENT = env_str("SASAEAI_ENV", "development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"SASAEAI_ENV must be development, test or production: {ENVIRONMENT}"
    )
PRODUCTION = ENVIRONMENT == "production"
TESTING = ENVIRONMENT == "test"

DEBUG = env_bool("DEBUG", False)
if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production")
else:
    SECRET_KEY = env_str("SECRET_KEY", "development-only-key-" + "x" * 40)
# Keys the audit chain's entry hashes and signed checkpoints (audit.chain). Kept in the
# environment, never in the database, so that the database owner cannot re-hash the log.
if PRODUCTION:
    AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY")
    if len(AUDIT_HMAC_KEY) < 32:
        raise ImproperlyConfigured("AUDIT_HMAC_KEY must be at least 32 characters in production")
else:
    AUDIT_HMAC_KEY = env_str("AUDIT_HMAC_KEY", "development-only-audit-key-" + "x" * 16)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "sasaeai.admin_apps.SasaeaiAdminConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "axes",
    "sasaeai.core",
    "sasaeai.accounts",
    "sasaeai.audit",
    "sasaeai.plans",
    "sasaeai.resources",
    "sasaeai.consultation",
    "django_tasks",
    "django_tasks_db",
    "sasaeai.jobs",
    "sasaeai.tokens",
    "sasaeai.notifications",
    "sasaeai.notices",
    "sasaeai.surveys",
    "sasaeai.courses",
    "sasaeai.volunteers",
    "sasaeai.subscriptions",
    "sasaeai.watch",
    "sasaeai.commissioners",
    "sasaeai.disaster",
    "ninja",  # its static Swagger UI for the local API docs page (tokens:api_docs)
    "sasaeai.golive",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sasaeai.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "sasaeai.accounts.middleware.SessionLifetimeMiddleware",
    "sasaeai.accounts.middleware.LoginRequiredMiddleware",
    "sasaeai.accounts.middleware.ActorMiddleware",
    "sasaeai.tokens.middleware.TokenActorMiddleware",
    "sasaeai.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sasaeai.urls"
WSGI_APPLICATION = "sasaeai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sasaeai.core.context_processors.shell",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL chooses PostgreSQL in production.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{PROJECT_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60 if PRODUCTION else 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes concurrent writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
# The role the application connects as in production (neither owner nor superuser, so that
# row-level security applies to it). Migrations grant it its privileges when it exists.
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "sasaeai_app")
# PgBouncer in transaction pooling for the web processes (core.db): "session" (default: direct
# connections or session pooling) or "transaction". Commands and the worker connect directly
# and keep the default.
DATABASE_POOL_MODE = env_str("DATABASE_POOL_MODE", "session")
if DATABASE_POOL_MODE not in {"session", "transaction"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOL_MODE must be session or transaction, not {DATABASE_POOL_MODE!r}"
    )
# Requests that run outside the per-request transaction (the health check answers 503 itself).
DATABASE_POOL_EXEMPT_PATHS = {"/healthz"}
if DATABASE_POOL_MODE == "transaction":
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_POOL_MODE=transaction needs PostgreSQL")
    DATABASES["default"].update(
        # Views in a savepoint: an exception rolls their writes back (the request's outer
        # transaction, opened by ActorMiddleware, would otherwise commit them with the 500).
        ATOMIC_REQUESTS=True,
        # A named cursor lives in its server session; the next transaction may be elsewhere.
        DISABLE_SERVER_SIDE_CURSORS=True,
    )
    # Prepared statements belong to a server session too (PgBouncer 1.18 does not track them).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
# A streaming replica for report and statistics reads (core.db.replica_reads); optional.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_POOL_MODE == "transaction"
    # Tests with a replica URL read the test database through a second connection.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["sasaeai.core.db.ReplicaRouter"]
# manage.py backup: where dumps go and how many of the newest are kept there.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR") or PROJECT_DIR / "backups")
BACKUP_KEEP = env_int("BACKUP_KEEP", 14)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
elif PRODUCTION:
    raise ImproperlyConfigured("REDIS_URL is required in production (cache and sessions)")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Idle timeout: the cookie's age, renewed on every request. Absolute timeout: checked by
# SessionLifetimeMiddleware against the moment of login.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 10 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Password guessing (sasaeai/accounts/lockout.py). Locked per user name and address, so that a
# stranger cannot lock a colleague out (and a whole city hall behind one NAT address is not
# locked at once); a higher ceiling per user name over every address; a growing wait between
# tries from the same address.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "sasaeai.accounts.lockout.UserCeilingDatabaseHandler"
LOGIN_FAILURE_LIMIT_PER_USER = env_int("LOGIN_FAILURE_LIMIT_PER_USER", 50)
LOGIN_RETRY_DELAY_SECONDS = env_int("LOGIN_RETRY_DELAY_SECONDS", 2)
LOGIN_RETRY_DELAY_MAX_SECONDS = env_int("LOGIN_RETRY_DELAY_MAX_SECONDS", 60)
SILENCED_SYSTEM_CHECKS: list[str] = []
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sasaeai.accounts.views.lockout"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)

OTP_TOTP_ISSUER = "Sasaeai"

# Reminders (consultation_reminders) go through the municipality's internal mail server in
# production; in development they are printed, never sent.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "sasaeai@localhost")
# Invitations (accounts.invitations): the link in the mail points at SITE_URL and works once,
# for INVITATION_EXPIRY_DAYS days.
# Required in production: a default would send every invitation link to localhost.
SITE_URL = env_str("SITE_URL", None if PRODUCTION else "http://localhost:8000").rstrip("/")
INVITATION_EXPIRY_DAYS = env_int("INVITATION_EXPIRY_DAYS", 7)
# E-mail subscriptions (docs/subscriptions.md): how long a confirmation link works, the least
# time between two mails the public form sends to one address, the form's requests per hour
# from one sender, and the subscribers a mailing job reads and sends per batch.
SUBSCRIPTIONS_CONFIRM_DAYS = env_int("SUBSCRIPTIONS_CONFIRM_DAYS", 7)
SUBSCRIPTIONS_RESEND_MINUTES = env_int("SUBSCRIPTIONS_RESEND_MINUTES", 10)
SUBSCRIPTIONS_REQUESTS_PER_HOUR = env_int("SUBSCRIPTIONS_REQUESTS_PER_HOUR", 20)
SUBSCRIPTIONS_BATCH = env_int("SUBSCRIPTIONS_BATCH", 1000)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
# Where collectstatic writes (and WhiteNoise serves from in production).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or PROJECT_DIR / "staticfiles")
# Leaflet and its clustering plug-in come from their PyPI (XStatic) packages, served by the app.
STATICFILES_DIRS = [
    ("vendor/leaflet", xstatic.pkg.leaflet.BASE_DIR),
    ("vendor/leaflet-markercluster", xstatic.pkg.leaflet_markercluster.BASE_DIR),
]
# Development and tests serve straight from the apps' and packages' static folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            # WhiteNoise's hashed, compressed files, dropping references to missing source maps
            "sasaeai.core.storage.StaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "sasaeai.core.views.csrf_failure"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Hosts on closed municipal networks (LGWAN) cannot join the public preload list.
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Background jobs (docs/jobs.md) -----------------------------------------------------------
# django-tasks (Django's task framework, django.tasks from Django 6) with the database backend:
# queued work is rows in the same database as the data. `manage.py run_worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
JOBS_HEARTBEAT_SECONDS = env_int("JOBS_HEARTBEAT_SECONDS", 5)
# A running job whose heartbeat is older than this has lost its worker: queued again, or failed
# after JOBS_MAX_ATTEMPTS starts.
JOBS_STALE_SECONDS = env_int("JOBS_STALE_SECONDS", 120)
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 3)
JOBS_RESULT_DAYS = env_int("JOBS_RESULT_DAYS", 7)
# The nightly commands run by run_worker's scheduler, at these local times (TIME_ZONE, Asia/Tokyo).
JOBS_SCHEDULE = {
    # Presumed consent falling due and recipients' covered areas, before the metrics refresh.
    "register_nightly": env_str("JOBS_AT_REGISTER_NIGHTLY", "01:30"),
    "refresh_plan_metrics": env_str("JOBS_AT_REFRESH_PLAN_METRICS", "02:00"),
    "consultation_reminders": env_str("JOBS_AT_CONSULTATION_REMINDERS", "06:30"),
    "anonymise_expired_cases": env_str("JOBS_AT_ANONYMISE_EXPIRED_CASES", "03:00"),
    "send_notification_digest": env_str("JOBS_AT_SEND_NOTIFICATION_DIGEST", "07:00"),
    "prune_notifications": env_str("JOBS_AT_PRUNE_NOTIFICATIONS", "04:00"),
}

# --- Notifications (docs/notifications.md) ------------------------------------------------------
# Read notifications older than this are deleted nightly (prune_notifications); unread ones are
# kept NOTIFICATIONS_KEEP_UNREAD_DAYS (never less than the read ones), so that something that
# asked a member to act and was never opened is not lost during a long absence.
NOTIFICATIONS_KEEP_DAYS = env_int("NOTIFICATIONS_KEEP_DAYS", 180)
NOTIFICATIONS_KEEP_UNREAD_DAYS = max(
    env_int("NOTIFICATIONS_KEEP_UNREAD_DAYS", 730), NOTIFICATIONS_KEEP_DAYS
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {"axes": {"level": "WARNING"}},
}
