"""wpstrack settings: one flat module, every deployment choice read from the environment.

The variables are documented in the README ("Settings"); a test checks that each one read here
is listed there.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from wpstrack.lib.env import SettingError, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WPSTRACK_VAR_DIR") or BASE_DIR / "var")
PLANS_DIR = Path(env_str("WPSTRACK_PLANS_DIR") or BASE_DIR / "plans")

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """A key from the environment; in DEBUG a generated one kept in var/ so sessions survive."""
    configured = env_str("SECRET_KEY")
    if configured:
        if len(configured) < 50:
            raise SettingError("SECRET_KEY", "(hidden)", "use at least 50 random characters")
        return configured
    if not DEBUG:
        raise SettingError(
            "SECRET_KEY",
            None,
            "set SECRET_KEY to at least 50 random characters when DEBUG is off "
            "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(64))')",
        )
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])


def _database() -> dict[str, object]:
    default = f"sqlite:///{VAR_DIR / 'wpstrack.sqlite3'}"
    url = env_str("DATABASE_URL") or default
    scheme = url.split(":", 1)[0]
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise SettingError(
            "DATABASE_URL",
            url,
            "use sqlite:////absolute/path.sqlite3 or postgres://user:password@host:5432/name",
        )
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    except ValueError as error:
        raise SettingError("DATABASE_URL", url, f"{error}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        name = str(config["NAME"])
        if name and name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        # IMMEDIATE makes writers queue for the lock instead of failing half-way with
        # "database is locked"; WAL lets readers run beside one writer.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["CONN_MAX_AGE"] = 0
    elif not config.get("NAME"):
        raise SettingError(
            "DATABASE_URL", url, "add the database name after the host: .../wpstrack"
        )
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "wpstrack.admin_site.WpstrackAdminConfig",
    "django_htmx",
    "axes",
    "wpstrack.audit",
    "wpstrack.accounts",
    "wpstrack.frameworks",
    "wpstrack.reporting",
    "wpstrack.workbooks",
    "wpstrack.analysis",
    "wpstrack.reports",
    "wpstrack.rosters",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "wpstrack.lib.middleware.MethodNotAllowedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wpstrack.lib.middleware.SignInRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wpstrack.urls"
WSGI_APPLICATION = "wpstrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "wpstrack" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wpstrack.accounts.context_processors.navigation",
                "wpstrack.reporting.context_processors.demo_data",
            ],
        },
    },
]

# People: email is the login; the access module decides what each may see.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "wpstrack.lib.errorviews.csrf_failure"
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000") or ""
LOGIN_URL = "login"
# Reporting: a value that moves more than this share from the previous period needs a comment.
LARGE_CHANGE_SHARE = env_int("LARGE_CHANGE_PERCENT", 50, minimum=1) / 100
REMINDER_DAYS = env_int("REMINDER_DAYS", 7, minimum=1)
OUTLIER_METHOD = env_choice(
    "OUTLIER_METHOD", "modified-z", {"modified-z": "modified-z", "z": "z", "min-max": "min-max"}
)
# Spreadsheet uploads: refused above this size, and (for zip bombs) above these unpacked limits.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 10, minimum=1) * 1024 * 1024
WORKBOOK_MAX_UNPACKED_BYTES = env_int("WORKBOOK_MAX_UNPACKED_MB", 100, minimum=1) * 1024 * 1024
WORKBOOK_MAX_CELLS = env_int("WORKBOOK_MAX_CELLS", 1_000_000, minimum=1000)
# Long jobs (report builds): the database queue, worked by `wpstrack db_worker`; "immediate" runs
# them in the request (tests, or a single-process set-up).
TASKS = {
    "default": {
        "BACKEND": env_choice(
            "TASKS_BACKEND",
            "database",
            {
                "database": "django_tasks_db.DatabaseBackend",
                "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            },
        )
    }
}
# Rosters (person-level files): kept in ROSTER_DIR only until they are run. After a run the file
# is deleted at once unless ROSTER_RETENTION_HOURS says otherwise; an upload never run is deleted
# after ROSTER_UPLOAD_HOURS (by the next upload, or by `wpstrack purge-rosters`).
ROSTER_DIR = Path(env_str("ROSTER_DIR") or VAR_DIR / "rosters")
ROSTER_MAX_BYTES = env_int("ROSTER_MAX_MB", 2048, minimum=1) * 1024 * 1024
ROSTER_RETENTION_HOURS = env_int("ROSTER_RETENTION_HOURS", 0, minimum=0)
ROSTER_UPLOAD_HOURS = env_int("ROSTER_UPLOAD_HOURS", 24, minimum=1)
# Published reports: counts of sensitive metrics below this are suppressed (DISCLOSURE.md).
SUPPRESSION_THRESHOLD = env_int("SUPPRESSION_THRESHOLD", 5, minimum=2)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_HOURS", 72, minimum=1) * 3600

# Login throttling (django-axes): lock an account+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form field that holds the email
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "wpstrack.accounts.views_auth.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# HTTPS: on behind a TLS-terminating proxy in production (see README, Deployment).
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12, minimum=1) * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict policy: no inline script, no eval; htmx is served from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

EMAIL_BACKEND = env_choice(
    "EMAIL_BACKEND",
    "file" if DEBUG else "smtp",
    {
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "console": "django.core.mail.backends.console.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
    },
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "wpstrack <wpstrack@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "wpstrack" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "wpstrack" / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Compressed but not hashed: pages work whether or not collectstatic has run.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
