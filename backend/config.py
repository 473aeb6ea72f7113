"""Configuration read from the environment, with defaults that run the embedded setup."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in ("1", "true", "yes", "on")


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'fieldsales.db'}")
    # hide_parameters: a database error's message (logged, or shown) never carries the values
    # of the statement, which hold buyers' names, phones and addresses.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "fieldsales")
    # The job outbox (backend/jobs): attempts, retries, the sweeper, what /health calls degraded.
    JOB_MAX_ATTEMPTS = _int("JOB_MAX_ATTEMPTS", 8)
    JOB_RETRY_SECONDS = _int("JOB_RETRY_SECONDS", 30)  # first retry's delay; doubles each time
    JOB_RETRY_MAX_SECONDS = _int("JOB_RETRY_MAX_SECONDS", 3600)
    JOB_TIMEOUT_SECONDS = _int("JOB_TIMEOUT_SECONDS", 600)  # an attempt's limit under RQ (imports: sized)
    JOB_HEARTBEAT_SECONDS = _int("JOB_HEARTBEAT_SECONDS", 15)
    JOB_STALE_SECONDS = _int("JOB_STALE_SECONDS", 120)  # a running attempt without heartbeat: abandoned
    JOB_QUEUED_CHECK_SECONDS = _int("JOB_QUEUED_CHECK_SECONDS", 60)  # then a queued job must still be in RQ
    JOB_SWEEP_SECONDS = _int("JOB_SWEEP_SECONDS", 60)
    # Housekeeping (pruning the sync change log, stale uploads, old import files) runs this often:
    # `rq cron backend.schedule` with Redis, the web process otherwise (0: never by itself).
    HOUSEKEEPING_SECONDS = _int("HOUSEKEEPING_SECONDS", 3600)
    JOB_WAITING_ALERT_SECONDS = _int("JOB_WAITING_ALERT_SECONDS", 300)
    JOB_KEEP_DONE_DAYS = _int("JOB_KEEP_DONE_DAYS", 7)
    PHOTO_DIR = os.environ.get("PHOTO_DIR", str(INSTANCE / "photos"))
    # Where stored photos live (backend/core/storage.py): empty or file:// → PHOTO_DIR; or an
    # S3-compatible bucket shared by several hosts, s3://bucket/prefix?endpoint_url=…&region=…
    # (credentials from boto3's chain: AWS_ACCESS_KEY_ID…). Partial uploads stay in PHOTO_DIR.
    PHOTO_STORAGE_URL = os.environ.get("PHOTO_STORAGE_URL", "")
    PWA_DIST = os.environ.get("PWA_DIST", str(ROOT / "pwa" / "dist"))

    # Compression by the app itself (flask-compress, backend/__init__.py), so that an answer is
    # compressed with or without nginx in front: JSON (a rep's first pull: 1.7 MB of it) and the
    # PWA's and API docs' files, by the client's Accept-Encoding, never the auth answers (BREACH).
    COMPRESS_RESPONSES = _flag("COMPRESS_RESPONSES", True)
    COMPRESS_MIMETYPES = [
        "application/json",
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/manifest+json",
        "application/wasm",
        "image/svg+xml",
        "text/plain",
    ]
    # Preferred in this order when the client accepts several equally (browsers send "gzip,
    # deflate, br, zstd" over HTTPS, "gzip, deflate" over plain HTTP). A rep's first pull, 1.7 MB
    # of JSON in 9 pages: br 4 264 KB in 15 ms, zstd 3 279 KB in 6 ms, gzip 6 292 KB in 25 ms
    # (gzip 4: 311 KB). No deflate: clients disagree on what it means (zlib or raw).
    COMPRESS_ALGORITHM = ["br", "zstd", "gzip"]
    COMPRESS_BR_LEVEL = 4
    COMPRESS_ZSTD_LEVEL = 3
    COMPRESS_LEVEL = 6  # gzip
    COMPRESS_MIN_SIZE = 500  # bytes; smaller answers are sent as they are
    COMPRESS_STREAMS = False  # generators (photos from S3) as they are; files: backend/__init__.py

    # Auth
    TOKEN_TTL_SECONDS = _int("TOKEN_TTL_SECONDS", 12 * 3600)
    # Login limits (backend/auth/limits.py). One client (IP address) may fail LOGIN_MAX_FAILURES
    # times per username and LOGIN_MAX_FAILURES_PER_IP times in all per window (fixed, from the
    # first failure), then gets 429 until the window ends; other clients are not affected.
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_FAILURE_WINDOW_SECONDS = _int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
    LOGIN_MAX_FAILURES_PER_IP = _int("LOGIN_MAX_FAILURES_PER_IP", 50)
    # A username's failures from all clients together: beyond LOGIN_USER_BACKOFF_AFTER, each
    # further attempt waits for the previous one's delay, LOGIN_USER_BACKOFF_SECONDS doubling up
    # to LOGIN_USER_BACKOFF_MAX_SECONDS; counted until a window passes without a failure.
    LOGIN_USER_BACKOFF_AFTER = _int("LOGIN_USER_BACKOFF_AFTER", 20)
    LOGIN_USER_BACKOFF_SECONDS = _int("LOGIN_USER_BACKOFF_SECONDS", 1)
    LOGIN_USER_BACKOFF_MAX_SECONDS = _int("LOGIN_USER_BACKOFF_MAX_SECONDS", 60)
    # Reverse proxies in front of the app that append to X-Forwarded-For (and set
    # X-Forwarded-Proto): 0 when clients connect directly (the headers are ignored), 1 behind one
    # nginx. Werkzeug's ProxyFix takes the client's address that many hops from the right.
    TRUSTED_PROXY_HOPS = _int("TRUSTED_PROXY_HOPS", 0)
    # argon2 cost; tests lower it, production keeps the library's defaults.
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 65536)

    # Field rules
    OFFSITE_THRESHOLD_M = _float("OFFSITE_THRESHOLD_M", 150.0)
    # However poor the phone says its fix is, a check-in farther than this is off-site.
    OFFSITE_MAX_ALLOWANCE_M = _float("OFFSITE_MAX_ALLOWANCE_M", 500.0)
    # A rep's change of a store's position farther than this from its last approved position
    # (set by a manager, HQ, an admin or an approval) waits for a manager's approval.
    STORE_MOVE_APPROVAL_M = _float("STORE_MOVE_APPROVAL_M", 200.0)
    INTEL_DUPLICATE_RADIUS_M = _float("INTEL_DUPLICATE_RADIUS_M", 100.0)
    # A reported or new store this close to a known one is a duplicate candidate whatever its
    # name (INTEL_DUPLICATE_RADIUS_M needs a similar name as well).
    DUPLICATE_STORE_RADIUS_M = _float("DUPLICATE_STORE_RADIUS_M", 30.0)
    # Recycled photos: pHashes at most this many bits apart (of 64) are the same picture; the
    # hash is cut into PHOTO_HASH_BANDS bands for the indexed look-up (backend/photos/duplicates.py:
    # 10 bits catches 3–5 % crops; with 4 bands a look-up probes 137 values per band).
    PHOTO_NEAR_DUPLICATE_BITS = _int("PHOTO_NEAR_DUPLICATE_BITS", 10)
    PHOTO_HASH_BANDS = _int("PHOTO_HASH_BANDS", 4)
    # The manager's team today: a gap between visits longer than this is idle; a rep whose phone
    # has not synced for this long is flagged.
    TEAM_IDLE_GAP_MINUTES = _int("TEAM_IDLE_GAP_MINUTES", 90)
    TEAM_UNSYNCED_WARN_MINUTES = _int("TEAM_UNSYNCED_WARN_MINUTES", 240)
    DEVICE_CLOCK_SKEW_SECONDS = _int("DEVICE_CLOCK_SKEW_SECONDS", 600)
    # Map tiles for the PWA's maps (any XYZ tile server; an empty value shows maps without tiles).
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    MAP_ATTRIBUTION = os.environ.get("MAP_ATTRIBUTION", "© OpenStreetMap contributors")
    # HTTPS responses carry Strict-Transport-Security for this long (0: none); the CSP's img-src
    # follows MAP_TILE_URL's origin (backend/core/security_headers.py).
    HSTS_SECONDS = _int("HSTS_SECONDS", 365 * 24 * 3600)
    HSTS_INCLUDE_SUBDOMAINS = os.environ.get("HSTS_INCLUDE_SUBDOMAINS", "").lower() in ("1", "true", "yes")
    # Route review: a gap between visits longer than this (travel included) shows as idle.
    ROUTE_IDLE_MINUTES = _float("ROUTE_IDLE_MINUTES", 60.0)
    # Price-drop alerts: a competitor model's median price in a region falling by this share from
    # one week (or day) to the next, each with at least this many observations.
    PRICE_DROP_ALERT_PCT = _float("PRICE_DROP_ALERT_PCT", 8.0)
    PRICE_ALERT_MIN_OBS_WEEK = _int("PRICE_ALERT_MIN_OBS_WEEK", 4)
    PRICE_ALERT_MIN_OBS_DAY = _int("PRICE_ALERT_MIN_OBS_DAY", 8)
    # The price rollup (HQ's dashboards and alerts) runs this long after the first observation
    # committed since its last run, once for everything committed meanwhile (0: after each commit).
    PRICE_ROLLUP_DELAY_SECONDS = _float("PRICE_ROLLUP_DELAY_SECONDS", 5.0)
    # The channel (sell-in, sell-out, channel stock): a unit still unsold this many days after it
    # shipped is aging (a model's own products.aging_days wins); weekly sell-out is the average of
    # this many complete weeks.
    CHANNEL_AGING_DAYS = _int("CHANNEL_AGING_DAYS", 90)
    CHANNEL_SALES_WEEKS = _int("CHANNEL_SALES_WEEKS", 4)
    # Weeks of cover (channel stock ÷ weekly sell-out) below LOW or above HIGH raise an alert, when
    # the region sells at least MIN_WEEKLY units a week (low) or holds at least MIN_STOCK (high).
    CHANNEL_COVER_LOW_WEEKS = _float("CHANNEL_COVER_LOW_WEEKS", 2.0)
    CHANNEL_COVER_HIGH_WEEKS = _float("CHANNEL_COVER_HIGH_WEEKS", 12.0)
    CHANNEL_COVER_MIN_WEEKLY = _float("CHANNEL_COVER_MIN_WEEKLY", 2.0)
    CHANNEL_COVER_MIN_STOCK = _int("CHANNEL_COVER_MIN_STOCK", 30)
    # A store's count of 0 is a stock-out alert when its region sold at least this many units of
    # the model in the last CHANNEL_SALES_WEEKS weeks.
    CHANNEL_STOCKOUT_MIN_REGION_UNITS = _int("CHANNEL_STOCKOUT_MIN_REGION_UNITS", 3)
    # A FIFO break: units of a model shipped at least GAP days before a cohort that sold in the
    # last CHANNEL_SALES_WEEKS weeks, at least MIN_UNITS of them still unsold in that region.
    CHANNEL_FIFO_GAP_DAYS = _int("CHANNEL_FIFO_GAP_DAYS", 28)
    CHANNEL_FIFO_MIN_UNITS = _int("CHANNEL_FIFO_MIN_UNITS", 5)
    # The alert jobs run this long after the first count, card or shipment committed since their
    # last run, once for everything committed meanwhile (0: after each commit).
    CHANNEL_ALERT_DELAY_SECONDS = _float("CHANNEL_ALERT_DELAY_SECONDS", 10.0)
    # A shipment import's units reach the channel's stock, cohorts and weeks every this many units
    # (about 5 s of a large import) and when it ends; its batches append them meanwhile
    # (channel_shipped_pending, PostgreSQL).
    CHANNEL_FOLD_UNITS = _int("CHANNEL_FOLD_UNITS", 100_000)
    # 三包 at the counter (aftersales): may a buyer return a phone with no fault (无理由退货, a fault
    # code with is_fault false) within the return days; may an exchange give another model.
    WARRANTY_NO_FAULT_RETURNS = _flag("WARRANTY_NO_FAULT_RETURNS", False)
    WARRANTY_EXCHANGE_OTHER_MODEL = _flag("WARRANTY_EXCHANGE_OTHER_MODEL", False)
    # HQ's quality alert: a model whose returns + exchanges per 1,000 units sold in its first
    # QUALITY_ALERT_WEEKS weeks on sale pass RATE, once at least MIN_UNITS units have sold.
    QUALITY_ALERT_WEEKS = _int("QUALITY_ALERT_WEEKS", 8)
    QUALITY_ALERT_RATE_PER_1000 = _float("QUALITY_ALERT_RATE_PER_1000", 30.0)
    QUALITY_ALERT_MIN_UNITS = _int("QUALITY_ALERT_MIN_UNITS", 50)
    # Training coverage: a model launched within this many days is new; a store with it on the
    # shelf (counted or sold there) and no training on its topic is a gap.
    TRAINING_NEW_MODEL_DAYS = _int("TRAINING_NEW_MODEL_DAYS", 90)
    # Calendar days (purchase dates, 三包 terms) are days in this zone.
    BUSINESS_TIMEZONE = os.environ.get("BUSINESS_TIMEZONE", "Asia/Shanghai")
    # Shipment imports: the uploaded CSV files, their size limit, how many bad rows are kept.
    IMPORT_DIR = os.environ.get("IMPORT_DIR", str(INSTANCE / "imports"))
    # Where uploaded shipment CSVs wait to be loaded: empty → IMPORT_DIR; s3://… → a bucket (as
    # PHOTO_STORAGE_URL), so web and worker hosts need no shared volume.
    IMPORT_STORAGE_URL = os.environ.get("IMPORT_STORAGE_URL", "")
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 512 * 1024 * 1024)
    IMPORT_BATCH_ROWS = _int("IMPORT_BATCH_ROWS", 5000)
    IMPORT_MAX_ERRORS_KEPT = _int("IMPORT_MAX_ERRORS_KEPT", 10_000)
    # Read and check the next batch in a thread while this one loads (off: one thread, in turn).
    IMPORT_READ_AHEAD = _flag("IMPORT_READ_AHEAD", True)
    # A failed import's file is kept this long so that it can be run again (housekeeping).
    IMPORT_FAILED_KEEP_DAYS = _int("IMPORT_FAILED_KEEP_DAYS", 14)
    # Sync
    SYNC_MAX_CLOCK_AHEAD_SECONDS = _int("SYNC_MAX_CLOCK_AHEAD_SECONDS", 300)
    SYNC_CHANGE_RETENTION_DAYS = _int("SYNC_CHANGE_RETENTION_DAYS", 30)
    NEARBY_MAX_RADIUS_M = _float("NEARBY_MAX_RADIUS_M", 50_000.0)

    # Photos
    PHOTO_MAX_BYTES = _int("PHOTO_MAX_BYTES", 25 * 1024 * 1024)
    # Pixel limits, checked from the headers (an upload is never decoded while the client waits;
    # the processing job decodes one image at a time). Any format: a 50 MP camera's 8160×6144
    # JPEG, which the job decodes at half scale. PNG and WebP can only be decoded whole (a WebP
    # takes ~16 bytes a pixel then): screenshots and saved pictures, not camera output, so 4096².
    PHOTO_MAX_PIXELS = _int("PHOTO_MAX_PIXELS", 52_000_000)
    PHOTO_MAX_PIXELS_PNG_WEBP = _int("PHOTO_MAX_PIXELS_PNG_WEBP", 4096 * 4096)
    PHOTO_FULL_PX = _int("PHOTO_FULL_PX", 4000)  # the `full` copy's longest side at most
    PHOTO_DISPLAY_PX = _int("PHOTO_DISPLAY_PX", 1600)
    PHOTO_THUMB_PX = _int("PHOTO_THUMB_PX", 320)
    # Bytes a user's unfinished resumable uploads may declare in all (429 beyond: finish or abandon).
    PHOTO_UPLOAD_QUOTA_BYTES = _int("PHOTO_UPLOAD_QUOTA_BYTES", 200 * 1024 * 1024)

    MAX_CONTENT_LENGTH = PHOTO_MAX_BYTES + 1024 * 1024

    # flask-smorest / OpenAPI
    API_TITLE = "Field Sales API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/api/swagger-ui/"  # served from swagger-ui-bundle, no CDN needed
    # No "valid" badge fetched from validator.swagger.io: the docs load nothing from elsewhere.
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
    API_SPEC_OPTIONS = {
        "info": {
            "description": (
                "Field sales API for a phone brand's reps, regional managers, store clerks and HQ. "
                "Log in with POST /api/v1/auth/login and use the token as "
                "`Authorization: Bearer <token>`. Errors share one body: "
                "`{code, status, message, field, errors, details}`. The phone app works offline "
                "and exchanges its queued entries through /api/v1/sync (sync_protocol/SPEC.md)."
            )
        },
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }
