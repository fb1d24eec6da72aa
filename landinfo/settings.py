"""Settings for LandInfo, read from the environment (every variable is in .env.example)."""

from email.utils import parseaddr
from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from landinfo.profiles.registry import PROFILES

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# `.env` is written by scripts/setup; variables already in the environment win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is empty: run scripts/setup (it writes one to .env) "
            "or set it in the environment."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG"  # noqa: S105
ALLOWED_HOSTS = [
    h for h in env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"]) if h
]
CSRF_TRUSTED_ORIGINS = [o for o in env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[]) if o]

# Production is served over HTTPS only (`manage.py check --deploy` is clean with it on).
# Off by default: `make demo` serves plain http://127.0.0.1:8000.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
# Set when a proxy in front terminates TLS and sends X-Forwarded-Proto (docker/nginx.conf
# does). Only then: a client talking to gunicorn directly could claim https with it.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
# The database sessions, with API tokens that follow a rotated key (see the module).
SESSION_ENGINE = "landinfo.accounts.sessions"
CSRF_COOKIE_SECURE = HTTPS
# A land register has no reason ever to be served over plain HTTP again, so a year of
# HSTS, subdomains and the browsers' preload list are the defaults once HTTPS is on.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=HTTPS)

# One namespaced dict for the register's own settings (django-leaflet's pattern).
LANDINFO = {
    # Jurisdiction profile: "vn" (Vietnam) or "kr" (Korea). Chooses identifiers,
    # storage CRS, land-use codes and default language. Fixed for the life of a
    # database: the storage SRID is written into its geometry columns.
    "PROFILE": env.str("LANDINFO_PROFILE", default="vn"),
    # Where `import_parcels` writes its per-feature report when --report is not given.
    "IMPORT_REPORT_DIR": env.path(
        "LANDINFO_IMPORT_REPORT_DIR", default=BASE_DIR / "var" / "reports"
    ),
    # Limits on the files `import_parcels` and the subdivision form read (parcels/importing/safe_files.py).
    # A surveyed parcel has tens of vertices, a long river bank a few thousand: a feature
    # with more is refused before GEOS or PROJ spend time and memory on it.
    "IMPORT_MAX_VERTICES": env.int("LANDINFO_IMPORT_MAX_VERTICES", default=100_000),
    # A zip whose members would unpack to more than this many bytes in all, or whose members
    # are compressed more than this ratio (a zip bomb; real GIS files stay below 20), is
    # refused before GDAL reads it.
    "IMPORT_MAX_UNPACKED_BYTES": env.int("LANDINFO_IMPORT_MAX_UNPACKED_BYTES", default=4 * 2**30),
    "IMPORT_MAX_COMPRESSION_RATIO": env.int("LANDINFO_IMPORT_MAX_COMPRESSION_RATIO", default=200),
    # The Ed25519 key that signs checkpoints of the journal: a PKCS8 PEM file, mode 0600,
    # made by `manage.py generate_signing_key` (scripts/setup does it). Relative paths are
    # read from the project folder.
    "SIGNING_KEY_FILE": BASE_DIR
    / env.str("LANDINFO_SIGNING_KEY_FILE", default="var/keys/ledger-ed25519.pem"),
    # PEM public keys of earlier (rotated) signing keys, so that the checkpoints they
    # signed still verify; an auditor may hold these alone, without the private key.
    "VERIFY_KEY_FILES": [
        BASE_DIR / path for path in env.list("LANDINFO_VERIFY_KEY_FILES", default=[]) if path
    ],
    # Where `manage.py backup` writes its backups (one directory each) when --output is
    # not given. Relative paths are read from the project folder.
    "BACKUP_DIR": BASE_DIR / env.str("LANDINFO_BACKUP_DIR", default="var/backups"),
    # An export of at most this many features is written while the planner waits and
    # downloaded at once; a larger one becomes a background job on the planner page.
    "EXPORT_SYNC_MAX_FEATURES": env.int("LANDINFO_EXPORT_SYNC_MAX_FEATURES", default=50_000),
    # A running export job not finished after this many seconds is taken to have lost its
    # worker (killed, machine restarted) and is queued again by the next worker.
    "EXPORT_JOB_TIMEOUT": env.int("LANDINFO_EXPORT_JOB_TIMEOUT", default=3600),
    # Files of export jobs older than this many days are deleted by the worker (the job's
    # row stays, as the record of who exported what).
    "EXPORT_RETENTION_DAYS": env.int("LANDINFO_EXPORT_RETENTION_DAYS", default=7),
    # The public address of the register, e.g. https://landinfo.example.gov.vn: the QR code
    # of a certificate links to <PUBLIC_URL>/verify/<code> (empty: the host of the
    # request), and every link in mail starts with it (empty: http://127.0.0.1:8000).
    "PUBLIC_URL": env.str("LANDINFO_PUBLIC_URL", default=""),
    # How many reverse proxies of ours stand in front of the app and append the client's
    # address to X-Forwarded-For (1 behind the docker nginx). 0: the peer address is the
    # client, and the header, which anyone can write, is ignored (landinfo/security.py).
    "TRUSTED_PROXIES": env.int("LANDINFO_TRUSTED_PROXIES", default=0),
    # How many of a gunicorn worker's threads one client address may use at once
    # (landinfo/gunicorn_worker.py); its other connections wait their turn. -1: half of
    # them when clients reach the server directly (no trusted proxy: make demo), no limit
    # behind a proxy, which buffers slow clients itself and sends everything from one
    # address. 0: no limit.
    "THREADS_PER_CLIENT": env.int("LANDINFO_THREADS_PER_CLIENT", default=-1),
    # Requests per client IP that the public reads allow ("<count>/<s|m|h>"); a citizen
    # clicking around the map stays far below them. Signed-in staff are not counted.
    "RATE_LIMITS": {
        "lookup": env.str("LANDINFO_RATE_LOOKUP", default="600/m"),  # search, at, parcel, history
        "ogc": env.str("LANDINFO_RATE_OGC", default="600/m"),  # OGC API items (QGIS pages)
        "verify": env.str("LANDINFO_RATE_VERIFY", default="60/m"),  # certificate checks
        "certificate": env.str("LANDINFO_RATE_CERTIFICATE", default="30/m"),  # PDF, ~100 ms
        "export": env.str("LANDINFO_RATE_EXPORT", default="30/h"),  # anonymous exports
        # Requests for a parcel's alerts (each may mail an address; one person asks for a
        # few parcels, a script for many).
        "alerts": env.str("LANDINFO_RATE_ALERTS", default="20/h"),
    },
    # How many requests of each group one client address may have running at once (0: no
    # limit), across all workers: the workers (3 x 4 threads) are what one flooding client
    # would otherwise take from everyone else. An OGC page of thousands of features costs
    # PostgreSQL a core for a second: two at a time keep a core for everyone else (QGIS
    # loads its visible layers one page at a time each; a refused page is asked again
    # after Retry-After). A citizen never runs two exports at once. Tiles are not capped here:
    # a browser over HTTP/2 asks for twenty at once, and the web server in front caches
    # and limits them (docker/nginx.conf).
    "CONCURRENCY_LIMITS": {
        "lookup": env.int("LANDINFO_CONCURRENT_LOOKUP", default=8),
        "ogc": env.int("LANDINFO_CONCURRENT_OGC", default=2),
        "verify": env.int("LANDINFO_CONCURRENT_VERIFY", default=2),
        "certificate": env.int("LANDINFO_CONCURRENT_CERTIFICATE", default=2),
        "export": env.int("LANDINFO_CONCURRENT_EXPORT", default=1),
        "alerts": env.int("LANDINFO_CONCURRENT_ALERTS", default=1),
    },
    # The most features one page of the OGC API's items may hold (`limit` above it is
    # lowered to it); the default page is 1,000 or this, if lower. QGIS and GDAL (3.8+)
    # read both from /ogc/api and page with them. It caps what one anonymous request may
    # cost: 5,000 parcels are about 5 MB of GeoJSON and half a second of PostgreSQL;
    # whole layers are for the exports.
    "OGC_MAX_LIMIT": env.int("LANDINFO_OGC_MAX_LIMIT", default=5_000),
    # When on, notaries, registrars and administrators sign in with a TOTP code as well as
    # their password; until they have, their session is anonymous (landinfo/accounts/).
    "NOTARY_OTP_REQUIRED": env.bool("LANDINFO_NOTARY_OTP_REQUIRED", default=False),
    # Hours an enrolment code (issued by an administrator or a registrar, needed to set up
    # an authenticator) stays usable.
    "ENROLMENT_CODE_HOURS": env.int("LANDINFO_ENROLMENT_CODE_HOURS", default=24),
    # Hours an API token lives: for accounts that record deeds or read personal data
    # (notaries, registrars, administrators) a working day; for planners and auditors, whose
    # tokens read only what the public reads (they spare a nightly script the rate limits),
    # a week, so that such a script needs a person once a week rather than every night.
    "TOKEN_HOURS": env.int("LANDINFO_TOKEN_HOURS", default=8),
    "TOKEN_HOURS_OTHER": env.int("LANDINFO_TOKEN_HOURS_OTHER", default=168),
    # The per-account delay on signing in after failures from any address
    # (landinfo/accounts/delays.py): after AFTER failures, each within WINDOW_MINUTES of
    # the previous one, attempts from browsers not known to the account wait FIRST_SECONDS,
    # doubling with each further failure, up to MAX_SECONDS. Usernames that name no
    # account are counted alike (or the delay would tell which exist), in at most MAX_ROWS
    # rows, the oldest dropped first: each failure costs a password hash, so a server
    # checks a few dozen a second, and a burst's window then holds far fewer.
    "SIGN_IN_DELAY": {
        "AFTER": env.int("LANDINFO_SIGN_IN_DELAY_AFTER", default=5),
        "WINDOW_MINUTES": env.int("LANDINFO_SIGN_IN_DELAY_WINDOW_MINUTES", default=15),
        "FIRST_SECONDS": env.int("LANDINFO_SIGN_IN_DELAY_FIRST_SECONDS", default=2),
        "MAX_SECONDS": env.int("LANDINFO_SIGN_IN_DELAY_MAX_SECONDS", default=300),
        "MAX_ROWS": env.int("LANDINFO_SIGN_IN_DELAY_MAX_ROWS", default=100_000),
    },
    # Days a browser stays known to an account it signed in to (exempt from that delay).
    "KNOWN_DEVICE_DAYS": env.int("LANDINFO_KNOWN_DEVICE_DAYS", default=90),
    # Streaming read replicas (LANDINFO_REPLICA_URLS; landinfo/replicas.py). A replica
    # whose replay is more than this many seconds behind the primary is skipped.
    "REPLICA_MAX_LAG": env.float("LANDINFO_REPLICA_MAX_LAG", default=10.0),
    # Seconds each process trusts its measure of a replica (reachable, lag) before
    # measuring again: one query per replica and interval, none per request.
    "REPLICA_CHECK_INTERVAL": env.float("LANDINFO_REPLICA_CHECK_INTERVAL", default=5.0),
    # Seconds a browser that has just written reads only the primary, so that a notary
    # sees the deed just recorded; at least REPLICA_MAX_LAG + REPLICA_CHECK_INTERVAL.
    "REPLICA_PIN_SECONDS": env.int("LANDINFO_REPLICA_PIN_SECONDS", default=30),
    # How a deed filed by a notary becomes a registration (transactions.applications):
    # "reviewed", an application with a receipt number that a registrar other than its
    # filer decides, in order of receipt, after its parcels' subscribers were alerted; or
    # "direct", the deed recorded in the journal at once (no application, no alert).
    "REGISTRATION_MODE": env.str("LANDINFO_REGISTRATION_MODE", default="reviewed"),
    # Days a registrar has to decide an application before it is flagged overdue; 0: the
    # profile's statutory time (JurisdictionProfile.registration_days).
    "REGISTRATION_DAYS": env.int("LANDINFO_REGISTRATION_DAYS", default=0),
    # Minutes from an application's receipt before it may be registered: the time its
    # alerts give holders and followers to say "I did not agree" (a refusal may come at
    # any time). 0: as soon as its alerts are sent.
    "OBJECTION_MINUTES": env.int("LANDINFO_OBJECTION_MINUTES", default=24 * 60),
    # At most this many parcels one e-mail address follows (HM Land Registry's Property
    # Alert allows 10), and this many subscriptions one client address asks for an hour.
    "ALERT_MAX_PARCELS": env.int("LANDINFO_ALERT_MAX_PARCELS", default=10),
    # At most this many messages a day the subscription form sends one address
    # (confirmation links, "at the limit"): whoever types someone else's address cannot
    # flood their mailbox; a person following 10 parcels confirms them over two days.
    "ALERT_MAILS_PER_DAY": env.int("LANDINFO_ALERT_MAILS_PER_DAY", default=5),
    # Seconds to wait for a replica's connection before skipping it (libpq's minimum is 2).
    "REPLICA_CONNECT_TIMEOUT": env.int("LANDINFO_REPLICA_CONNECT_TIMEOUT", default=2),
    # The transparency log (transactions/transparency/): its origin names the log in every
    # C2SP checkpoint and in the witnesses' state, so it is set once and never changed
    # (empty: the host of PUBLIC_URL followed by /tlog, e.g. landinfo.example.gov.vn/tlog).
    "LOG_ORIGIN": env.str("LANDINFO_LOG_ORIGIN", default=""),
    # The witnesses asked to cosign each checkpoint: "<add-checkpoint URL prefix> <vkey>"
    # pairs, comma-separated (the vkey, of type 0x04, is what `manage.py witness
    # --generate-key` prints). A checkpoint is published at /tlog/checkpoint once
    # WITNESS_QUORUM of them cosigned it (default: all of them).
    "WITNESSES": env.list("LANDINFO_WITNESSES", default=[]),
    "WITNESS_QUORUM": env.int("LANDINFO_WITNESS_QUORUM", default=-1),
    # Seconds the register waits for one witness's answer.
    "WITNESS_TIMEOUT": env.float("LANDINFO_WITNESS_TIMEOUT", default=5.0),
}

