"""MIAM settings: the one settings module, configured from the environment.

Everything a deployment changes is read here, once, with a typed default. With no
``DATABASE_URL`` MIAM runs on an SQLite file; with no ``REDIS_URL`` Celery runs
tasks eagerly in the web process (the embedded default for newcomers and demos).
"""

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no setting; anything else than those words is a mistake to stop on, not False."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r}: say {', '.join(sorted(TRUE_WORDS))} or {', '.join(sorted(FALSE_WORDS))}."
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
# The development key only exists for DEBUG=1 (the demo), the test suite and the offline
# commands below; anything else with DEBUG off refuses to start without a real SECRET_KEY.
# The deploy check (miam.checks) also fails on any of these placeholders.
DEVELOPMENT_SECRET_KEY = "django-insecure-miam-local-development-key-change-me"  # noqa: S105 (a known placeholder)
PLACEHOLDER_SECRET_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        "change-me-to-a-long-random-string-of-at-least-fifty-characters-please",  # .env.example
        "build-only",  # the Dockerfile's collectstatic
    }
)
# Commands that read the code, never serve or send anything: they may run without a key.
OFFLINE_COMMANDS = frozenset(
    {"makemigrations", "makemessages", "compilemessages", "collectstatic", "check", "help", "version"}
)


def is_placeholder_secret_key(key: str) -> bool:
    lowered = key.strip().lower()
    return not lowered or key in PLACEHOLDER_SECRET_KEYS or "change-me" in lowered or "changeme" in lowered


def _may_run_without_secret_key() -> bool:
    if "pytest" in sys.modules:  # the test suite: its own throw-away data
        return True
    argv = sys.argv
    return len(argv) > 1 and Path(argv[0]).name == "manage.py" and argv[1] in OFFLINE_COMMANDS


SECRET_KEY = env_str("SECRET_KEY")
if is_placeholder_secret_key(SECRET_KEY):
    if not DEBUG and not _may_run_without_secret_key():
        raise ImproperlyConfigured(
            "SECRET_KEY is missing or is a placeholder while DEBUG is off: set SECRET_KEY to a long "
            "random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "miam.admin_site.MiamAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "dsfr",
    "django_htmx",
    "widget_tweaks",
    "leaflet",
    "axes",
    "csp",
    "miam",
    "products",
    "actors",
    "offers",
    "meetings",
    "initiatives",
    "indicators",
    "interop",
    "agreements",
    "logistics",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "miam.middleware.RejectNulCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "miam.middleware.UserLanguageMiddleware",
    "miam.middleware.PreparedApiReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "miam.urls"
WSGI_APPLICATION = "miam.wsgi.application"

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
                "miam.context_processors.miam",
                "miam.context_processors.navigation",
            ],
            "builtins": ["miam.formatting"],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "actors.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out account or address first
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Abuse of the login and reset forms (actors/abuse.py, docs/security.md) -------------
#: How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the header is
#: ignored). Every limit (axes, password resets, the API's throttles) counts the address
#: ``miam.client_address`` reads with it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# django-axes: AXES_FAILURE_LIMIT failed logins for one account, or from one address, lock
# that account or address out for AXES_COOLOFF_MINUTES (site login and admin alike).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login forms' field (it holds the e-mail)
AXES_USERNAME_CALLABLE = "actors.abuse.normalized_username"
AXES_CLIENT_IP_CALLABLE = "miam.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "actors.abuse.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept (for the lockout), successes are not
AXES_VERBOSE = False
# Password-reset e-mails: at most this many requests per address, and per client address,
# in one window.
PASSWORD_RESET_LIMIT_PER_EMAIL = env_int("PASSWORD_RESET_LIMIT_PER_EMAIL", 3)
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 10)
PASSWORD_RESET_LIMIT_WINDOW_SECONDS = env_int("PASSWORD_RESET_LIMIT_WINDOW_SECONDS", 3600)
ABUSE_CACHE_PREFIX = "abuse"  # the counters' cache keys (each test gets its own)

