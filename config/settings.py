"""Portal settings, read from the environment.

Every variable has an embedded default that runs on a bare machine (SQLite,
private files on local disk, console email, Celery tasks run in-process).
With DEBUG off the portal refuses the unsafe ones (config/env.py). Any
variable NAME may be given as NAME_FILE, a file holding the value. The README
lists each variable with its default.
"""

import datetime
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import Env, refuse_unsafe, unsafe_findings

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()
if (BASE_DIR / ".env").is_file():
    Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
_DEFAULT_SECRET_KEY = "django-insecure-local-only-set-DJANGO_SECRET_KEY"  # noqa: S105 (refused in production)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEFAULT_SECRET_KEY)
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "common.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth's passkey list uses it.
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "pgtrigger",
    "phonenumber_field",
    "django_countries",
    "consultations",
    "uploads",
    "notifications",
    "staff_auth",
    "lifecycle",
]

MIDDLEWARE = [
    # First, so that every later middleware's log lines carry the request id.
    "common.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the size limit, so that its "too large" page is in the patient's
    # language too; the language comes from a cookie, not the session.
    "django.middleware.locale.LocaleMiddleware",
    # Staff pages and the admin are in English whatever the browser prefers.
    "consultations.middleware.StaffInEnglishMiddleware",
    "consultations.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "staff_auth.middleware.SignedInSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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
                "consultations.context_processors.clinic",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# A kept connection the server dropped while idle (failover, restart) is
# replaced at the start of the next request instead of failing its first query.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a Celery worker process in the tests can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache remembers the authenticator codes already used, so that a code
# cannot be replayed: with several web processes it must be shared (Redis).
PORTAL_CACHE_URL = env.str("PORTAL_CACHE_URL", default="")


def redis_cache(url: str) -> dict:
    """The Redis cache; the tests build theirs with this too."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        # A hung Redis fails a request (and the readiness probe) in seconds
        # instead of holding a web process.
        "OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 3},
    }


CACHES = {
    "default": (
        redis_cache(PORTAL_CACHE_URL)
        if PORTAL_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "staff_auth.validators.ClinicNameValidator"},
    {"NAME": "staff_auth.validators.VarietyValidator"},
]

# The patient's pages and messages are in English or Spanish: the browser's
# Accept-Language, or the switch on every patient page (a cookie), and for a
# sent request the language it was sent in (ConsultationRequest.language).
# Catalogues: locale/<lang>/LC_MESSAGES/django.po, compiled by scripts/_uv.sh.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A year: the patient's choice is not personal data, and outlives the session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("PORTAL_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Private storage for patients' photos -----------------------------------
# Photos never go to MEDIA_ROOT or any public location. With a bucket set they
# go to S3 (or any S3-compatible endpoint); otherwise to a local directory that
# no URL serves.
PRIVATE_FILES_ROOT = env.path("PORTAL_PRIVATE_FILES_ROOT", default=BASE_DIR / "var" / "private")
PRIVATE_URL_EXPIRY_SECONDS = env.int("PORTAL_PRIVATE_URL_EXPIRY_SECONDS", default=60)
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")


def private_storage_options(env: Env, **overrides) -> dict:
    """django-storages' S3 OPTIONS for the photos: private, encrypted, signed
    short-lived URLs. The tests build their bucket's storage with this too."""
    return {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=""),
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
        **overrides,
        "signature_version": "s3v4",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": env.int("PORTAL_PRIVATE_URL_EXPIRY_SECONDS", default=60),
        "file_overwrite": False,
        "custom_domain": None,
        "object_parameters": {"ServerSideEncryption": "AES256"},
    }


if AWS_STORAGE_BUCKET_NAME:
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": private_storage_options(env),
    }
else:
    _private_storage = {
        "BACKEND": "uploads.storage.LocalPrivateStorage",
        "OPTIONS": {"location": PRIVATE_FILES_ROOT},
    }

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": BASE_DIR / "var" / "media"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    "private": _private_storage,
}