if LANDINFO["REGISTRATION_MODE"] not in ("reviewed", "direct"):
    raise ImproperlyConfigured(
        f"LANDINFO_REGISTRATION_MODE={LANDINFO['REGISTRATION_MODE']!r}: choose 'reviewed' "
        "(applications decided by a registrar) or 'direct' (deeds recorded at once)."
    )
if LANDINFO["PROFILE"] not in PROFILES:
    raise ImproperlyConfigured(
        f"LANDINFO_PROFILE={LANDINFO['PROFILE']!r} is not a known profile; "
        f"choose one of {sorted(PROFILES)}."
    )
_PROFILE = PROFILES[LANDINFO["PROFILE"]]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "leaflet",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "landinfo",
    "parcels",
    "transactions",
    "fixtures",
]

# The largest body Django reads into memory: the deed API's (transactions.deeds.api
# MAX_BODY_BYTES), whose largest deed carries a 5 MB surveyor's file in base64.
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 2**20

MIDDLEWARE = [
    # First, so it sees every response last: redirects carry absolute URLs (GIS clients).
    "landinfo.middleware.AbsoluteLocationMiddleware",
    # As high as it can be (django-cors-headers asks): before anything that may answer
    # (CommonMiddleware, WhiteNoise), so refusals and preflights carry the CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "landinfo.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "landinfo.middleware.LanguageNeutralMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before any view reads a parameter: NUL and other text PostgreSQL cannot hold is a 400.
    "landinfo.middleware.PublicParametersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A database that refuses or drops a request is a 503 with Retry-After, not a 500.
    # Before the replicas' middleware, so that a read a dying replica failed is first
    # answered again from the primary (exceptions reach middleware in reverse order).
    "landinfo.middleware.DatabaseUnavailableMiddleware",
    # Sends the reads of public views to a healthy read replica (landinfo/replicas.py).
    "landinfo.replicas.ReplicaReadsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # LANDINFO["NOTARY_OTP_REQUIRED"]: a session owing its second factor is anonymous.
    "landinfo.accounts.signin.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The 429 of a sign-in the account's delay refused; the cookie of a known browser.
    "landinfo.accounts.delays.SignInDelayMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by its backend into the answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "landinfo.urls"
WSGI_APPLICATION = "landinfo.wsgi.application"

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
                "landinfo.context_processors.profile",
                "landinfo.context_processors.formats",
                "landinfo.context_processors.account",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", engine="django.contrib.gis.db.backends.postgis")}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
# Services open their own durable transactions; requests are not wrapped in one.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A kept connection the server closed (restart, failover) is replaced before the request
# uses it, rather than failing that request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No JIT: the register runs short indexed statements, and PostgreSQL compiles any whose
# estimate is large (lots being typed, read from an array of ranges: 2 ms of work) for
# 300-500 ms first (bench/README.md, "Search at 1M"). Exports turned it off already.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
# Lets parallel test runs (several checkouts, one cluster) use distinct test databases.
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
# Streaming read replicas, aliases replica_1..n: same engine and options as the primary;
# tests mirror them to `default` (no test database is made for a replica).
LANDINFO["READ_REPLICAS"] = []
for _number, _url in enumerate(
    [u for u in env.list("LANDINFO_REPLICA_URLS", default=[]) if u], start=1
):
    _replica = environ.Env.db_url_config(_url, engine="django.contrib.gis.db.backends.postgis")
    DATABASES[f"replica_{_number}"] = {
        **DATABASES["default"],
        **{key: _replica[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
        "OPTIONS": {
            **DATABASES["default"].get("OPTIONS", {}),
            **_replica.get("OPTIONS", {}),
            "connect_timeout": LANDINFO["REPLICA_CONNECT_TIMEOUT"],
        },
        "TEST": {"MIRROR": "default"},
    }
    LANDINFO["READ_REPLICAS"].append(f"replica_{_number}")
if (
    LANDINFO["REPLICA_PIN_SECONDS"]
    < LANDINFO["REPLICA_MAX_LAG"] + LANDINFO["REPLICA_CHECK_INTERVAL"]
):
    raise ImproperlyConfigured(
        "LANDINFO_REPLICA_PIN_SECONDS must be at least LANDINFO_REPLICA_MAX_LAG + "
        "LANDINFO_REPLICA_CHECK_INTERVAL, or a notary may not see the deed just recorded."
    )
DATABASE_ROUTERS = ["landinfo.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Notaries, registrars, planners and auditors sign in; the public never needs to.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# ModelBackend's rules, its permissions read in one statement (landinfo/auth.py).
# django-axes first: it refuses a locked-out username+IP before a password is checked;
# then the account's own delay after failures from any address (landinfo/accounts/delays.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "landinfo.accounts.delays.SignInDelayBackend",
    "landinfo.auth.ModelBackendInOneQuery",
]

# Sign-in lockout (django-axes). Locked by the username *and* IP together: locking by
# username alone would let anyone anywhere lock a notary out of their own office by
# typing wrong passwords for their name; by IP alone, one office's typos lock everyone
# in it. Never permanent: the lock lifts after the cool-off, or `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15.0) / 60  # hours, float
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The failures of a username+IP are cleared by a *completed* sign-in (password and, where
# required, the second factor: landinfo.accounts.signin.sign_in_completed), not by the
# password alone, which would let a password thief clear the codes they guessed.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "landinfo.security.client_ip"
AXES_LOCKOUT_CALLABLE = "landinfo.security.lockout_response"
# It keeps the form's fields of every failure, masking only these: a code typed with a
# wrong password (an enrolment code works until used) and the password page's fields
# (the new password, an old one mistyped by a letter) are secrets too.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "otp_token",
    "old_password",
    "new_password1",
    "new_password2",
]
# Its start-up banner would open the output of every manage.py command.
AXES_VERBOSE = False

# Caches: the rate-limit counters live in PostgreSQL, shared by every gunicorn worker
# with no new service (an UNLOGGED table made by landinfo's migration 0001).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {"BACKEND": "landinfo.security.CounterCache", "LOCATION": "landinfo_ratelimit"},
}
RATELIMIT_USE_CACHE = "ratelimit"
# If the counters cannot be read, serve the public rather than refuse everyone.
RATELIMIT_FAIL_OPEN = True

# Security headers. Django's own defaults, stated: a page of the register is never framed
# (clickjacking a deed form), never sniffed, and sends no path to other sites.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No page uses the camera, microphone or the device's position (the map has no "where am
# I": parcels are found by number, address or click); allow geolocation=(self) if it gets one.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# CORS (django-cors-headers): pages of any site may read the public reads (a MapLibre or
# OpenLayers map, a planner's notebook): the parcels' JSON API, tiles, the OGC API and the
# exports. Never with credentials, and on no other path: a page of another site cannot
# send a signed-in notary's cookie with its request, nor read what the site's own pages,
# forms, sign-in, the deed API or the holders' personal data answer.
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = (
    r"^/(?:"
    r"api/parcels/(?:search|at|[^/]+|[^/]+/history)"  # not /holders: personal data
    r"|api/ledger/checkpoints|api/ledger/proof/(?:inclusion|consistency)|tlog/.*|api/schema/"
    r"|tiles/.*|ogc|ogc/.*|exports/.*"
    r")$"
)
# POST: a CQL2 JSON filter sent to /ogc/collections/<c>/items is a query, a read. No path
# the regex matches writes (tests/landinfo/test_cors.py goes through the whole route table).
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS", "POST")
# What a client may send beyond the safelisted headers: none of credentials (Authorization,
# X-CSRFToken); the conditional headers a tile or page cache revalidates with, and the
# Content-Type of a posted filter (application/query-cql-json).
CORS_ALLOW_HEADERS = (
    "accept",
    "accept-language",
    "if-none-match",
    "if-modified-since",
    "content-type",
)
# What a GIS client reads of an answer: the CRS of features (OGC API – Features Part 2),
# ETag for revalidation, Link, when to ask again after a 429, an export's file name and size.
CORS_EXPOSE_HEADERS = (
    "Content-Crs",
    "ETag",
    "Link",
    "Retry-After",
    "Content-Disposition",
    "X-Feature-Count",
)
CORS_PREFLIGHT_MAX_AGE = 86_400

# Content Security Policy (django-csp 4): scripts only from our origin or with the
# request's nonce; images also from the base map's tile host when one is set.
# A tile template's "{s}" subdomain becomes the CSP wildcard "*".
_BASEMAP_ORIGIN = "/".join(env.str("LANDINFO_BASEMAP_URL", default="").split("/")[:3]).replace(
    "{s}", "*"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *([_BASEMAP_ORIGIN] if _BASEMAP_ORIGIN else [])],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# TOTP second factor (django-otp), required by LANDINFO["NOTARY_OTP_REQUIRED"].
OTP_TOTP_ISSUER = "LandInfo"

# E-mail: the owner of an account and the administrators are told of enrolled
# authenticators and of sign-ins delayed by failures (landinfo/accounts/notices.py).
# DJANGO_EMAIL_URL in django-environ's form, e.g. smtp+tls://user:password@host:587;
# the default prints mail on the console, so `make demo` needs no mail server.
# filemail:// (`make demo`) writes each message as one .eml file under var/mail/
# (filemail://<folder> for another folder of the project): landinfo.mail.EmlFileBackend, since Django's own puts a whole connection's
# messages in one file.
_EMAIL = environ.Env.email_url_config(env.str("DJANGO_EMAIL_URL", default="") or "consolemail://")
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
    EMAIL_BACKEND = "landinfo.mail.EmlFileBackend"
    # filemail://var/mail parses as host "var", path "mail": the folder is both.
    _FOLDER = "/".join(
        part for part in (_EMAIL.get("EMAIL_HOST"), _EMAIL.get("EMAIL_FILE_PATH")) if part
    )
    EMAIL_FILE_PATH = str(BASE_DIR / (_FOLDER or "var/mail"))
EMAIL_HOST = _EMAIL.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _EMAIL.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_EMAIL.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_EMAIL.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="") or "landinfo@localhost"
SERVER_EMAIL = env.str("DJANGO_SERVER_EMAIL", default="") or DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[LandInfo] "
# "Name <address>, ..." or bare addresses: who mail_admins() writes to.
ADMINS = [
    (name or address, address)
    for name, address in (
        parseaddr(entry) for entry in env.list("DJANGO_ADMINS", default=[]) if entry.strip()
    )
    if address
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGES = [("vi", "Tiếng Việt"), ("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="") or _PROFILE.default_language
# The register's time zone is the profile's, not a separate setting: a deed dated
# "today" and every moment a person reads are in the country's legal time.
TIME_ZONE = _PROFILE.time_zone
if env.str("DJANGO_TIME_ZONE", default="") not in ("", TIME_ZONE):
    raise ImproperlyConfigured(
        f"DJANGO_TIME_ZONE={env.str('DJANGO_TIME_ZONE')!r} differs from the time zone of the "
        f"{_PROFILE.key!r} profile ({TIME_ZONE}); the register's time zone is its profile's: "
        "remove DJANGO_TIME_ZONE."
    )
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "media/"

GDAL_LIBRARY_PATH = env.str("GDAL_LIBRARY_PATH", default="") or None
GEOS_LIBRARY_PATH = env.str("GEOS_LIBRARY_PATH", default="") or None

# Django's GDAL check warns about Debian 12's GDAL 3.6; it is the supported system GDAL here.
SILENCED_SYSTEM_CHECKS = [c for c in env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[]) if c]

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: DRF answers an anonymous request with the first class's challenge,
    # and only a token gives one (401 + WWW-Authenticate: Token); sessions serve the
    # site's own pages. Public reads opt out of both (parcels.api.public_endpoint).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `Authorization: Token <key>`, with tokens that expire (landinfo/accounts/tokens.py).
        "landinfo.accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LandInfo API",
    "DESCRIPTION": "The land register's public JSON interface.",
    "VERSION": "0.1.0",
    # The schema is public: no credentials are read, so a stale token cannot 401 it.
    "SERVE_AUTHENTICATION": [],
    # Two "status" fields with different choices: each enum named for what it is.
    "ENUM_NAME_OVERRIDES": {
        "ParcelStatusEnum": ["current", "retired"],
        "ApplicationStatusEnum": ["received", "on_hold", "registered", "refused", "withdrawn"],
    },
}

LEAFLET_CONFIG = {
    # Tiles of a base map; empty means none (the map still shows parcels and search).
    "TILES": (
        [
            (
                "Base map",
                env.str("LANDINFO_BASEMAP_URL"),
                env.str("LANDINFO_BASEMAP_ATTRIBUTION", default=""),
            )
        ]
        if env.str("LANDINFO_BASEMAP_URL", default="")
        else []
    ),
    "DEFAULT_CENTER": _PROFILE.map_center,
    "DEFAULT_ZOOM": 16,  # parcels are drawn from z15, with their identifiers from z16 (tiles.py)
    "MIN_ZOOM": 5,
    "MAX_ZOOM": 21,
    "RESET_VIEW": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