# --- Languages ------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["miam.formats"]  # English dates in the British way (miam/formats/en)
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("STATIC_MANIFEST", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
UPLOAD_MAX_IMAGE_BYTES = env_int("UPLOAD_MAX_IMAGE_BYTES", 5 * 1024 * 1024)
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000)  # 40 megapixels
# Serve MEDIA_URL (photos) from the app itself (miam.views.media): on by default, as in
# docker-compose and the README's gunicorn recipe; 0 when a web server in front serves MEDIA_ROOT.
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=True)

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "MIAM <ne-pas-repondre@miam.local>")
#: An SMTP server that does not answer holds a send this long at most (then it is retried).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
#: A notification's e-mail refused by SMTP is tried again (beat, every minute, backoff doubling
#: from one minute to an hour) this many times in all before it is given up (logged as an error).
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", 12)
#: Every other e-mail (invitations, meeting guests, digests, password resets…) goes through the
#: outgoing-mail outbox (``miam.mail``), retried the same way; its rows (addresses, texts) are
#: deleted this many days after they went or were given up.
OUTGOING_EMAIL_KEEP_DAYS = env_int("OUTGOING_EMAIL_KEEP_DAYS", 7)

# --- Celery ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest a matching run may take (a national run takes about 30 s). A task still
# unacknowledged after it is presumed lost with its worker and redelivered by Redis (the
# visibility timeout below); a run still "running" after twice it is marked failed by beat and
# queued again (offers.tasks.matching_runs_reap).
MATCHING_RUN_DEADLINE_SECONDS = env_int("MATCHING_RUN_DEADLINE_SECONDS", 600)
# Seconds to wait for Redis (cache, broker, results) before calling it unreachable: a page
# never hangs on a Redis that does not answer.
REDIS_SOCKET_TIMEOUT_SECONDS = env_float("REDIS_SOCKET_TIMEOUT_SECONDS", 1.0)
# Redis transport options as JSON; what is given replaces these defaults key by key. The
# visibility timeout is how long an unacknowledged (acks_late) task stays invisible before it
# is redelivered (tests use a few seconds); it must exceed the longest task and countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": MATCHING_RUN_DEADLINE_SECONDS,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
    "socket_timeout": max(REDIS_SOCKET_TIMEOUT_SECONDS, 5.0),
    "retry_on_timeout": True,
    **json.loads(env_str("CELERY_BROKER_TRANSPORT_OPTIONS", "{}") or "{}"),
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_SOCKET_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_TIMEOUT = max(REDIS_SOCKET_TIMEOUT_SECONDS, 5.0)
# A worker whose Redis went away waits for it as long as it takes (Celery's default gives up
# after 100 tries), then takes up the queue again.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TIMEZONE = TIME_ZONE
# Readiness (/readyz) fails when no worker ran the 30-second heartbeat job for this long.
HEALTH_HEARTBEAT_MAX_AGE_SECONDS = env_int("HEALTH_HEARTBEAT_MAX_AGE_SECONDS", 120)