# --- Upload limits ------------------------------------------------------------
PORTAL_MAX_PHOTOS = env.int("PORTAL_MAX_PHOTOS", default=8)
PORTAL_MAX_PHOTO_BYTES = env.int("PORTAL_MAX_PHOTO_BYTES", default=20_000_000)
PORTAL_MAX_PHOTO_PIXELS = env.int("PORTAL_MAX_PHOTO_PIXELS", default=60_000_000)
# A whole request may carry every photo at its limit plus the typed fields;
# anything larger is refused with a clear page before Django reads the body.
PORTAL_MAX_REQUEST_BYTES = env.int(
    "PORTAL_MAX_REQUEST_BYTES",
    default=PORTAL_MAX_PHOTOS * PORTAL_MAX_PHOTO_BYTES + 1024 * 1024,
)
# Files beyond PORTAL_MAX_PHOTOS get a field message from the form; this hard
# cap only stops requests that carry far more than any person would choose.
DATA_UPLOAD_MAX_NUMBER_FILES = PORTAL_MAX_PHOTOS * 4
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- The clinic ---------------------------------------------------------------
PORTAL_CLINIC_NAME = env.str("PORTAL_CLINIC_NAME", default="Harbour Plastic Surgery")
# How patients reach the clinic: shown on every patient page and in every email.
PORTAL_CLINIC_PHONE = env.str("PORTAL_CLINIC_PHONE", default="+1 202 555 0100")
PORTAL_CLINIC_EMAIL = env.str("PORTAL_CLINIC_EMAIL", default="care@clinic.example")
PORTAL_SITE_URL = env.str("PORTAL_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
PORTAL_PRIVACY_NOTICE_VERSION = env.str("PORTAL_PRIVACY_NOTICE_VERSION", default="2026-11")
PHONENUMBER_DEFAULT_REGION = env.str("PORTAL_PHONE_REGION", default="US")
PORTAL_MIN_AGE = 18

# The public form: posts per client address (django-ratelimit's "count/period",
# e.g. "10/h"), counted in the shared cache; beyond it the form is shown again
# with a 429 and what was typed. A patient fixing a few mistakes stays far below.
PORTAL_REQUEST_RATE_LIMIT = env.str("PORTAL_REQUEST_RATE_LIMIT", default="10/h")
# Photos sent in the background by the form's upload widget, per client
# address: a form takes PORTAL_MAX_PHOTOS, and a patient may replace a few.
PORTAL_PHOTO_UPLOAD_RATE_LIMIT = env.str("PORTAL_PHOTO_UPLOAD_RATE_LIMIT", default="60/h")
# Confirmation emails to one address in 24 hours; later ones are recorded but
# held back (cancelled, with the reason staff see), so nobody can use the form
# to flood a stranger's inbox.
PORTAL_CONFIRMATIONS_PER_ADDRESS_PER_DAY = env.int(
    "PORTAL_CONFIRMATIONS_PER_ADDRESS_PER_DAY", default=3
)

# --- Email ----------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@clinic.example")

# --- Celery ---------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# With no broker configured, tasks run in-process so a bare machine works.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# No lost tasks: a task is acknowledged only after it ran, and a task whose
# worker process died is handed back to the broker. Redis redelivers an
# unacknowledged task (or one waiting for its countdown) after the visibility
# timeout, so it must exceed the longest retry delay (checked below).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # A web request that publishes while the broker is down or hung gives up
    # within seconds: without socket_timeout a frozen Redis blocks the publish
    # (and the web worker) until gunicorn kills it. The sweeps publish later.
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}

