"""Settings shared by every environment. Environment-specific modules override only what differs."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("TRACKER_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.TrackerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "csp",
    "axes",
    "simple_history",
    "common",
    "accounts",
    "pairing",
    "validation",
    "projects",
    "funds",
    "stats",
    "liaison",
    "reporting",
    "impact",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads a body: an oversized request is refused unread, in the reader's language.
    "common.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Audit history: the signed-in user (also an API token's) is recorded as the author of each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Sign-in lockout (django-axes): after LOGIN_FAILURE_LIMIT failed attempts for one username from one address, that
# pair is locked for LOGIN_LOCKOUT_MINUTES. API tokens are not affected.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

# Content-Security-Policy (django-csp), enforced on every page in every environment, so a violation breaks the
# browser tests (tests/browser/test_csp.py listens for them). Scripts come only from our static files — ECharts is
# vendored, Swagger UI comes from drf-spectacular-sidecar, no template has an inline script or event handler.
# `<style>` elements need the request's nonce (`<style nonce="{{ CSP_NONCE }}">`). Style *attributes* are allowed:
# ECharts writes its tooltips' markers with them and third-party templates (DRF's browsable API, the history pages)
# use them; they cannot run script, and any URL in them is held to img-src/font-src. A view that sets its own
# policy keeps it (the evaluation report's HTML allows no script at all: reporting/downloads.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

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
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# DATABASE_URL selects the database (postgres://…, sqlite:///path); without it, a SQLite file in var/.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first; English available through the Accept-Language header or the admin's language switch.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "config.staticfiles.AppDirectoriesFinder",  # leaves out the apps' files that are never served
]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REDIS_URL = env_str("REDIS_URL", "")

# The cache holds the API's throttle counters, so every process must see the same one: Redis when REDIS_URL is set
# (production refuses to start without it); a per-process memory cache is only good for one developer's server.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tracker",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------------------------------------
# With REDIS_URL the broker is Redis. Without it, kombu's filesystem transport: it needs no server and works across
# processes, so `celery worker --beat` still runs the scheduled jobs on a developer's machine.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    _queue_dir = VAR_DIR / "celery" / "queue"
    # The transport does not create its folder; a fresh checkout has none.
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
# The nightly gap recompute, the daily warnings and the monthly bulletins fan out (`fan_out`): one task per province
# or program, so that a second worker (or a second machine) shortens them.
CELERY_BEAT_SCHEDULE = {
    "pairings-close-expired": {
        "task": "pairing.tasks.close_expired_pairings_task",
        "schedule": crontab(hour=1, minute=10),
    },
    "gaps-recompute-nightly": {
        "task": "stats.tasks.recompute_growth_gaps_task",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"fan_out": True},
    },
    "warnings-refresh-daily": {
        "task": "projects.tasks.warnings_refresh_task",
        "schedule": crontab(hour=6, minute=0),
        "kwargs": {"fan_out": True},
    },
    "report-reminders-daily": {
        "task": "projects.tasks.report_reminders_task",
        "schedule": crontab(hour=8, minute=0),
    },
    # Last month's bulletin of every program, on the 1st (each one refreshes its program's warnings first).
    "bulletins-monthly": {
        "task": "projects.tasks.monthly_bulletins_task",
        "schedule": crontab(day_of_month=1, hour=7, minute=0),
        "kwargs": {"fan_out": True},
    },
    # Drafts of last year's surplus reward runs once the preliminary main-tax figures are usually in; a provincial
    # officer approves each one.
    # Export jobs' workbooks older than EXPORT_JOB_KEEP_DAYS, and their rows.
    "export-jobs-purge-daily": {
        "task": "common.tasks.export_jobs_purge_task",
        "schedule": crontab(hour=3, minute=40),
    },
    "reward-runs-year-end": {
        "task": "funds.tasks.reward_runs_year_end_task",
        "schedule": crontab(month_of_year=env_int("REWARD_RUN_MONTH", 2), day_of_month=1, hour=3, minute=0),
    },
}

# --- API ----------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Tokens first: an unauthenticated request then gets 401 with a WWW-Authenticate header, as API clients expect.
    # The named API tokens of reporting tools (`Bearer` or `Token` with a `trk_` key) are the only tokens: DRF's
    # per-user tokens (read-write, never expiring) are not accepted.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    # Requests per scope (DRF's `n/second|minute|hour|day`; `off` for no limit): anonymous callers by address,
    # signed-in users by user, reporting tools by named API token (accounts/throttling.py). 429 with Retry-After.
    # `auth_failure`: failed token sign-ins per address, past which the address's token requests are all refused.
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttling.AnonThrottle",
        "accounts.throttling.UserThrottle",
        "accounts.throttling.ApiTokenThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_RATE_ANON", "60/minute"),
        "user": env_rate("API_RATE_USER", "300/minute"),
        "api_token": env_rate("API_RATE_TOKEN", "1200/minute"),
        "auth_failure": env_rate("API_RATE_AUTH_FAILURE", "10/minute"),
    },
    # JSON and the browsable API, then the exports of lists (`?format=csv|xlsx`, common/api/renderers.py): the whole
    # filtered list rather than a page, offered on list operations only (406 elsewhere).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "common.api.renderers.CSVRenderer",
        "common.api.renderers.XLSXRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.api.renderers.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "common.api.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "common.api.exceptions.exception_handler",
}

# The most rows one export may hold, API list or admin changelist (common/exports.py); more is refused with a message.
# An export is written within its request: a CSV takes about 0.15 ms a row from the API and the admin. A workbook
# can only be sent once its last row is written (about 0.6 ms a row, openpyxl with lxml): up to
# EXPORT_MAX_XLSX_ROWS it is written at once (a second or so), beyond it by an export job (common/export_jobs.py).
EXPORT_MAX_ROWS = env_int("EXPORT_MAX_ROWS", 30_000)
EXPORT_MAX_XLSX_ROWS = env_int("EXPORT_MAX_XLSX_ROWS", 1_000)
# A CSV that streams (its rows read in chunks of EXPORT_CHUNK_SIZE as they are sent) keeps its memory flat (~130 MB
# for 99k projects), so its limit bounds time, not memory: how long one download holds a worker and a database
# connection. A sync gunicorn worker is still killed when one response takes longer than its timeout (30 s): 99k
# projects streamed in 48 s from the API and 71 s from the admin on a loaded 2-core host (docs/benchmarks.md,
# "National volume"), so a deployment exporting national lists runs gunicorn with a longer --timeout or gthread
# workers (whose timeout does not count a request's time), or lowers this limit.
EXPORT_MAX_STREAMED_ROWS = env_int("EXPORT_MAX_STREAMED_ROWS", 100_000)
EXPORT_CHUNK_SIZE = env_int("EXPORT_CHUNK_SIZE", 2000)
# A workbook with more rows than EXPORT_MAX_XLSX_ROWS is written by a worker instead (common/export_jobs.py): the
# request answers 202 with the job, whose owner follows its progress and downloads the file when it is done. A job
# holds at most EXPORT_JOB_MAX_ROWS rows (99k projects take 50 – 100 s), records its progress every
# EXPORT_JOB_PROGRESS_EVERY rows, and its file is deleted EXPORT_JOB_KEEP_DAYS days after it was asked for.
EXPORT_JOB_MAX_ROWS = env_int("EXPORT_JOB_MAX_ROWS", 200_000)
EXPORT_JOB_PROGRESS_EVERY = env_int("EXPORT_JOB_PROGRESS_EVERY", 5000)
EXPORT_JOB_KEEP_DAYS = env_int("EXPORT_JOB_KEEP_DAYS", 7)
# The evaluation report's PDF (reporting/evaluation/document.py, common/pdf.py): a report of more counties than
# EVALUATION_PDF_PART_COUNTIES is rendered in parts of that many counties, so that only a part's laid-out pages are in
# memory at a time, EVALUATION_PDF_PROCESSES at a time (each in a process forked from one PDF server process that has
# loaded WeasyPrint and the fonts). Two nearly halve the time on two cores; each holds its part's pages (about 50 MB
# for six counties). See docs/benchmarks.md.
EVALUATION_PDF_PART_COUNTIES = env_int("EVALUATION_PDF_PART_COUNTIES", 6)
EVALUATION_PDF_PROCESSES = env_int("EVALUATION_PDF_PROCESSES", 2)
# Seconds the parts of a report's PDF and their joining may take once its HTML is written (the 91-county report takes
# 15 – 20 s on two cores): past them its processes are killed and the report fails with that message, instead of a
# part that never ends holding a Celery worker for good.
EVALUATION_PDF_TIMEOUT = env_int("EVALUATION_PDF_TIMEOUT", 600)
# An API list's `count` is PostgreSQL's estimate (`count_estimated: true` in the page) when the list has no condition
# at all (a provincial role's unfiltered list) and its table holds at least this many rows: an exact COUNT(*) of a
# million progress reports costs more than the rest of the page. Filtered lists and a liaison's lists always count
# exactly. 0 estimates every unfiltered list; see docs/benchmarks.md ("National volume").
API_ESTIMATED_COUNT_FROM = env_int("API_ESTIMATED_COUNT_FROM", 50_000)

SPECTACULAR_SETTINGS = {
    "TITLE": "强县产业帮扶弱县 Tracker API",
    "DESCRIPTION": (
        "Read API of the strong-county / weak-county industrial assistance tracker. Money is in yuan as decimal "
        "strings; regions are keyed by their 6-digit adcode (GB/T 2260)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package's static files: no CDN, which the CSP forbids.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The default enum hook, then the 400/401/403/404/429 every operation can answer with (common/api/schema.py),
    # then each operation's recorded example (common/api/examples.py; `manage.py api_examples` records them).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api.schema.error_responses",
        "common.api.examples.response_examples",
    ],
    # Choice sets that share a field name (stage, kind) are named once each.
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "projects.models.Stage",
        "FundKindEnum": "funds.models.FundKind",
        "ParkKindEnum": "pairing.models.ParkKind",
        "SecondmentKindEnum": "projects.models.SecondmentKind",
        "EvaluationReportStatusEnum": "reporting.models.ReportStatus",
    },
}

LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

ADMIN_SITE_HEADER = _("强县产业帮扶弱县 tracker")

# --- Imports of statistics and pairings (stats/reading.py) ----------------------------------------------------------
# What one file may hold; beyond it the file is refused with the limit named, before it is read further. 200,000 rows
# cover every county-level unit of the country (about 2,850) for nine indicators over a year and its twelve months;
# their CSV is about 15 MB. An .xlsx's parts may unzip to IMPORT_MAX_UNZIPPED_BYTES at most (its XML is ~10× the zip).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 32_000_000)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 32)
IMPORT_MAX_UNZIPPED_BYTES = env_int("IMPORT_MAX_UNZIPPED_BYTES", 320_000_000)
# A file uploaded in the admin larger than this is imported by a background job (stats.ImportJob) with its progress
# shown, rather than within the request.
IMPORT_BACKGROUND_BYTES = env_int("IMPORT_BACKGROUND_BYTES", 1_000_000)

# --- Uploads ---------------------------------------------------------------------------------------------------------
# The largest request body accepted (common.middleware.RequestSizeLimitMiddleware; 413 beyond it): a liaison's report
# with its ten attachments of at most 10 MB (projects.reports), or one import file (IMPORT_MAX_BYTES), with room
# for the form. Each service checks its own files' size and type.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 110_000_000)
# Files in one request: a report takes at most ten attachments.
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 20)
