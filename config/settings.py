"""Settings of the portal, read from the environment through django-environ.

Every value a deployment may change is an environment variable (or a line in `.env`); the
defaults run the portal on one machine with SQLite and django-q2's ORM broker.
"""
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

# Core
# The development key lets a newcomer start the portal at once; production refuses it below.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key while DEBUG is off. Set SECRET_KEY to a long random "
        "value (python -c 'import secrets; print(secrets.token_urlsafe(50))') or set DEBUG=true "
        "for a local trial."
    )

INSTALLED_APPS = [
    "dashboard.apps.PortalAdminConfig",  # django.contrib.admin with the dashboard as its home page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "simple_history",
    "integrations",
    "mappings",
    "exports",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.LoginRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# Database
DATA_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the qcluster share one SQLite file. Write-ahead logging lets readers go on
    # while one writes; IMMEDIATE transactions take the write lock up front and wait for it (timeout)
    # instead of failing with "database is locked" when a read transaction later tries to write.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords, language, time
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The screens are in English; money, rates and dates follow the firm's locale and time zone
# (integrations/formats.py; config/formats makes Django's own date columns follow it too).
LANGUAGE_CODE = "en-gb"
PORTAL_LOCALE = env.str("PORTAL_LOCALE", default="nl_NL")
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

FORMS_URLFIELD_ASSUME_HTTPS = True  # transitional until Django 6 makes it the default

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# WhiteNoise serves the admin's files from STATIC_ROOT (`manage.py collectstatic` once per deploy), with
# hashed names cached for ever; a local trial serves them straight from the apps.
if not DEBUG:  # a local trial's runserver serves them itself
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if not DEBUG
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Security (production mode is DEBUG off)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Failed admin logins allowed per client address and per user name within the window (config/middleware.py).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# Behind a reverse proxy every request comes from the proxy: name the header it puts the client's address
# in (e.g. HTTP_X_FORWARDED_FOR), or one guesser would lock everybody out.
LOGIN_CLIENT_ADDRESS_HEADER = env.str("LOGIN_CLIENT_ADDRESS_HEADER", default="")

# Encryption keys
# django-fernet-encrypted-fields derives its keys from SECRET_KEY (and SECRET_KEY_FALLBACKS) and
# SALT_KEY. SALT_KEY may be a list: the first entry encrypts, every entry decrypts, so a new salt
# is put first and the old one kept after it until every credential is re-encrypted.
SALT_KEY = env.list("ENCRYPTION_SALT", default=["development-salt-do-not-use-in-production"])
if not DEBUG and SALT_KEY[0].startswith("development-salt"):
    raise ImproperlyConfigured(
        "ENCRYPTION_SALT is the development salt while DEBUG is off. Set ENCRYPTION_SALT to a "
        "long random value and keep it: without it the stored API keys cannot be read."
    )

# django-q2
# The ORM broker needs nothing else; REDIS_URL switches to Redis so several qcluster processes on
# several machines share one queue. `timeout` stays well below `retry` so a task is never handed to
# a second worker while the first may still run it.
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER = {
    "name": "portal",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=600),
    "retry": env.int("Q_RETRY", default=900),
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # The login failure counts (and the Odoo pick lists) shared by every web process.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "portal"}}
else:
    Q_CLUSTER["orm"] = "default"
if env.bool("Q_SYNC", default=False):
    Q_CLUSTER["sync"] = True

# Odoo
ODOO_TIMEOUT_SECONDS = (env.float("ODOO_CONNECT_TIMEOUT", default=5.0), env.float("ODOO_READ_TIMEOUT", default=60.0))
ODOO_MAX_RETRIES = env.int("ODOO_MAX_RETRIES", default=3)
# Plain http is refused for Odoo and Pleo except towards loopback hosts when this is on (local
# Odoo under development, the sandboxes).
ALLOW_HTTP_LOOPBACK = env.bool("ALLOW_HTTP_LOOPBACK", default=DEBUG)
# Hosts the firm explicitly allows over plain http (an on-premise Odoo inside its own network).
HTTP_ALLOWED_HOSTS = env.list("HTTP_ALLOWED_HOSTS", default=[])
# Hosts the portal may call although they resolve to a private, loopback or link-local address (an
# on-premise Odoo inside the firm's network). Every other host must resolve to public addresses only.
HTTP_PRIVATE_HOSTS_ALLOWED = env.list("HTTP_PRIVATE_HOSTS_ALLOWED", default=[])

# Pleo
# Pleo accepts attachments of at most 30 MB (pleo-api README §6.5); a larger receipt fails its item.
RECEIPT_MAX_BYTES = env.int("RECEIPT_MAX_BYTES", default=30 * 1024 * 1024)
PLEO_API_BASE_URL = env.str("PLEO_API_BASE_URL", default="https://external.pleo.io")
PLEO_TIMEOUT_SECONDS = (env.float("PLEO_CONNECT_TIMEOUT", default=5.0), env.float("PLEO_READ_TIMEOUT", default=60.0))
PLEO_MAX_RETRIES = env.int("PLEO_MAX_RETRIES", default=3)
# Where Pleo delivers its webhooks: the portal's address as Pleo reaches it (https in production), e.g.
# https://portal.firm.nl; unset, no client is subscribed and the poll alone finds new export jobs.
PORTAL_PUBLIC_URL = env.str("PORTAL_PUBLIC_URL", default="").rstrip("/")
if PORTAL_PUBLIC_URL and not DEBUG and not PORTAL_PUBLIC_URL.startswith("https://"):
    raise ImproperlyConfigured("PORTAL_PUBLIC_URL must be an https:// address outside local demo mode.")
# With an active webhook subscription the poll is the backstop for lost deliveries and runs this seldom.
PLEO_WEBHOOK_POLL_MINUTES = env.int("PLEO_WEBHOOK_POLL_MINUTES", default=30)

# Export history
# Days the export history is kept before the daily purge removes settled records (0: forever). Ten years
# by default, longer than the Dutch (7 years) and Danish (5 years) bookkeeping retention.
EXPORT_HISTORY_RETENTION_DAYS = env.int("EXPORT_HISTORY_RETENTION_DAYS", default=3653)
if EXPORT_HISTORY_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("EXPORT_HISTORY_RETENTION_DAYS must be 0 (keep forever) or a number of days.")
# Failed runs a Pleo export job gets (Odoo down, say) before its open expenses are failed in Pleo and the
# job is closed, so a dead Odoo is not retried forever; the expenses are retried from the export history.
EXPORT_MAX_JOB_ATTEMPTS = env.int("EXPORT_MAX_JOB_ATTEMPTS", default=5)
if EXPORT_MAX_JOB_ATTEMPTS < 1:
    raise ImproperlyConfigured("EXPORT_MAX_JOB_ATTEMPTS must be 1 or more.")
# Days back the daily drift check reads exported records from Odoo (cancelled, deleted, reset, changed).
EXPORT_DRIFT_CHECK_DAYS = env.int("EXPORT_DRIFT_CHECK_DAYS", default=90)
if EXPORT_DRIFT_CHECK_DAYS < 1:
    raise ImproperlyConfigured("EXPORT_DRIFT_CHECK_DAYS must be 1 or more.")

# Sandboxes: the stand-ins for Pleo and Odoo, for tests, demo and benchmarks only.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
if SANDBOX_ENABLED:
    if not DEBUG and not env.bool("SANDBOX_ALLOW_IN_PRODUCTION", default=False):
        raise ImproperlyConfigured("SANDBOX_ENABLED is for tests and demos: it needs DEBUG=true.")
    INSTALLED_APPS += ["sandbox", "sandbox.odoo", "sandbox.pleo"]

# Logging: method, endpoint, status and attempt of outgoing calls; never headers or credentials.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