# --- Notifications ----------------------------------------------------------------
# Every notification is a row in the database (notifications.Notification),
# written in the same transaction as the change that caused it, and delivered
# by a Celery task after commit. See notifications/services.py for the
# delivery semantics (retried only when nothing can have gone; at most once after
# the hand-over to the mail server or webhook, with a lease on the row being sent).
# Optional clinic inbox that also receives "new request" emails ("" = none).
PORTAL_CLINIC_NOTIFY_EMAIL = env.str("PORTAL_CLINIC_NOTIFY_EMAIL", default="")
# Chat webhook (Slack/Teams/Mattermost-style JSON POST) for staff ("" = off).
PORTAL_STAFF_WEBHOOK_URL = env.str("PORTAL_STAFF_WEBHOOK_URL", default="")
PORTAL_STAFF_WEBHOOK_TIMEOUT = env.int("PORTAL_STAFF_WEBHOOK_TIMEOUT", default=10)
# Pick any Django email backend by dotted path (e.g. an email provider's);
# empty keeps the backend that EMAIL_URL chose.
EMAIL_BACKEND = env.str("PORTAL_EMAIL_BACKEND", default="") or EMAIL_CONFIG["EMAIL_BACKEND"]
# SMTP must not hang a delivery longer than its lease.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Text messages to patients who chose them (notifications.transports.SmsTransport),
# through Twilio's Messages API. "twilio" once an account is set; without one,
# "console" with DEBUG (the demo prints each text, never the number) and "off"
# otherwise: then no text is recorded and every patient gets email.
PORTAL_SMS_ACCOUNT_SID = env.str("PORTAL_SMS_ACCOUNT_SID", default="")
PORTAL_SMS_AUTH_TOKEN = env.str("PORTAL_SMS_AUTH_TOKEN", default="")
PORTAL_SMS_FROM = env.str("PORTAL_SMS_FROM", default="")
PORTAL_SMS_MESSAGING_SERVICE_SID = env.str("PORTAL_SMS_MESSAGING_SERVICE_SID", default="")
PORTAL_SMS_API_URL = env.str("PORTAL_SMS_API_URL", default="https://api.twilio.com").rstrip("/")
PORTAL_SMS_TIMEOUT = env.int("PORTAL_SMS_TIMEOUT", default=10)
PORTAL_SMS_BACKEND = env.str(
    "PORTAL_SMS_BACKEND",
    default="twilio" if PORTAL_SMS_ACCOUNT_SID else "console" if DEBUG else "off",
)
# Twilio reports each text's delivery to PORTAL_SITE_URL/sms/status/<id>/,
# signed with the auth token; the case page then says "Delivered" or "Not delivered".
PORTAL_SMS_STATUS_CALLBACKS = env.bool("PORTAL_SMS_STATUS_CALLBACKS", default=True)
# Patients who chose text messages get the email too, unless the clinic says not.
PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT = env.bool(
    "PORTAL_EMAIL_PATIENTS_WHO_CHOSE_TEXT", default=True
)
if PORTAL_SMS_BACKEND not in ("twilio", "console", "off"):
    raise ImproperlyConfigured(
        f"PORTAL_SMS_BACKEND={PORTAL_SMS_BACKEND!r}: choose twilio, console or off."
    )
if PORTAL_SMS_BACKEND == "twilio":
    if not (PORTAL_SMS_ACCOUNT_SID and PORTAL_SMS_AUTH_TOKEN):
        raise ImproperlyConfigured(
            "Text messages through Twilio need PORTAL_SMS_ACCOUNT_SID and PORTAL_SMS_AUTH_TOKEN."
        )
    if not (PORTAL_SMS_FROM or PORTAL_SMS_MESSAGING_SERVICE_SID):
        raise ImproperlyConfigured(
            "Text messages need a sender: PORTAL_SMS_FROM or PORTAL_SMS_MESSAGING_SERVICE_SID."
        )
    if not PORTAL_SMS_API_URL.startswith(("https://", "http://")):
        raise ImproperlyConfigured("PORTAL_SMS_API_URL must be an http(s) URL.")
