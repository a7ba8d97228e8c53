"""Settings of the salary-link portal: one file, driven by environment variables.

``DEBUG`` defaults to off. With only ``DEBUG=on`` the portal runs the *embedded default*:
SQLite, Celery tasks executed in-process after commit, the built-in Loket.nl sandbox, console
e-mail, the development keys. ``make run`` (scripts/run-embedded) sets ``DEBUG=on`` and
``CELERY_BROKER_URL=filesystem://`` and starts a worker with its beat, so that tasks and periodic
work run in the background as in production. Production leaves ``DEBUG`` off (the Dockerfile sets
it off too) and then must provide ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``CREDENTIALS_KEYS`` and
``LOKET_ENDPOINT``: nothing secret has a production default. Every variable is documented in
``.env.example``; a bad value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlparse

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_str
from deliveries import task_names as delivery_tasks
from employers import task_names as employer_tasks
from locket_client.wsdl import WSDL_PATH
from onboarding import task_names as onboarding_tasks
from webhooks import task_names as webhook_tasks

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless switched on: an image or a process started without DEBUG must not run with the
# published development keys and technical error pages. The embedded default (`make run`, the
# test suite through config.settings_test) sets DEBUG=on itself.
DEBUG = env_bool("DEBUG", default=False)

# --- secrets ---------------------------------------------------------------------------------
_DEV_SECRET_KEY = "insecure-development-only-key-never-used-with-debug-off"  # noqa: S105
if not DEBUG and env_str("SECRET_KEY") is None:
    raise ImproperlyConfigured(
        "De omgevingsvariabele SECRET_KEY moet gezet zijn: DEBUG staat standaard uit. "
        "Voor de ingebouwde ontwikkelstand: DEBUG=on (make run zet dat zelf)."
    )
SECRET_KEY = env_str("SECRET_KEY") or _DEV_SECRET_KEY
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY moet met DEBUG=off minstens 50 willekeurige tekens zijn."
    )

# Fernet keys for the Loket.nl passwords at rest, newest first (MultiFernet). Independent of
# SECRET_KEY so that either can be rotated alone. The development key below only ever encrypts
# the sandbox's published demo password.
_DEV_CREDENTIALS_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE="
CREDENTIALS_KEYS = env_list("CREDENTIALS_KEYS", default=[_DEV_CREDENTIALS_KEY] if DEBUG else [])
if not CREDENTIALS_KEYS:
    raise ImproperlyConfigured(
        "CREDENTIALS_KEYS moet met DEBUG=off gezet zijn (Fernet-sleutels, nieuwste eerst)."
    )
for _position, _key in enumerate(CREDENTIALS_KEYS, start=1):
    try:
        _decoded = base64.urlsafe_b64decode(_key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        _decoded = b""
    if len(_decoded) != 32:
        raise ImproperlyConfigured(
            f"CREDENTIALS_KEYS: sleutel {_position} is geen geldige Fernet-sleutel "
            "(32 bytes, url-safe base64)."
        )
if not DEBUG and _DEV_CREDENTIALS_KEY in CREDENTIALS_KEYS:
    raise ImproperlyConfigured(
        "CREDENTIALS_KEYS bevat de ontwikkelsleutel; die mag niet met DEBUG=off."
    )

# The key of the BSN's keyed hash (deliveries.bsn: HMAC-SHA256, for look-ups by BSN). Unlike
# CREDENTIALS_KEYS it cannot rotate without re-hashing every stored BSN, so it is its own setting;
# without it, a key derived from SECRET_KEY is used (then rotating SECRET_KEY needs BSN_HASH_KEY
# set to the old derived value first).
BSN_HASH_KEY = (
    env_str("BSN_HASH_KEY")
    or hmac.new(SECRET_KEY.encode("utf-8"), b"bsn-lookup-hash", hashlib.sha256).hexdigest()
)
if len(BSN_HASH_KEY) < 32:
    raise ImproperlyConfigured("BSN_HASH_KEY moet minstens 32 willekeurige tekens zijn.")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS moet met DEBUG=off gezet zijn.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "common.errors.csrf_failure"  # the portal's look, with a.s.r.'s contact

# --- applications ----------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # intcomma for counts people read: "10.000 werkgevers" in Dutch, "10,000 employers" in English.
    "django.contrib.humanize",
    "locket_client",
    "customers",
    "onboarding",
    "employers",
    "deliveries",
    "api",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.middleware.FormCharsetMiddleware",  # before anything reads a form body
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "onboarding.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.template.context_processors.i18n",
                "common.context_processors.asr_contact",
            ],
        },
    },
]

# --- database --------------------------------------------------------------------------------
try:
    DATABASES = {
        "default": environ.Env.db_url_config(
            env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
        )
    }
except (environ.ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is ongeldig: {type(exc).__name__}.") from None
if DATABASES["default"]["ENGINE"] not in (
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
):
    raise ImproperlyConfigured("DATABASE_URL: alleen postgres:// en sqlite:// worden ondersteund.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", default=60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default shares one SQLite file between the web process and the Celery worker.
    # WAL lets readers go on while one process writes; IMMEDIATE takes the write lock when a
    # transaction begins (SQLite has no SELECT ... FOR UPDATE), so two writers queue instead of
    # one failing with "database is locked" halfway; the timeout is how long one waits (seconds).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache / Redis ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery (policy in config/celery.py; here what the environment switches) -----------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# Unset: tasks run in this process, still only after the transaction that enqueued them has
# committed (services enqueue through transaction.on_commit). The tests run that way; `make run`
# sets filesystem:// (below) and starts a worker with its beat, as production has them.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
# filesystem:// is the embedded default's broker (scripts/run-embedded): each message is a file
# in CELERY_BROKER_FOLDER/queue, so no server is needed. Only one worker consumes it and a message
# leaves the folder when it is fetched, so nothing is ever handed out twice and Redis's
# visibility timeout does not apply; a message lost with its worker is enqueued again by the
# outbox sweeps, as with Redis.
CELERY_BROKER_IS_FILESYSTEM = (CELERY_BROKER_URL or "").startswith("filesystem://")
CELERY_BROKER_FOLDER = Path(
    env_str("CELERY_BROKER_FOLDER", default=str(BASE_DIR / ".run" / "broker"))
).resolve()
CELERY_TASK_EAGER_PROPAGATES = env_bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=300, minimum=10)
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=60)
# The longest countdown of any retry or delayed task (every backoff is capped at it).
CELERY_MAX_RETRY_DELAY = env_int("CELERY_MAX_RETRY_DELAY", default=1800, minimum=10)
# Redis hands an unacknowledged message out again after the visibility timeout. With acks_late a
# retried task's message stays unacknowledged for its countdown and then its run: both must fit.
# The filesystem broker never hands a message out again, so it has no visibility timeout.
if CELERY_BROKER_IS_FILESYSTEM:
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        # A fetched message is moved out of the queue folder and deleted once read (kept in
        # CELERY_BROKER_FOLDER/processed only when store_processed is on).
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if (
    not CELERY_BROKER_IS_FILESYSTEM
    and CELERY_VISIBILITY_TIMEOUT <= CELERY_MAX_RETRY_DELAY + CELERY_TASK_TIME_LIMIT
):
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({CELERY_VISIBILITY_TIMEOUT} s) moet groter zijn dan "
        f"CELERY_MAX_RETRY_DELAY ({CELERY_MAX_RETRY_DELAY} s) plus CELERY_TASK_TIME_LIMIT "
        f"({CELERY_TASK_TIME_LIMIT} s) = {CELERY_MAX_RETRY_DELAY + CELERY_TASK_TIME_LIMIT} s, "
        "anders levert Redis een taak die op een nieuwe poging wacht of nog loopt opnieuw af."
    )

# --- Loket.nl --------------------------------------------------------------------------------
LOKET_SANDBOX_ENABLED = env_bool("LOKET_SANDBOX_ENABLED", default=DEBUG)
LOKET_SANDBOX_PORT = env_int("LOKET_SANDBOX_PORT", default=8765, minimum=1)
if LOKET_SANDBOX_PORT > 65535:
    raise ImproperlyConfigured(f"LOKET_SANDBOX_PORT={LOKET_SANDBOX_PORT} is geen poortnummer.")
LOKET_WSDL = env_str("LOKET_WSDL", default=str(WSDL_PATH))
LOKET_ENDPOINT = env_str(
    "LOKET_ENDPOINT",
    default=f"http://127.0.0.1:{LOKET_SANDBOX_PORT}/loket/soap" if LOKET_SANDBOX_ENABLED else None,
)
if not LOKET_ENDPOINT:
    raise ImproperlyConfigured(
        "LOKET_ENDPOINT moet gezet zijn (zonder LOKET_SANDBOX_ENABLED is er geen standaard)."
    )
if not LOKET_ENDPOINT.startswith(("https://", "http://")):
    raise ImproperlyConfigured("LOKET_ENDPOINT moet een http(s)-adres zijn.")
_loket_host = urlparse(LOKET_ENDPOINT).hostname or ""
if (
    not DEBUG
    and not LOKET_ENDPOINT.startswith("https://")
    and _loket_host not in ("127.0.0.1", "localhost", "::1")
):
    # Plain http only to this machine's own sandbox: passwords never cross a network unencrypted.
    raise ImproperlyConfigured("LOKET_ENDPOINT moet met DEBUG=off een https-adres zijn.")
if not Path(LOKET_WSDL).is_file():
    raise ImproperlyConfigured(f"LOKET_WSDL wijst niet naar een bestand: {LOKET_WSDL}")
LOKET_TIMEOUT = env_float("LOKET_TIMEOUT", default=15.0, minimum_exclusive=0.0)
# Seconds a processor's view of Loket.nl (access info, visible employers) stays cached.
LOKET_VIEW_TTL = env_int("LOKET_VIEW_TTL", default=120, minimum=1)

# --- abuse limits (counters in Redis; see onboarding/ratelimit.py) ---------------------------
CHECKS_PER_IP_PER_HOUR = env_int("CHECKS_PER_IP_PER_HOUR", default=20, minimum=1)
CHECKS_PER_ACCOUNT_PER_HOUR = env_int("CHECKS_PER_ACCOUNT_PER_HOUR", default=6, minimum=1)
# The employers' request form: requests naming one KvK number per day (from any address).
EMPLOYER_REQUESTS_PER_KVK_PER_DAY = env_int(
    "EMPLOYER_REQUESTS_PER_KVK_PER_DAY", default=5, minimum=1
)
# Failed credential checks per Loket.nl account (omgevingscode + gebruikersnaam) per day, from
# whatever addresses: then further checks of it are refused without asking Loket.nl until the
# day ends (UTC) or a.s.r. lifts it in the admin ("Controlelimiet opheffen").
CHECK_FAILURES_PER_ACCOUNT_PER_DAY = env_int(
    "CHECK_FAILURES_PER_ACCOUNT_PER_DAY", default=10, minimum=1
)
# Failed checks per omgevingscode per day, over all its gebruikersnamen: spraying many usernames
# under one environment. Failed ones only (a passing check of a colleague never counts); three
# accounts' worth, so one colleague's trouble does not lock the others out.
CHECK_FAILURES_PER_OMGEVINGSCODE_PER_DAY = env_int(
    "CHECK_FAILURES_PER_OMGEVINGSCODE_PER_DAY", default=30, minimum=1
)
LOKET_CALLS_PER_MINUTE = env_int("LOKET_CALLS_PER_MINUTE", default=600, minimum=4)
# The part of LOKET_CALLS_PER_MINUTE open to checks of registrations not yet confirmed (anyone
# can start those); the rest is the portal's own (re-checks, links, deliveries), which therefore
# never waits on the public. A check costs two calls.
LOKET_CALLS_PER_MINUTE_PUBLIC = env_int("LOKET_CALLS_PER_MINUTE_PUBLIC", default=120, minimum=2)
if LOKET_CALLS_PER_MINUTE - LOKET_CALLS_PER_MINUTE_PUBLIC < 2:
    raise ImproperlyConfigured(
        "LOKET_CALLS_PER_MINUTE_PUBLIC moet minstens 2 kleiner zijn dan LOKET_CALLS_PER_MINUTE "
        "(de rest is voor de hercontroles)."
    )
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", default=5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", default=900, minimum=1)
# "Vernieuwen" on the Werkgevers page asks Loket.nl for every employer the user sees.
WERKGEVERS_REFRESHES_PER_MINUTE = env_int("WERKGEVERS_REFRESHES_PER_MINUTE", default=3, minimum=1)
# "Wachtwoord vergeten?": reset mails asked for one address, and requests from one client, per hour.
PASSWORD_RESETS_PER_EMAIL_PER_HOUR = env_int(
    "PASSWORD_RESETS_PER_EMAIL_PER_HOUR", default=3, minimum=1
)
PASSWORD_RESETS_PER_IP_PER_HOUR = env_int("PASSWORD_RESETS_PER_IP_PER_HOUR", default=20, minimum=1)
# The registration form: posts from one client per hour, counted before the form is validated.
REGISTRATIONS_PER_IP_PER_HOUR = env_int("REGISTRATIONS_PER_IP_PER_HOUR", default=30, minimum=1)
# Wrong portal passwords where the account asks for it again (new Loket.nl details, password
# change) before the account is locked out of those changes for LOGIN_LOCKOUT_SECONDS.
REAUTH_FAILURES_ALLOWED = env_int("REAUTH_FAILURES_ALLOWED", default=5, minimum=1)

# --- a.s.r.'s customer register ----------------------------------------------------------------
# The largest CSV file the admin's "Klantregister importeren" accepts (bytes); the command
# (manage.py import_customers) streams files of any size.
CUSTOMER_IMPORT_MAX_BYTES = env_int(
    "CUSTOMER_IMPORT_MAX_BYTES", default=50 * 1024 * 1024, minimum=1024
)

# --- periodic work (exactly one Celery beat) ----------------------------------------------------
# The task names come from each app's task_names module (import-free), their one home. The sweeps
# run every SWEEP_SECONDS so that lost work, a killed worker's links and unsent mails are taken
# up within a minute (each costs a few indexed queries); the digest gathers a minute of outcomes.
SWEEP_SECONDS = 20.0
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-checks": {
        "task": onboarding_tasks.SWEEP_PENDING_CHECKS,
        "schedule": SWEEP_SECONDS,
    },
    "sweep-registration-mails": {
        "task": onboarding_tasks.SWEEP_UNSENT_MAILS,
        "schedule": SWEEP_SECONDS,
    },
    "sweep-pending-links": {"task": employer_tasks.SWEEP_PENDING_LINKS, "schedule": SWEEP_SECONDS},
    "sweep-unsent-mails": {"task": employer_tasks.SWEEP_UNSENT_MAILS, "schedule": SWEEP_SECONDS},
    "send-due-digests": {"task": employer_tasks.SEND_DUE_DIGESTS, "schedule": 60.0},
    "expire-requests": {"task": employer_tasks.EXPIRE_REQUESTS, "schedule": 3600.0},
    "recheck-everything": {
        "task": employer_tasks.RECHECK_EVERYTHING,
        "schedule": crontab(hour=3, minute=15),
    },
    # Webhooks: collect new events into the outbox and hand out due messages.
    "sweep-webhooks": {
        "task": webhook_tasks.SWEEP,
        "schedule": float(env_int("WEBHOOK_SWEEP_SECONDS", default=30, minimum=5)),
    },
}

# --- e-mail ----------------------------------------------------------------------------------
try:
    globals().update(environ.Env.email_url_config(env_str("EMAIL_URL", default="consolemail://")))
except (environ.ImproperlyConfigured, KeyError, ValueError) as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is ongeldig: {type(exc).__name__}.") from None
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="salariskoppeling@asr.nl")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ASR_NOTIFY_EMAIL = env_str("ASR_NOTIFY_EMAIL", default="salariskoppeling-beheer@asr.nl")
# a.s.r.'s contact details for processors and employers: every page's footer, every mail and
# every error or dead-end page show them (common.context_processors.asr_contact).
ASR_CONTACT_EMAIL = env_str("ASR_CONTACT_EMAIL", default="salariskoppeling@asr.nl")
ASR_CONTACT_PHONE = env_str("ASR_CONTACT_PHONE", default="030 257 9111")
ASR_CONTACT_OPENS = env_str("ASR_CONTACT_OPENS", default="08:30")
ASR_CONTACT_CLOSES = env_str("ASR_CONTACT_CLOSES", default="17:00")
if "@" not in (ASR_CONTACT_EMAIL or ""):
    raise ImproperlyConfigured("ASR_CONTACT_EMAIL moet een e-mailadres zijn.")
if not re.fullmatch(r"\+?[0-9 ()-]{6,20}", ASR_CONTACT_PHONE or ""):
    raise ImproperlyConfigured(
        "ASR_CONTACT_PHONE moet een telefoonnummer zijn (cijfers en spaties)."
    )
for _name, _value in (
    ("ASR_CONTACT_OPENS", ASR_CONTACT_OPENS),
    ("ASR_CONTACT_CLOSES", ASR_CONTACT_CLOSES),
):
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", _value or ""):
        raise ImproperlyConfigured(f"{_name} moet een tijd zijn als 08:30.")
if ASR_CONTACT_OPENS >= ASR_CONTACT_CLOSES:
    raise ImproperlyConfigured("ASR_CONTACT_OPENS moet voor ASR_CONTACT_CLOSES liggen.")
# Absolute address of the portal, for links in e-mails (mails are sent by workers, not requests).
PORTAL_BASE_URL = (env_str("PORTAL_BASE_URL", default="http://127.0.0.1:8000") or "").rstrip("/")
if not PORTAL_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("PORTAL_BASE_URL moet een http(s)-adres zijn.")
LOGIN_URL = "onboarding:login"
LOGIN_REDIRECT_URL = "onboarding:dashboard"
# The processor's status page link (a bearer secret in the confirmation mails) stops working this
# many days after a.s.r. confirmed or rejected the registration; the page then says what to do.
STATUS_LINK_DAYS = env_int("STATUS_LINK_DAYS", default=90, minimum=1)
PASSWORD_RESET_TIMEOUT = env_int("ACTIVATION_LINK_SECONDS", default=3 * 24 * 3600, minimum=600)

# --- internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- security --------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
# Logged-in sessions (processors and staff) end after this long without a request, and this long
# after the login whatever happens (onboarding/middleware.py).
SESSION_IDLE_TIMEOUT_SECONDS = env_int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60, minimum=60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env_int(
    "SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 3600, minimum=300
)
if SESSION_IDLE_TIMEOUT_SECONDS > SESSION_ABSOLUTE_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "SESSION_IDLE_TIMEOUT_SECONDS mag niet groter zijn dan SESSION_ABSOLUTE_TIMEOUT_SECONDS."
    )
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
# Argon2 for every new or changed password; older hashes still verify and are rehashed as
# Argon2 at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Trust X-Forwarded-Proto only behind a proxy that overwrites it (never with gunicorn exposed).
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies whose X-Forwarded-For the portal believes (addresses or CIDR networks):
# the header is read only when the direct peer (REMOTE_ADDR) is one of them, and the client is
# the right-most address in it that is not one of them (onboarding.http.client_ip). Empty: the
# header is never read, every limit counts REMOTE_ADDR.
_trusted_proxies = []
for _entry in env_list("TRUSTED_PROXIES", default=[]):
    try:
        _trusted_proxies.append(ipaddress.ip_network(_entry, strict=False))
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_entry!r} is geen IP-adres of netwerk (CIDR)."
        ) from None
TRUSTED_PROXIES = tuple(_trusted_proxies)

# --- logging ---------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is geen logniveau.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    # Status and activation tokens are secrets in URL paths: "…" in every log line.
    "filters": {"redact_tokens": {"()": "common.logredact.RedactTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # zeep's own transport logging would print whole envelopes; our transport replaces it,
        # but keep the library quiet below WARNING whatever LOG_LEVEL says.
        "zeep": {"level": "WARNING"},
        # runserver's access log (`make run`) through the redacting handler; Django's default
        # sends it to a handler of its own, unfiltered.
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_tokens"],
        },
        # Django's own warnings name the path ("Not Found: /aanmelding/<token>/"); a filter on
        # the logger redacts the record before any handler (the console's, mail_admins) sees it.
        "django.request": {"filters": ["redact_tokens"]},
        "django.security.csrf": {"filters": ["redact_tokens"]},
    },
}

# --- staff accounts: admin login lockout and two-factor (staffauth/) -------------------------
# django-axes counts failed logins of the admin (/beheer/ only, see staffauth/lockout.py) per
# (username, client address): after ADMIN_LOGIN_FAILURES_ALLOWED failures that combination is
# refused for ADMIN_LOCKOUT_SECONDS (each further failure meanwhile starts the period again). A
# stranger thus locks only their own address out, never a staff member at theirs. Attempts are
# kept in the database (axes' AccessAttempt, in the admin under "Axes": delete one to unlock).
ADMIN_LOGIN_FAILURES_ALLOWED = env_int("ADMIN_LOGIN_FAILURES_ALLOWED", default=5, minimum=1)
ADMIN_LOCKOUT_SECONDS = env_int("ADMIN_LOCKOUT_SECONDS", default=900, minimum=60)
# Two-factor authentication (django-otp, TOTP app + one-time recovery codes) for every staff
# user before the admin opens. Always with DEBUG off; with DEBUG on (the demo) only when set.
STAFF_TWO_FACTOR_REQUIRED = env_bool("STAFF_TWO_FACTOR_REQUIRED", default=not DEBUG)
if not DEBUG and not STAFF_TWO_FACTOR_REQUIRED:
    raise ImproperlyConfigured("STAFF_TWO_FACTOR_REQUIRED kan met DEBUG=off niet uit.")
# Wrong codes (app or recovery) a staff user may type per period before the code page refuses.
STAFF_OTP_FAILURES_ALLOWED = env_int("STAFF_OTP_FAILURES_ALLOWED", default=5, minimum=1)
STAFF_OTP_LOCKOUT_SECONDS = env_int("STAFF_OTP_LOCKOUT_SECONDS", default=900, minimum=60)
# The name an authenticator app shows next to the account.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", default="a.s.r. Salariskoppeling")

INSTALLED_APPS += [
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "staffauth",
]
_auth_middleware = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE[_auth_middleware + 1 : _auth_middleware + 1] = [
    "django_otp.middleware.OTPMiddleware",
    "staffauth.middleware.StaffTwoFactorMiddleware",
]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # axes wants to be last
AUTHENTICATION_BACKENDS = [
    "staffauth.lockout.AdminLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ONLY_ADMIN_SITE = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = "staffauth.lockout.failure_limit"
AXES_COOLOFF_TIME = "staffauth.lockout.cool_off"
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "staffauth.lockout.AdminOnlyDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "onboarding.http.client_ip"
AXES_LOCKOUT_CALLABLE = "staffauth.views.locked_out"
AXES_VERBOSE = False

# --- deliveries (issue 14) ----------------------------------------------------------------------
# deliveries: the monthly (4-weekly, weekly) payroll data of every active link.
# Days after a period's last day before its delivery is started (the payroll run of the period
# may come a few days after it ends; a later correction is caught by the look-back re-read).
DELIVERY_DAYS_AFTER_PERIOD = env_int("DELIVERY_DAYS_AFTER_PERIOD", default=0, minimum=0)
# How long a worker holds a delivery it retrieves: another worker (the sweep) takes it over only
# after that, so a worker killed mid-delivery delays it by this much. Above a delivery's four
# Loket.nl calls of at most LOKET_TIMEOUT each.
DELIVERY_LEASE_SECONDS = env_int(
    "DELIVERY_LEASE_SECONDS", default=int(4 * LOKET_TIMEOUT) + 60, minimum=2
)
# Temporary Loket.nl trouble (STORING, timeouts, broken connections): retried after
# DELIVERY_RETRY_BASE_SECONDS x 2^(attempts-1), at most DELIVERY_RETRY_MAX_SECONDS, for as long
# as the link is active (nothing is lost while Loket.nl is down).
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", default=60, minimum=1)
DELIVERY_RETRY_MAX_SECONDS = env_int("DELIVERY_RETRY_MAX_SECONDS", default=3600, minimum=1)
# Loket.nl calls per minute of the deliveries to one Loket.nl environment (omgevingscode), on top
# of the portal's own budget (LOKET_CALLS_PER_MINUTE less the public part). A delivery makes
# three calls (four in the last period of a year); over budget it waits, it does not fail.
DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT = env_int(
    "DELIVERY_CALLS_PER_MINUTE_PER_ENVIRONMENT", default=240, minimum=4
)
# How often the beat plans the deliveries of closed periods (a new link is planned by the
# sweep within DELIVERY_SWEEP_SECONDS), and how often the sweep hands due deliveries to Celery.
DELIVERY_PLAN_SECONDS = env_int("DELIVERY_PLAN_SECONDS", default=900, minimum=10)
DELIVERY_SWEEP_SECONDS = env_int("DELIVERY_SWEEP_SECONDS", default=60, minimum=5)
# Wage data (employees, employments, wages, leave) of periods that ended more than this many
# months ago is deleted by the beat (daily); each deletion is recorded (RetentionRun).
DELIVERY_RETENTION_MONTHS = env_int("DELIVERY_RETENTION_MONTHS", default=24, minimum=1)
CELERY_BEAT_SCHEDULE |= {
    "plan-deliveries": {
        "task": delivery_tasks.PLAN_DELIVERIES,
        "schedule": float(DELIVERY_PLAN_SECONDS),
    },
    "sweep-deliveries": {
        "task": delivery_tasks.SWEEP_DELIVERIES,
        "schedule": float(DELIVERY_SWEEP_SECONDS),
    },
    "delete-old-wage-data": {
        "task": delivery_tasks.DELETE_OLD_WAGE_DATA,
        "schedule": crontab(hour=2, minute=45),
    },
}

# --- the API for a.s.r.'s systems (issue 14) ---------------------------------------------------
# A read-only JSON API under /api/v1/ (api/): OAuth2 client credentials (django-oauth-toolkit,
# applications managed by staff in the admin), scopes, per-client rate limits, RFC 9457 problem
# details for every error, an OpenAPI 3 schema (drf-spectacular) and a docs page.
INSTALLED_APPS += [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
]
# Every error under /api/ as application/problem+json, never the portal's HTML error pages
# (inside LocaleMiddleware: the titles follow Accept-Language).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware") + 1,
    "api.middleware.ProblemDetailsMiddleware",
)
# Requests per minute one client (OAuth application) may make; then 429 with Retry-After.
API_REQUESTS_PER_MINUTE_PER_CLIENT = env_int(
    "API_REQUESTS_PER_MINUTE_PER_CLIENT", default=600, minimum=1
)
# Seconds an access token of the client credentials grant is valid.
API_TOKEN_SECONDS = env_int("API_TOKEN_SECONDS", default=3600, minimum=60)
# Token requests per client address per hour (each checks a hashed secret); then 429.
API_TOKEN_REQUESTS_PER_IP_PER_HOUR = env_int(
    "API_TOKEN_REQUESTS_PER_IP_PER_HOUR", default=120, minimum=1
)
# The largest page a client may ask for (page_size); a larger one is refused with 400.
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", default=1000, minimum=1)
API_DEFAULT_PAGE_SIZE = min(100, API_MAX_PAGE_SIZE)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ClientCredentialsAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.HasScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "PAGE_SIZE": API_DEFAULT_PAGE_SIZE,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_METADATA_CLASS": None,  # OPTIONS describes nothing: the schema does
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
# DOT's own application model (named so that api.models can refer to it, as DOT advises).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read links, deliveries, employees, employments, wages and leave",
        "bsn": "Read the BSN of employees and look employees up by BSN",
    },
    "DEFAULT_SCOPES": ["read"],
    # Which scopes an application may get: "bsn" only when staff allowed it (api.models).
    "SCOPES_BACKEND_CLASS": "api.scopes.ClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": API_TOKEN_SECONDS,
    # Client credentials issue no refresh tokens; the rest follows RFC 9700 (the OAuth 2.0
    # security BCP): tokens stored hashed, never accepted in a query string, no implicit or
    # password grant, https redirect URIs only, PKCE required.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "a.s.r. Salariskoppeling API",
    "DESCRIPTION": (
        "Read-only API for a.s.r.'s systems: links, deliveries and the payroll data of a "
        "delivery (employees, employments, wages, leave). OAuth2 client credentials; scopes "
        "`read` and `bsn`. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/api/oauth/token/",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the sidecar package's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "LinkStatusEnum": "employers.models.LinkStatus",
        "DeliveryStatusEnum": "deliveries.models.DeliveryStatus",
    },
}


# --- webhooks (issue 14) -----------------------------------------------------------------------
# Subscribers' URLs must be https and resolve to public addresses only. On (development, the
# tests' local receiver) it also allows http and private, loopback and link-local targets.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# Seconds to connect, and to wait for each read of the answer, per attempt; a whole attempt is
# cut off after twice this, however slowly the receiver answers.
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", default=10.0, minimum_exclusive=0)
# A message is retried with exponential backoff (1, 2, 4, ... minutes, at most
# WEBHOOK_RETRY_MAX_DELAY_SECONDS apart) until this many hours after its first attempt.
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", default=24, minimum=1)
WEBHOOK_RETRY_MAX_DELAY_SECONDS = env_int(
    "WEBHOOK_RETRY_MAX_DELAY_SECONDS", default=3600, minimum=60
)
# The sweep looks this far back for events (links activated or ended, deliveries completed or
# failed): a transaction that commits late, or a beat that was down for a while, loses nothing.
WEBHOOK_EVENT_LOOKBACK_HOURS = env_int("WEBHOOK_EVENT_LOOKBACK_HOURS", default=48, minimum=1)