# Webhooks (interop): private and loopback targets refused unless allowed; retry delays (s).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_RETRY_DELAYS = [int(s) for s in env_list("WEBHOOK_RETRY_DELAYS", "5,300,1800,7200,18000")]
WEBHOOK_TIMEOUT_S = env_float("WEBHOOK_TIMEOUT_S", 10.0)
# Lossless sync: how long the tombstones of deleted rows are kept (miam.sync).
TOMBSTONE_KEEP_DAYS = env_int("TOMBSTONE_KEEP_DAYS", 90)
CELERY_BEAT_SCHEDULE: dict = {}  # each app adds its own entries in miam/beat.py
# Seconds the cache serves from the process's memory after Redis failed, before trying again.
CACHE_RETRY_SECONDS = env_float("CACHE_RETRY_SECONDS", 5.0)
CACHES = {
    "default": (
        {
            # Redis, or this process's memory while Redis is unreachable (miam/cache.py).
            "BACKEND": "miam.cache.FailoverRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
                "RETRY_AFTER": CACHE_RETRY_SECONDS,
            },
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Map and geography ----------------------------------------------------------------
MAP_TILE_URL = env_str(
    "MAP_TILE_URL",
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&FORMAT=image/png"
    "&TILEMATRIXSET=PM&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
)
MAP_ATTRIBUTION = env_str("MAP_ATTRIBUTION", "© IGN – Plan IGN")
# django-leaflet: one tile layer from the settings above; each map page overrides the default
# view with its territory's. Zoom 7 (a département) to 17 (a farmyard): clustering builds one
# level per zoom, so bounding the range keeps thousands of markers fast.
LEAFLET_CONFIG = {
    "TILES": [(_("Plan"), MAP_TILE_URL, {"attribution": MAP_ATTRIBUTION, "maxZoom": 17})],
    "DEFAULT_CENTER": (46.6, 2.5),
    "DEFAULT_ZOOM": 6,
    "MIN_ZOOM": 5,
    "MAX_ZOOM": 17,
    "SCALE": "metric",
    "RESET_VIEW": False,
    "NO_GLOBALS": True,
    # Make the map as soon as the page is parsed, not after every image and font has loaded.
    "LOADEVENT": "DOMContentLoaded",
    "PLUGINS": {
        "markercluster": {
            "css": ["vendor/markercluster/MarkerCluster.css", "vendor/markercluster/MarkerCluster.Default.css"],
            "js": ["vendor/markercluster/leaflet.markercluster.js"],
            "auto-include": True,
        },
    },
}
# "none": locate by the commune's town-hall point; "ban": the national address API.
GEOCODER = env_str("GEOCODER", "none")
GEOCODER_BAN_URL = env_str("GEOCODER_BAN_URL", "https://api-adresse.data.gouv.fr/search/")
# An import's addresses go to the BAN's batch endpoint (GEOCODER_BAN_URL + "csv/"), this many
# addresses a request (its limit is a 50 MB file), each request given this many seconds.
GEOCODER_BAN_CSV_ROWS = env_int("GEOCODER_BAN_CSV_ROWS", 5000)
GEOCODER_BAN_CSV_TIMEOUT = env_float("GEOCODER_BAN_CSV_TIMEOUT", 60.0)
ROAD_DETOUR_FACTOR = env_float("ROAD_DETOUR_FACTOR", 1.3)
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)

# --- Matching -------------------------------------------------------------------------
# Allocation of limited quantities: "flow" (exact min-cost flow), "lp" (HiGHS) or "greedy".
MATCHING_MODE = env_str("MATCHING_MODE", "flow")
# A change waits this long before its territory is recomputed; changes meanwhile join it.
MATCHING_DEBOUNCE_SECONDS = env_float("MATCHING_DEBOUNCE_SECONDS", 20.0)
# Days after the scheduled date before an uncollected match expires.
MATCHING_COLLECT_GRACE_DAYS = env_int("MATCHING_COLLECT_GRACE_DAYS", 1)
# Season agreements: both sides are reminded this many days before each delivery.
AGREEMENT_REMINDER_DAYS = env_int("AGREEMENT_REMINDER_DAYS", 2)

# --- Pooled logistics (rounds, gleaning days) --------------------------------------------
# Average speed on the roads a round takes, and the minutes spent at each stop.
LOGISTICS_SPEED_KMH = env_float("LOGISTICS_SPEED_KMH", 50.0)
LOGISTICS_STOP_MINUTES = env_int("LOGISTICS_STOP_MINUTES", 10)
# Out-of-fridge time (docs/logistics.md): the minutes a chilled or frozen lot may ride in a
# vehicle without refrigeration, from leaving the farm to its delivery (0: never).
LOGISTICS_OUT_OF_FRIDGE_MINUTES = {
    "chilled": env_int("LOGISTICS_OUT_OF_FRIDGE_CHILLED_MINUTES", 30),
    "frozen": env_int("LOGISTICS_OUT_OF_FRIDGE_FROZEN_MINUTES", 0),
}
# A structure is told of a gleaning day within this distance (road estimate, km).
GLEANING_REACH_KM = env_float("GLEANING_REACH_KM", 30.0)

# --- Imports of spreadsheets ----------------------------------------------------------
# A file of more lines than this is checked and imported by a Celery job (progress bar).
IMPORTS_INLINE_MAX_ROWS = env_int("IMPORTS_INLINE_MAX_ROWS", 1000)
# The largest file accepted.
IMPORTS_MAX_BYTES = env_int("IMPORTS_MAX_BYTES", 20_000_000)

# --- REST API -------------------------------------------------------------------------
#: Seconds a visitor's read stays cached (miam.api_cache); 0: never cached (bench/api measures
#: the uncached path so, with the same URLs and SQL as a visitor's).
API_ANON_CACHE_SECONDS = env_int("API_ANON_CACHE_SECONDS", 15)
# The API's reads use prepared statements (miam.prepared); off behind a transaction-pooling PgBouncer.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "actors.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # DRF's JSON written by orjson (miam.renderers), and the browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "miam.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # ``Accept: application/pdf`` (or CSV, XLSX) on a download is not a 406 (miam.renderers).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "miam.renderers.FileDownloadNegotiation",
    "DEFAULT_PARSER_CLASSES": [
        "miam.parsers.ObjectJSONParser",  # one JSON object, no NUL, errors in French
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "miam.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "miam.schema.MiamAutoSchema",
    "EXCEPTION_HANDLER": "miam.errors.api_exception_handler",
    # DRF's own reading of X-Forwarded-For (its default, None, believes the whole header).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_CLASSES": [
        "miam.throttling.ApiKeyRateThrottle",
        "miam.throttling.PersonRateThrottle",
        "miam.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "apikey": env_str("THROTTLE_APIKEY", "1200/min"),
        "user": env_str("THROTTLE_USER", "600/min"),
        "anon": env_str("THROTTLE_ANON", "120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MIAM API",
    "DESCRIPTION": _(
        "API de MIAM : territoires (PAT), acteurs, offres, besoins, mises en relation. "
        "Authentification par session ou par clé d'API (en-tête `Authorization: Api-Key …`).\n\n"
        "**Changements de 2026-12** (détail : docs/interop.md, « API changes ») : un paramètre de requête "
        "qu'une liste ne documente pas, un tri (`ordering`) inconnu ou un `page_size` hors de 1 à son maximum "
        "sont des 400 (ils étaient ignorés) ; un `cursor` invalide est un 400 (un 404 avant) ; une page compte "
        "500 résultats au plus (1000 avec `sync=1`) ; un refus dû à l'état courant (quantité épuisée, budget "
        "dépassé, statut qui ne le permet pas, déjà fait) est un 409 ; la limite de débit répond 429 avec "
        "l'en-tête `Retry-After`, un budget par clé d'API ; `/communes/` sans `q` ni `territory` liste toutes "
        "les communes, en pages ; une clé de territoire ou un·e chargé·e de mission ne déplace un acteur que "
        "dans ses territoires (400 `outside_territory`) ; une organisation désactivée ne devient ni pilote ni "
        "partenaire d'une action (400 `inactive_organization`) ; `Accept: application/pdf` sur un "
        "téléchargement n'est plus un 406."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One name per choice set, so partner apps get stable enum names.
    "ENUM_NAME_OVERRIDES": {
        "OfferStatusEnum": "offers.models.Status",
        "UnitEnum": "products.models.Unit",
        "NeedUnitEnum": "offers.models.NEED_UNIT_CHOICES",
        "RecurrenceEnum": "offers.models.Recurrence",
        "NeedFrequencyEnum": "offers.models.NEED_FREQUENCY_CHOICES",
        "LogisticsEnum": "offers.models.Logistics",
        "LabelsEnum": "products.labels.FARM_LABEL_CODES",
        "OrganizationKindEnum": "actors.models.Organization.Kind",
        "ActionStatusEnum": "meetings.models.Action.Status",
        "InitiativeStatusEnum": "initiatives.models.STATUS_CHOICES",
        "InitiativeTypeEnum": "initiatives.models.TYPE_CHOICES",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- DSFR -----------------------------------------------------------------------------
DSFR_USE_INTEGRITY_CHECKSUMS = False

# --- Security (production values when DEBUG is off) -----------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "miam.views.csrf_failure"


def _tile_origin(url: str) -> str:
    """The origin of the map tiles (img-src): ``https://{s}.tile.osm.org/…`` → ``https://*.tile.osm.org``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}.", "*.").replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Content-Security-Policy (django-csp; docs/security.md). Scripts: this site's files and the
# inline scripts that carry the request's nonce (the map's, from django-leaflet), nothing else.
# Styles allow inline: DSFR and django-dsfr write style attributes and htmx adds its indicator
# style; a style cannot run code. CSP_REPORT_ONLY=1 reports without blocking.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp_constants.NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *filter(None, [_tile_origin(MAP_TILE_URL)])],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env_bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

from miam.beat import BEAT_SCHEDULE  # noqa: E402

CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