# Sends tried before a notification is marked failed (shown to staff).
PORTAL_NOTIFY_MAX_ATTEMPTS = env.int("PORTAL_NOTIFY_MAX_ATTEMPTS", default=8)
# Retry n waits base * 2**(n-1) seconds, at most PORTAL_NOTIFY_RETRY_MAX_SECONDS.
PORTAL_NOTIFY_RETRY_BASE_SECONDS = env.int("PORTAL_NOTIFY_RETRY_BASE_SECONDS", default=30)
PORTAL_NOTIFY_RETRY_MAX_SECONDS = env.int("PORTAL_NOTIFY_RETRY_MAX_SECONDS", default=60 * 60)
# How long a worker owns a row it is sending; after that the sweep may take it
# over. Longer than any send can take (EMAIL_TIMEOUT, webhook timeout, task limit).
PORTAL_NOTIFY_CLAIM_SECONDS = env.int("PORTAL_NOTIFY_CLAIM_SECONDS", default=10 * 60)
# The sweep re-publishes rows that have been due for longer than this.
PORTAL_NOTIFY_SWEEP_AFTER_SECONDS = env.int("PORTAL_NOTIFY_SWEEP_AFTER_SECONDS", default=120)
PORTAL_NOTIFY_SWEEP_INTERVAL_SECONDS = env.int("PORTAL_NOTIFY_SWEEP_INTERVAL_SECONDS", default=60)
# A request still waiting on the clinic after this many working days (Monday
# to Friday) is marked overdue in the queue.
PORTAL_QUEUE_OVERDUE_WORKING_DAYS = env.int("PORTAL_QUEUE_OVERDUE_WORKING_DAYS", default=2)
# How often beat looks for stranded photos (their age is set further down by
# PORTAL_PHOTO_REQUEUE_AFTER_SECONDS); the look is one indexed query.
PORTAL_PHOTO_REQUEUE_INTERVAL_SECONDS = env.int("PORTAL_PHOTO_REQUEUE_INTERVAL_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.notification_sweep_task",
        "schedule": float(PORTAL_NOTIFY_SWEEP_INTERVAL_SECONDS),
        # A sweep that waited longer than one interval is replaced by the next.
        "options": {"expires": float(PORTAL_NOTIFY_SWEEP_INTERVAL_SECONDS)},
    },
    # Photos whose processing task was never queued (broker down at submission).
    "photos-requeue-pending": {
        "task": "uploads.photos_requeue_pending",
        "schedule": float(PORTAL_PHOTO_REQUEUE_INTERVAL_SECONDS),
        "options": {"expires": float(PORTAL_PHOTO_REQUEUE_INTERVAL_SECONDS)},
    },
}
_longest_retry_delay = min(
    PORTAL_NOTIFY_RETRY_BASE_SECONDS * 2 ** max(PORTAL_NOTIFY_MAX_ATTEMPTS - 2, 0),
    PORTAL_NOTIFY_RETRY_MAX_SECONDS,
)
if max(_longest_retry_delay, PORTAL_NOTIFY_CLAIM_SECONDS) >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must exceed the longest notification retry delay "
        f"({_longest_retry_delay} s) and PORTAL_NOTIFY_CLAIM_SECONDS."
    )

# --- Photo processing -----------------------------------------------------------
# After a request is committed, a Celery task per photo writes upright,
# metadata-free renditions (review, display, thumbnail) and deletes the upload.
# Storage errors are retried with exponential backoff (with jitter, capped);
# when the retries run out the photo is marked failed with a reason staff see.
PORTAL_PHOTO_MAX_RETRIES = env.int("PORTAL_PHOTO_MAX_RETRIES", default=6)
PORTAL_PHOTO_RETRY_BACKOFF_SECONDS = env.int("PORTAL_PHOTO_RETRY_BACKOFF_SECONDS", default=10)
PORTAL_PHOTO_RETRY_BACKOFF_MAX_SECONDS = env.int(
    "PORTAL_PHOTO_RETRY_BACKOFF_MAX_SECONDS", default=600
)
# Photos still pending this long are queued again by the periodic task
# `uploads.photos_requeue_pending` (every PORTAL_PHOTO_REQUEUE_INTERVAL_SECONDS
# in CELERY_BEAT_SCHEDULE above). Keep it above the whole retry schedule (about 10 minutes with the
# defaults): re-queueing a photo that is still being retried is harmless, but
# starts a second chain of attempts.
PORTAL_PHOTO_REQUEUE_AFTER_SECONDS = env.int("PORTAL_PHOTO_REQUEUE_AFTER_SECONDS", default=15 * 60)
# Presigned photo URLs handed out by the staff photo view; short on purpose:
# the browser follows the redirect at once and nobody should bookmark them.
PORTAL_PHOTO_URL_EXPIRY_SECONDS = min(PRIVATE_URL_EXPIRY_SECONDS, 60)

# --- Private storage reconciliation ------------------------------------------------
# `uploads.storage_reconcile` deletes objects no row needs: uploads of requests
# that never committed, uploads of photos already processed, renditions of
# photos that no longer exist. Objects younger than the age below are never
# touched (a request may still be writing them): keep it well above the
# longest submission.
PORTAL_STORAGE_RECONCILE_INTERVAL_SECONDS = env.int(
    "PORTAL_STORAGE_RECONCILE_INTERVAL_SECONDS", default=60 * 60
)
PORTAL_STORAGE_ORPHAN_AFTER_SECONDS = env.int(
    "PORTAL_STORAGE_ORPHAN_AFTER_SECONDS", default=60 * 60
)
CELERY_BEAT_SCHEDULE["storage-reconcile"] = {
    "task": "uploads.storage_reconcile",
    "schedule": float(PORTAL_STORAGE_RECONCILE_INTERVAL_SECONDS),
    "options": {"expires": float(PORTAL_STORAGE_RECONCILE_INTERVAL_SECONDS)},
}

# --- Held photos ----------------------------------------------------------------
# Photos that passed validation on a form that needed correcting are kept for
# the patient (uploads.held), so nobody chooses a photo twice. Those never sent
# are deleted after this many hours by `uploads.held_uploads_expire`; the
# storage reconciliation counts them as referenced until then.
PORTAL_HELD_PHOTO_HOURS = env.int("PORTAL_HELD_PHOTO_HOURS", default=24)
CELERY_BEAT_SCHEDULE["held-uploads-expire"] = {
    "task": "uploads.held_uploads_expire",
    "schedule": 15 * 60.0,
    "options": {"expires": 15 * 60.0},
}

# --- Data lifecycle (lifecycle/, README "Data lifecycle") ------------------------
# Days a request is kept after it was marked spam or duplicate, or closed;
# `lifecycle.retention_apply` erases it after that, daily.
PORTAL_RETENTION_SPAM_DAYS = env.int("PORTAL_RETENTION_SPAM_DAYS", default=30)
PORTAL_RETENTION_DUPLICATE_DAYS = env.int("PORTAL_RETENTION_DUPLICATE_DAYS", default=30)
PORTAL_RETENTION_CLOSED_DAYS = env.int("PORTAL_RETENTION_CLOSED_DAYS", default=365)
# The patient's status link shows only "closed, contact the clinic" this many
# days after the case closed (at once after an erasure).
PORTAL_STATUS_LINK_DAYS_AFTER_CLOSE = env.int("PORTAL_STATUS_LINK_DAYS_AFTER_CLOSE", default=30)
if (
    min(PORTAL_RETENTION_SPAM_DAYS, PORTAL_RETENTION_DUPLICATE_DAYS, PORTAL_RETENTION_CLOSED_DAYS)
    < 1
):
    raise ImproperlyConfigured("PORTAL_RETENTION_*_DAYS must be at least 1.")
