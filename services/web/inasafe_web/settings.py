"""Settings from the environment: SQLite by default, PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str) -> str:
    """The variable, or the default when it is unset or empty (compose passes unanswered questions as "")."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    # No fixed fallback: a key in the source signs anyone's session. A debug run or a pytest process
    # (pytest sets PYTEST_VERSION; pytest-django loads these settings before any test code runs) gets a
    # random key that lives as long as the process.
    if not (DEBUG or "PYTEST_VERSION" in os.environ):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is not set: give the web app a long random secret "
                                   "(DJANGO_DEBUG=1 runs without one, for development only)")
    SECRET_KEY = get_random_secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],web").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "events",
]

MIDDLEWARE = [
    "inasafe_web.middleware.HealthCheckMiddleware",  # first: answers /healthz before the allowed-hosts check
    "inasafe_web.middleware.RequestBodyLimitMiddleware",  # first: nothing may read a body it refuses
    "django.middleware.security.SecurityMiddleware",
    "inasafe_web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "inasafe_web.urls"
WSGI_APPLICATION = "inasafe_web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{os.environ.get('REALTIME_WEB_SQLITE', BASE_DIR / 'db.sqlite3')}", conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
LOCALE_PATHS = [BASE_DIR / "events" / "locale"]
TIME_ZONE = "UTC"
DISPLAY_TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # app static files are served straight from the apps; collectstatic is optional
warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic output in dev and tests
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MAX_UPLOAD_BYTES = int(float(os.environ.get("REALTIME_WEB_MAX_UPLOAD_MB", "50")) * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES
DATA_UPLOAD_MAX_NUMBER_FILES = 4  # the most files one request of the API carries (an earthquake report has 3)
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024  # all files of one request, plus its form fields
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Ash uploads (events.ash_upload): the checked GeoTIFF is copied here for the processor, which reads
# process_ash's ash_file_path only from its own REALTIME_HAZARD_DROP: mount one volume at the same path in both.
HAZARD_DROP = Path(env("REALTIME_HAZARD_DROP", str(BASE_DIR.parent.parent / "var" / "hazard-drop")))
ASH_MAX_PIXELS = int(float(env("REALTIME_ASH_MAX_PIXELS", "25000000")))  # cells the upload decodes and checks

LOGIN_REDIRECT_URL = "/realtime/"
REALTIME_GROUP = "Realtime REST User"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "events.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "events.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "InaSAFE Realtime API",
    "DESCRIPTION": (BASE_DIR / "inasafe_web" / "api_description.md").read_text(encoding="utf-8"),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,  # uploads appear as files in request bodies, URLs in answers
    # Swagger UI from drf-spectacular-sidecar under /static/: the docs work offline and load nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "docExpansion": "list",
                            "defaultModelsExpandDepth": 0},
}

# Celery: the web app's side of the processor contract (see inasafe_web/celery.py).
CELERY_BROKER_URL = os.environ.get("INASAFE_REALTIME_BROKER_URL", "redis://localhost:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("INASAFE_REALTIME_RESULT_BACKEND", CELERY_BROKER_URL)
FLOOD_SCHEDULE_MINUTE = os.environ.get("REALTIME_FLOOD_SCHEDULE_MINUTE", "0")
PROCESSOR_QUEUE = "inasafe-realtime"
WEB_QUEUE = "inasafe-django"
PROCESSOR_CHECK_SECONDS = float(os.environ.get("REALTIME_PROCESSOR_CHECK_SECONDS", "120"))  # beat sends a check
PROCESSOR_CHECK_TIMEOUT = float(os.environ.get("REALTIME_PROCESSOR_CHECK_TIMEOUT", "60"))  # unanswered: offline

# Where the public reads us: absolute links in feeds, CAP files, emails and webhooks that have no request.
SITE_URL = env("REALTIME_SITE_URL", "http://localhost:8000").rstrip("/")
# CAP sender (no spaces or commas) and the name shown to readers.
CAP_SENDER = env("REALTIME_CAP_SENDER", "inasafe-realtime@bnpb.go.id")
CAP_SENDER_NAME = env("REALTIME_CAP_SENDER_NAME", "InaSAFE Realtime (BNPB)")

# Email: Django's SMTP backend and its standard variables (EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other).
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = float(env("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "InaSAFE Realtime <realtime@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[InaSAFE Realtime] "  # mail_admins (events.operator_alerts); Django says "[Django] "
# Operators who get "processor silent" and "event failed" emails: "Name <a@b>, c@d".
ADMINS = [(address.split("<")[0].strip() or address.strip(), address.split("<")[-1].rstrip(">").strip())
          for address in os.environ.get("REALTIME_ADMINS", "").split(",") if address.strip()]

# Notifications (events.notify_rules): nothing for versions older than this, so reprocessing the archive
# spams nobody; operators hear when the processor has not answered for this long.
NOTIFY_MAX_AGE_HOURS = float(env("REALTIME_NOTIFY_MAX_AGE_HOURS", "8"))
PROCESSOR_SILENT_MINUTES = float(env("REALTIME_PROCESSOR_SILENT_MINUTES", "15"))
NOTIFY_SWEEP_SECONDS = float(env("REALTIME_NOTIFY_SWEEP_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