CELERY_BEAT_SCHEDULE["retention-apply"] = {
    "task": "lifecycle.retention_apply",
    "schedule": 24 * 60 * 60.0,
    "options": {"expires": 60 * 60.0},
}
# Stored objects of erased requests whose deletion failed are tried again.
CELERY_BEAT_SCHEDULE["object-deletions-run"] = {
    "task": "lifecycle.object_deletions_run",
    "schedule": 5 * 60.0,
    "options": {"expires": 5 * 60.0},
}

# --- Security -------------------------------------------------------------------
# Staff are signed out after this long without a request (shared workstations).
SESSION_COOKIE_AGE = env.int("PORTAL_SESSION_IDLE_SECONDS", default=60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# `__Host-` cookies are refused by browsers unless Secure, without Domain and
# on Path=/ (Django's defaults): no subdomain can set or shadow them.
PORTAL_HOST_PREFIX_COOKIES = env.bool("PORTAL_HOST_PREFIX_COOKIES", default=SESSION_COOKIE_SECURE)
if PORTAL_HOST_PREFIX_COOKIES:
    if not SESSION_COOKIE_SECURE:
        raise ImproperlyConfigured(
            "PORTAL_HOST_PREFIX_COOKIES needs secure cookies (DJANGO_SECURE_COOKIES=true)."
        )
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# Probes reach the processes over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A refused form is shown again with what was typed, on the portal's own page.
CSRF_FAILURE_VIEW = "consultations.csrf_failure.csrf_failure"
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# With DEBUG off the portal will not start on a bare machine's defaults: the
# public secret key, tasks inside the web process, mail that goes nowhere, a
# localhost site URL. A test server names what it accepts, e.g.
# PORTAL_ALLOW_UNSAFE=eager_tasks,local_site_url (config/env.py has the rules).
PORTAL_ALLOW_UNSAFE = env.list("PORTAL_ALLOW_UNSAFE", default=[])
if not DEBUG:
    refuse_unsafe(
        unsafe_findings(
            secret_key=SECRET_KEY,
            default_secret_key=_DEFAULT_SECRET_KEY,
            broker_url=CELERY_BROKER_URL,
            email_backend=EMAIL_BACKEND,
            site_url=PORTAL_SITE_URL,
            sms_backend=PORTAL_SMS_BACKEND,
        ),
        PORTAL_ALLOW_UNSAFE,
    )


# Content Security Policy: pages load nothing from any other host. Photos are
# the one exception: on S3 the checked photo view redirects to a presigned URL
# on the bucket's host, so that origin (only) may serve images.
def _photo_origins() -> list[str]:
    if not AWS_STORAGE_BUCKET_NAME:
        return []
    endpoint = urlsplit(env.str("AWS_S3_ENDPOINT_URL", default=""))
    if endpoint.netloc:
        origin = f"{endpoint.scheme}://{endpoint.netloc}"
        virtual_host = f"{endpoint.scheme}://{AWS_STORAGE_BUCKET_NAME}.{endpoint.netloc}"
        return [origin, virtual_host]
    region = env.str("AWS_S3_REGION_NAME", default="")
    hosts = [f"{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com"]
    if region:
        hosts += [
            f"{AWS_STORAGE_BUCKET_NAME}.s3.{region}.amazonaws.com",
            f"s3.{region}.amazonaws.com",
        ]
    return [f"https://{host}" for host in hosts]


# The admin is under the same policy: Django 5.2's admin loads its scripts and
# styles from files (its data rides in data- attributes), no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, *_photo_origins()],
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Browser features no page of the portal uses are switched off. The photo
# step's file input opens the phone's own camera app, which this header does
# not govern (`camera` is getUserMedia, which the portal never calls).
# Passkeys (WebAuthn) stay allowed on the portal's own pages.
PERMISSIONS_POLICY = {
    **{
        feature: []
        for feature in (
            "accelerometer",
            "autoplay",
            "bluetooth",
            "browsing-topics",
            "camera",
            "display-capture",
            "encrypted-media",
            "fullscreen",
            "geolocation",
            "gyroscope",
            "hid",
            "idle-detection",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "picture-in-picture",
            "screen-wake-lock",
            "serial",
            "usb",
            "xr-spatial-tracking",
        )
    },
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# --- Staff sign-in -------------------------------------------------------------
# django-allauth: username and password, then a second factor (an authenticator
# app or a passkey) that every staff account must have; the first sign-in
# enrols one (staff_auth.middleware). Accounts are created by the administrator.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ACCOUNT_ADAPTER = "staff_auth.adapter.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Wrong passwords are limited by axes and staff_auth.lockout (in the database,
# shared by every server process), not by allauth's per-process cache.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
MFA_ADAPTER = "staff_auth.adapter.StaffMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
# Staff accounts carry the clinic's address; nobody verifies it by email.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = PORTAL_CLINIC_NAME
# A code of the period before or after is accepted too (phones' clocks
# drift); each code still works once.
MFA_TOTP_TOLERANCE = 1
MFA_FORMS = {
    "authenticate": "staff_auth.forms.AuthenticateForm",
    "activate_totp": "staff_auth.forms.ActivateTOTPForm",
}
MFA_RECOVERY_CODE_COUNT = 10
MFA_TRUST_ENABLED = False
# Adding a factor needs a fully signed-in session (both factors, or the
# password of an account that has none yet), not a second password prompt:
# that prompt would greet every newcomer between sign-in and enrolment.
MFA_REAUTHENTICATION_REQUIRED = False
# Passkeys belong to PORTAL_SITE_URL's host name (staff_auth.adapter); browsers
# allow them on https and on http://localhost, not on http://127.0.0.1.

# Sessions: an idle timeout (the expiry moves with every request) and an
# absolute lifetime counted from sign-in (staff_auth.middleware).
PORTAL_SESSION_MAX_SECONDS = env.int("PORTAL_SESSION_MAX_SECONDS", default=12 * 60 * 60)

# The client's address (common/network.py): how many proxies we run in front
# of the portal, each appending to X-Forwarded-For. 0 = clients connect
# directly and the header is ignored.
PORTAL_TRUSTED_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=0)

# Lockout, two halves. Per address, across accounts (axes): after
# PORTAL_LOGIN_FAILURE_LIMIT wrong passwords the address is paused for
# PORTAL_LOGIN_COOLOFF_MINUTES. Per account, across addresses
# (staff_auth.lockout): a shorter pause, so that nobody can keep a
# coordinator out for long.
AXES_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("PORTAL_LOGIN_COOLOFF_MINUTES", default=60))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
# A success must not clear an address's count: one valid account would
# otherwise let its holder guess at the others without end.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "common.network.client_address"
PORTAL_LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("PORTAL_LOGIN_ACCOUNT_FAILURE_LIMIT", default=10)
PORTAL_LOGIN_ACCOUNT_WINDOW_MINUTES = env.int("PORTAL_LOGIN_ACCOUNT_WINDOW_MINUTES", default=15)

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "staff:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
LOGOUT_REDIRECT_URL = "account_login"

# --- Logs -----------------------------------------------------------------------
# One JSON object a line (time, level, logger, message, request_id) for a log
# shipper to read; plain text is easier on the eyes while developing. The
# request id comes from common/request_id.py (web) and config/celery.py (worker).
PORTAL_LOG_FORMAT = env.str("PORTAL_LOG_FORMAT", default="text" if DEBUG else "json")
if PORTAL_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"PORTAL_LOG_FORMAT must be json or text: {PORTAL_LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message", "request_id"],
            "timestamp": "time",
            "rename_fields": {"levelname": "level", "name": "logger"},
        },
        "text": {
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            "defaults": {"request_id": "-"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": PORTAL_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("PORTAL_LOG_LEVEL", default="INFO")},
}
