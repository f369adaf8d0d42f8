"""Configuration classes. Every setting is read from the environment when the app is built."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from email import errors, policy
from pathlib import Path
from urllib.parse import urlsplit

from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

# The municipality's time zone: pages show and take times in it, the database keeps UTC.
# Read by dialog/core/timezone.py; config imports nothing of the app, so either may load first.
LOCAL_ZONE_NAME = "Europe/Stockholm"

BASE_DIR = Path(__file__).resolve().parent
# templates/, static/, translations/ and migrations/ sit at the top of a checkout, beside
# this file; a wheel carries them (translations compiled) inside the package, as
# dialog/_data (setup.py), since site-packages is no place for folders of those names.
_WHEEL_DATA = BASE_DIR / "dialog" / "_data"
INSTALLED = _WHEEL_DATA.is_dir()
DATA_DIR = _WHEEL_DATA if INSTALLED else BASE_DIR

# Published in this file, so it signs nothing in production.
DEVELOPMENT_SECRET_KEY = "development-only-not-secret"
# HMAC-SHA256 keys shorter than its block of 32 bytes are guessable sooner than the hash.
MINIMUM_SECRET_BYTES = 32
MAIL_SECURITY_CHOICES = ("none", "starttls", "ssl")
LOG_FORMATS = ("text", "json")
# How much longer than its statement timeout a web request waits for the database's
# answer before giving the connection up (dialog/core/db.py).
ANSWER_MARGIN = 2.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG 2.1 AA for text of normal size (1.4.3).
LEAST_CONTRAST = 4.5
# The pale background of answers, notices and flashes (--panel in static/css/main.css).
PANEL_COLOUR = "#f3f6f8"
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
FAVICON_TYPES = {**LOGO_TYPES, ".ico": "image/vnd.microsoft.icon"}
LARGEST_BRAND_IMAGE = 512 * 1024
# sysexits.h's EX_CONFIG. The systemd units (deploy/systemd/) do not restart a service
# that exits with it: a restart cannot mend a setting.
EXIT_CONFIGURATION = 78


def stale_connection_retry():
    """redis-py's retry for the cache and limit store: a command that fails with a
    connection error (a pooled connection that a Redis restart, a proxy or a NAT dropped)
    runs once more on a fresh connection before the store counts as down. Not after a
    timeout: a hung Redis still costs a request one socket timeout, not two."""
    return Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,))


class ConfigurationError(RuntimeError):
    """Settings that are missing or unsafe, one sentence each; start-up stops on them."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}.") from None


def _env_float(name: str, default: float) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {value!r}.") from None


class Config:
    """Embedded defaults: one machine, SQLite, a SQLite-backed broker, mail to files."""

    name = "development"

    def __init__(self) -> None:
        # An installed app keeps no data in site-packages: ./instance where it is started.
        default_instance = Path.cwd() / "instance" if INSTALLED else BASE_DIR / "instance"
        instance = Path(_env("INSTANCE_PATH", str(default_instance)))
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = _env("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
        self.PUBLIC_URL = _env("PUBLIC_URL", "http://127.0.0.1:5000")

        self.DATABASE_URL = _env("DATABASE_URL")
        self.SQLALCHEMY_DATABASE_URI = _normalise_database_url(
            self.DATABASE_URL or f"sqlite:///{instance / 'dialog.sqlite'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # Deadlines (dialog/core/db.py): a web request's statement gives up after
        # DATABASE_STATEMENT_TIMEOUT, so a stuck database costs a request a 503, never a
        # web worker; tasks, beat and CLI commands (migrations, reports) may take longer.
        # 0 means no limit. PostgreSQL only: SQLite has its busy timeout below.
        self.DATABASE_CONNECT_TIMEOUT = _env_int("DATABASE_CONNECT_TIMEOUT", 5)
        self.DATABASE_STATEMENT_TIMEOUT = _env_float("DATABASE_STATEMENT_TIMEOUT", 10.0)
        self.DATABASE_WORKER_STATEMENT_TIMEOUT = _env_float(
            "DATABASE_WORKER_STATEMENT_TIMEOUT", 600.0
        )
        # SQLite's only deadline is the wait for its one write lock; a web request waits
        # no longer for it than for a PostgreSQL statement.
        self.SQLITE_BUSY_TIMEOUT_MS = _env_int(
            "SQLITE_BUSY_TIMEOUT_MS", int(self.DATABASE_STATEMENT_TIMEOUT * 1000)
        )

        self.REDIS_URL = _env("REDIS_URL")
        self.CELERY_BROKER_URL = _env(
            "CELERY_BROKER_URL",
            self.REDIS_URL or f"sqla+sqlite:///{instance / 'broker.sqlite'}",
        )
        # The cache and the rate-limit store give up on Redis after these many seconds; the
        # site then carries on without them (dialog/core/page_cache.py, core/limits.py).
        self.REDIS_CONNECT_TIMEOUT = _env_float("REDIS_CONNECT_TIMEOUT", 1.0)
        self.REDIS_SOCKET_TIMEOUT = _env_float("REDIS_SOCKET_TIMEOUT", 1.0)
        redis_deadlines = {
            "socket_connect_timeout": self.REDIS_CONNECT_TIMEOUT,
            "socket_timeout": self.REDIS_SOCKET_TIMEOUT,
            "retry": stale_connection_retry(),
        }
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", self.REDIS_URL or "memory://")
        self.RATELIMIT_STORAGE_OPTIONS = redis_deadlines  # the memory storage ignores them
        # An unreachable store: limits are counted in each process until it is back
        # (Flask-Limiter logs the switch both ways), never a 500.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        self.CACHE_TYPE = "RedisCache" if self.REDIS_URL else "SimpleCache"
        self.CACHE_REDIS_URL = self.REDIS_URL
        self.CACHE_OPTIONS = redis_deadlines if self.REDIS_URL else None
        self.CACHE_KEY_PREFIX = "dialog:"
        # Anonymous visitors may see pages up to this many seconds old; 0 turns it off.
        self.ANONYMOUS_PAGE_CACHE_SECONDS = _env_int("ANONYMOUS_PAGE_CACHE_SECONDS", 5)
        # Versioned fragments never go stale; the timeout only frees memory of old versions.
        self.FRAGMENT_CACHE_SECONDS = _env_int("FRAGMENT_CACHE_SECONDS", 600)
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_LOGIN_PER_IP = _env("RATELIMIT_LOGIN_PER_IP", "20 per minute;200 per day")
        self.RATELIMIT_LOGIN_PER_ACCOUNT = _env(
            "RATELIMIT_LOGIN_PER_ACCOUNT", "5 per minute;30 per hour"
        )
        self.RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT = _env(
            "RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT", "10 per minute"
        )
        self.RATELIMIT_MAIL_PER_ADDRESS = _env("RATELIMIT_MAIL_PER_ADDRESS", "1 per 15 minutes")
        # Per account (per address when logged out), and in all from one address: looser,
        # because a library or a workshop shares one.
        self.RATELIMIT_WRITES = _env("RATELIMIT_WRITES", "30 per minute;500 per day")
        self.RATELIMIT_WRITES_PER_IP = _env(
            "RATELIMIT_WRITES_PER_IP", "300 per minute;5000 per day"
        )

        self.OUTBOX_PUBLISH_TIMEOUT = _env_float("OUTBOX_PUBLISH_TIMEOUT", 1.0)
        self.OUTBOX_RETRY_AFTER_SECONDS = _env_int("OUTBOX_RETRY_AFTER_SECONDS", 5)
        self.OUTBOX_SWEEP_INTERVAL_SECONDS = _env_float("OUTBOX_SWEEP_INTERVAL_SECONDS", 5.0)
        self.OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 12)

        # Notifications (dialog/notifications): people told per fan-out task, emails sent
        # per task on one connection, how long a worker holds an email it is sending
        # before another may send it, and the attempts before an email is given up on.
        self.FAN_OUT_CHUNK = _env_int("FAN_OUT_CHUNK", 1000)
        self.MAIL_BATCH = _env_int("MAIL_BATCH", 200)
        self.MAIL_CLAIM_SECONDS = _env_int("MAIL_CLAIM_SECONDS", 120)
        self.MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 8)
        self.MAIL_RETRY_AFTER_SECONDS = _env_int("MAIL_RETRY_AFTER_SECONDS", 60)

        # Reports (dialog/reports): how long a version may compile before the sweeper
        # takes its worker for stopped and fails it, so that it can be retried.
        self.REPORT_TIME_LIMIT_SECONDS = _env_int("REPORT_TIME_LIMIT_SECONDS", 1800)

        # /healthz and /readyz (dialog/core/health.py): how long each check may take, and
        # when readiness calls a worker heartbeat, beat's last run or the outbox backlog old.
        self.HEALTH_CHECK_TIMEOUT = _env_float("HEALTH_CHECK_TIMEOUT", 2.0)
        self.WORKER_HEARTBEAT_SECONDS = _env_float("WORKER_HEARTBEAT_SECONDS", 30.0)
        self.READINESS_STALE_SECONDS = _env_int("READINESS_STALE_SECONDS", 300)
        self.READINESS_BACKLOG_SECONDS = _env_int("READINESS_BACKLOG_SECONDS", 900)

        self.MAIL_SERVER = _env("MAIL_SERVER")
        self.MAIL_PORT = _env_int("MAIL_PORT", 587)
        self.MAIL_USERNAME = _env("MAIL_USERNAME")
        self.MAIL_PASSWORD = _env("MAIL_PASSWORD")
        # none, starttls or ssl (implicit TLS, port 465). Development's relay is a local
        # sink, if any; production must name it (ProductionConfig.REQUIRED).
        self.MAIL_SECURITY = (_env("MAIL_SECURITY") or "none").strip().lower()
        # Connecting and every SMTP command: a hung relay holds a worker this long, and the
        # outbox retries the mail later.
        self.MAIL_TIMEOUT = _env_float("MAIL_TIMEOUT", 10.0)
        self.MAIL_DEFAULT_SENDER = _env(
            "MAIL_DEFAULT_SENDER", "Medborgardialog <noreply@localhost>"
        )
        self.MAIL_DIR = _env("MAIL_DIR", str(instance / "mail"))

        self.FILE_STORAGE = _env("FILE_STORAGE", "database")
        self.FILE_STORAGE_DIR = _env("FILE_STORAGE_DIR", str(instance / "files"))

        self.SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 120)
        self.SESSION_ABSOLUTE_HOURS = _env_int("SESSION_ABSOLUTE_HOURS", 12)
        # A session's time of last use is written at most this often, not on every request.
        self.SESSION_TOUCH_SECONDS = _env_int("SESSION_TOUCH_SECONDS", 180)
        # Two-step login (TOTP) for planners and admins: on in production, off here so the
        # demo and development work with the demo accounts as they are.
        self.REQUIRE_STAFF_2FA = _env_bool("REQUIRE_STAFF_2FA", False)
        self.TWO_FACTOR_ISSUER = _env("TWO_FACTOR_ISSUER", "Medborgardialog")
        # The key that encrypts TOTP secrets; derived from SECRET_KEY when not set.
        self.TWO_FACTOR_KEY = _env("TWO_FACTOR_KEY")
        # How long a login may wait between the password and the code.
        self.TWO_FACTOR_PENDING_MINUTES = _env_int("TWO_FACTOR_PENDING_MINUTES", 5)
        self.PASSWORD_RESET_HOURS = _env_int("PASSWORD_RESET_HOURS", 3)
        self.EMAIL_VERIFY_DAYS = _env_int("EMAIL_VERIFY_DAYS", 7)
        # OWASP's recommended argon2id profile: 19 MiB memory, 2 iterations, 1 lane.
        self.ARGON2_MEMORY_KIB = _env_int("ARGON2_MEMORY_KIB", 19 * 1024)
        self.ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 2)
        self.ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 1)

        # Privacy (dialog/accounts/privacy.py). How long a "download my data" link works
        # (its file is deleted after); when inactive accounts are warned and anonymised;
        # how long ended session records, IP addresses and the mail delivery log are kept.
        self.DATA_EXPORT_LINK_HOURS = _env_int("DATA_EXPORT_LINK_HOURS", 24)
        self.INACTIVE_WARN_AFTER_DAYS = _env_int("INACTIVE_WARN_AFTER_DAYS", 730)
        self.INACTIVE_ANONYMISE_AFTER_WARNING_DAYS = _env_int(
            "INACTIVE_ANONYMISE_AFTER_WARNING_DAYS", 30
        )
        # Staff accounts are warned but never anonymised by the schedule unless this is on.
        self.INACTIVE_ANONYMISE_STAFF = _env_bool("INACTIVE_ANONYMISE_STAFF", False)
        self.SESSION_RECORD_RETENTION_DAYS = _env_int("SESSION_RECORD_RETENTION_DAYS", 90)
        self.IP_ADDRESS_RETENTION_DAYS = _env_int("IP_ADDRESS_RETENTION_DAYS", 30)
        self.MAIL_LOG_RETENTION_DAYS = _env_int("MAIL_LOG_RETENTION_DAYS", 30)
        self.FEEDBACK_CONTACT_RETENTION_DAYS = _env_int("FEEDBACK_CONTACT_RETENTION_DAYS", 365)
        # What a moderator's redaction took out of a text is kept this long, for checking
        # the redaction, then deleted (dialog/moderation).
        self.AUDIT_PII_RETENTION_DAYS = _env_int("AUDIT_PII_RETENTION_DAYS", 90)
        self.PRIVACY_TASK_INTERVAL_SECONDS = _env_float("PRIVACY_TASK_INTERVAL_SECONDS", 3600.0)
        # Named in the privacy notice (/privacy): the installation's controller (name,
        # organisation number, address) and how to reach its data protection officer.
        # Empty, the page says in words that the installation has not set them yet.
        self.PRIVACY_CONTROLLER = _env("PRIVACY_CONTROLLER", "")
        self.PRIVACY_DPO_CONTACT = _env("PRIVACY_DPO_CONTACT", "")
        # Where reports of accessibility barriers (the form on /accessibility) are mailed.
        self.ACCESSIBILITY_FEEDBACK_EMAIL = _env(
            "ACCESSIBILITY_FEEDBACK_EMAIL", self.MAIL_DEFAULT_SENDER
        )

        self.BABEL_DEFAULT_LOCALE = "sv"
        self.BABEL_DEFAULT_TIMEZONE = LOCAL_ZONE_NAME
        self.BABEL_TRANSLATION_DIRECTORIES = str(DATA_DIR / "translations")
        self.LANGUAGES = ["sv", "en"]
        # The municipality's look (dialog/core/branding.py): the site's name in the header,
        # the page titles and the footer (mail still signs "Medborgardialog"); the
        # municipality's name beside it; the colour of the header,
        # buttons and links; a logo (SVG or PNG) and a favicon (SVG, PNG or ICO) from files.
        self.SITE_NAME = _env("SITE_NAME", "Medborgardialog")
        self.MUNICIPALITY_NAME = _env("MUNICIPALITY_NAME", "")
        self.BRAND_COLOUR = _env("BRAND_COLOUR", "#005a8c")
        self.BRAND_LOGO = _env("BRAND_LOGO", "")
        self.BRAND_FAVICON = _env("BRAND_FAVICON", "")
        self.MAP_TILE_URL = _env("MAP_TILE_URL", "")
        self.MAP_TILE_ATTRIBUTION = _env("MAP_TILE_ATTRIBUTION", "")
        self.IMAGE_MAX_BYTES = _env_int("IMAGE_MAX_BYTES", 5 * 1024 * 1024)
        # Larger images are refused before decoding (WebP at a quarter of it). Decoding
        # and scaling 25 million pixels (a 24-megapixel photo) peaks at about 170 MB.
        self.IMAGE_MAX_PIXELS = _env_int("IMAGE_MAX_PIXELS", 25_000_000)
        # Images are kept at most this many pixels a side (JPEG scaled while decoding).
        self.IMAGE_MAX_SIDE = _env_int("IMAGE_MAX_SIDE", 2048)
        # Text chunks, ICC profile and EXIF together, as a decoder expands them.
        self.IMAGE_MAX_METADATA_BYTES = _env_int("IMAGE_MAX_METADATA_BYTES", 1024 * 1024)
        self.UPLOADS_PER_DAY = _env_int("UPLOADS_PER_DAY", 20)
        # Uploads that no proposal uses (it was never sent) are removed after this long.
        # At least a day: the daily cap counts the uploads still kept.
        self.UNREFERENCED_UPLOAD_HOURS = _env_int("UNREFERENCED_UPLOAD_HOURS", 24)

        self.SESSION_COOKIE_NAME = "dialog_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.WTF_CSRF_TIME_LIMIT = None  # bound to the session instead, which expires
        self.HSTS = _env_bool("HSTS", False)
        self.PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
        self.MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)
        self.LOG_LEVEL = _env("LOG_LEVEL", "INFO").strip().upper()
        # `text` (one line, timestamp first) or `json` (one object per line) for a collector.
        self.LOG_FORMAT = _env("LOG_FORMAT", "text").strip().lower()

    def problems(self) -> list[str]:
        """What is wrong with these settings, one sentence each (empty when all is well)."""
        problems = []
        if self.UNREFERENCED_UPLOAD_HOURS < 24:
            problems.append(
                "UNREFERENCED_UPLOAD_HOURS must be at least 24: the daily upload cap "
                "(UPLOADS_PER_DAY) counts the uploads still kept."
            )
        if not _is_site_url(self.PUBLIC_URL):
            problems.append(
                f"PUBLIC_URL must be the site's address, like https://dialog.kommun.se, "
                f"not {self.PUBLIC_URL!r}."
            )
        if self.MAIL_SECURITY not in MAIL_SECURITY_CHOICES:
            problems.append(
                f"MAIL_SECURITY must be one of {', '.join(MAIL_SECURITY_CHOICES)}, "
                f"not {self.MAIL_SECURITY!r}."
            )
        if not _is_one_address(self.ACCESSIBILITY_FEEDBACK_EMAIL):
            problems.append(
                "ACCESSIBILITY_FEEDBACK_EMAIL must be one address, not "
                f"{self.ACCESSIBILITY_FEEDBACK_EMAIL!r}."
            )
        if self.LOG_FORMAT not in LOG_FORMATS:
            problems.append(f"LOG_FORMAT must be text or json, not {self.LOG_FORMAT!r}.")
        if self.LOG_LEVEL not in LOG_LEVELS:
            problems.append(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.LOG_LEVEL!r}."
            )
        if self.DATABASE_CONNECT_TIMEOUT < 2:
            # Also the deadline of a pooled connection's check: 0 would fail every check.
            problems.append(
                "DATABASE_CONNECT_TIMEOUT must be at least 2 seconds, "
                f"not {self.DATABASE_CONNECT_TIMEOUT}."
            )
        if self.HEALTH_CHECK_TIMEOUT <= 0:
            # Also the heartbeat write's deadline and how long a fork waits for it: 0 would
            # turn both off.
            problems.append(
                f"HEALTH_CHECK_TIMEOUT must be more than 0 seconds, not {self.HEALTH_CHECK_TIMEOUT:g}."
            )
        problems.extend(self._brand_problems())
        if not _is_one_address(self.MAIL_DEFAULT_SENDER):
            problems.append(
                "MAIL_DEFAULT_SENDER must be one address, with or without a name "
                f"(Kommunen <dialog@kommun.se>), not {self.MAIL_DEFAULT_SENDER!r}."
            )
        return problems

    def _brand_problems(self) -> list[str]:
        found = [
            _colour_problem("BRAND_COLOUR", self.BRAND_COLOUR),
            _image_problem("BRAND_LOGO", self.BRAND_LOGO, LOGO_TYPES),
            _image_problem("BRAND_FAVICON", self.BRAND_FAVICON, FAVICON_TYPES),
        ]
        if not self.SITE_NAME.strip():
            found.append("SITE_NAME must name the site, like Medborgardialog.")
        return [problem for problem in found if problem]


class DevelopmentConfig(Config):
    name = "development"


class TestingConfig(Config):
    name = "testing"

    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.WTF_CSRF_ENABLED = _env_bool("WTF_CSRF_ENABLED", True)
        # Tests read what they just wrote; the cache has tests of its own.
        self.ANONYMOUS_PAGE_CACHE_SECONDS = _env_int("ANONYMOUS_PAGE_CACHE_SECONDS", 0)
        # A low hashing cost keeps the suite fast; production uses OWASP's profile.
        self.ARGON2_MEMORY_KIB = 1024
        self.ARGON2_TIME_COST = 1
        self.ARGON2_PARALLELISM = 1
        # Fault tests wait for the sweepers and retries: seconds, not minutes.
        self.OUTBOX_RETRY_AFTER_SECONDS = _env_int("OUTBOX_RETRY_AFTER_SECONDS", 2)
        self.MAIL_RETRY_AFTER_SECONDS = _env_int("MAIL_RETRY_AFTER_SECONDS", 1)
        self.OUTBOX_SWEEP_INTERVAL_SECONDS = _env_float("OUTBOX_SWEEP_INTERVAL_SECONDS", 1.0)


class ProductionConfig(Config):
    name = "production"
    REQUIRED = (
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_URL",  # every absolute link (mail, the API) is built from it, never the Host
        "MAIL_SERVER",
        "MAIL_SECURITY",  # a default would fail against one relay or talk in clear to another
        "MAIL_DEFAULT_SENDER",
        # Shown on the accessibility statement as the way to report a barrier without the
        # form (MDFFS 2019:2): a no-reply sender would leave a reader with no way at all.
        "ACCESSIBILITY_FEEDBACK_EMAIL",
    )
    # Keys that sign or encrypt; the other secrets (MAIL_PASSWORD) are chosen elsewhere.
    SECRETS = ("SECRET_KEY", "TWO_FACTOR_KEY")

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.HSTS = _env_bool("HSTS", True)
        self.PREFERRED_URL_SCHEME = "https"
        self.REQUIRE_STAFF_2FA = _env_bool("REQUIRE_STAFF_2FA", True)

    def problems(self) -> list[str]:
        problems = super().problems()
        missing = [name for name in self.REQUIRED if _env(name) is None]
        if missing:
            problems.insert(
                0,
                "Production configuration is incomplete: set "
                + ", ".join(missing)
                + " in the environment (see the configuration table in README.md).",
            )
        problems += filter(None, (_secret_problem(name) for name in self.SECRETS))
        if "PUBLIC_URL" not in missing and urlsplit(self.PUBLIC_URL).scheme != "https":
            problems.append(
                "PUBLIC_URL must start with https:// in production: mailed links carry "
                "login and reset tokens."
            )
        catalog = DATA_DIR / "translations" / self.BABEL_DEFAULT_LOCALE / "LC_MESSAGES"
        if not (catalog / "messages.mo").is_file():
            # Pages and mail would be English labelled Swedish.
            problems.append(
                f"The translations are not compiled (no messages.mo in {catalog}): install "
                "the wheel, or run `pybabel compile -d translations` in the checkout."
            )
        return problems


class WebServerConfig:
    """gunicorn's settings, read by gunicorn.conf.py (the app itself never sees them)."""

    def __init__(self) -> None:
        # Loopback: the reverse proxy in front terminates TLS and is the only way in.
        self.GUNICORN_BIND = _env("GUNICORN_BIND", "127.0.0.1:8000")
        # gunicorn's rule of thumb for sync workers, on the cores this process may use.
        self.GUNICORN_WORKERS = _env_int("GUNICORN_WORKERS", 2 * _usable_cores() + 1)
        self.GUNICORN_TIMEOUT = _env_int("GUNICORN_TIMEOUT", 30)
        self.GUNICORN_GRACEFUL_TIMEOUT = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
        self.GUNICORN_MAX_REQUESTS = _env_int("GUNICORN_MAX_REQUESTS", 1000)
        self.GUNICORN_ACCESS_LOG = _env("GUNICORN_ACCESS_LOG", "-")
        self.FORWARDED_ALLOW_IPS = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

    def problems(self, app: Config) -> list[str]:
        # A request waiting on a stalled database checks its pooled connection, connects
        # anew and runs its statement, each to its deadline: gunicorn must not kill the
        # worker first, or the person gets a dropped connection instead of the 503 page.
        longest = 2 * app.DATABASE_CONNECT_TIMEOUT + app.DATABASE_STATEMENT_TIMEOUT + ANSWER_MARGIN
        if app.DATABASE_STATEMENT_TIMEOUT > 0 and longest >= self.GUNICORN_TIMEOUT:
            return [
                f"GUNICORN_TIMEOUT ({self.GUNICORN_TIMEOUT} s) must be longer than the "
                f"longest database wait of a request ({longest:g} s: twice "
                "DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT and "
                f"{ANSWER_MARGIN:g} s for its answer)."
            ]
        return []


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(name: str | None = None) -> Config:
    """The settings of `name` (DIALOG_CONFIG by default); ConfigurationError if unsafe."""
    name = name or _env("DIALOG_CONFIG", "development")
    if name not in CONFIGS:
        raise ConfigurationError(
            f"DIALOG_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}."
        )
    settings = CONFIGS[name]()
    problems = settings.problems()
    if problems:
        raise ConfigurationError(*problems)
    return settings


@contextmanager
def exit_on_refusal() -> Iterator[None]:
    """Around the start of a process (the app factory, gunicorn's settings): a refusal is
    printed as one line per problem and ends the process with EXIT_CONFIGURATION, so
    whoever started it (flask, gunicorn, celery, systemd) shows the reason, not a traceback.
    """
    try:
        yield
    except ConfigurationError as error:
        for problem in error.problems:
            print(f"Configuration error: {problem}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_CONFIGURATION) from None


def _is_site_url(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not (parts.query or parts.fragment)
    )


def _is_one_address(value: str | None) -> bool:
    try:
        header = policy.default.header_factory("From", value or "")
    except (IndexError, ValueError, errors.HeaderParseError):  # it gives up on some values
        return False
    addresses = header.addresses
    return (
        not header.defects
        and len(addresses) == 1
        and bool(addresses[0].username and addresses[0].domain)
    )


def luminance(colour: str) -> float:
    """WCAG's relative luminance of an sRGB colour written #rrggbb."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    red, green, blue = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    )
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _colour_problem(name: str, colour: str) -> str | None:
    """The colour carries white text (header, buttons) and is the links' colour on white
    and on the pale panels (static/css/main.css's --panel) of answers and notices."""
    if not HEX_COLOUR.match(colour):
        return f"{name} must be a colour written #rrggbb, like #005a8c, not {colour!r}."
    backgrounds = {"white": "#ffffff", "the pale panels (#f3f6f8)": PANEL_COLOUR}
    for where, background in backgrounds.items():
        ratio = contrast(colour, background)
        if ratio < LEAST_CONTRAST:
            return (
                f"{name} {colour} has a contrast of {ratio:.1f}:1 against {where}; white "
                f"text on it and links in it need at least {LEAST_CONTRAST}:1 (WCAG 2.1 AA). "
                "Choose a darker shade."
            )
    return None


def _image_problem(name: str, path: str, types: dict[str, str]) -> str | None:
    if not path:
        return None
    file = Path(path)
    if file.suffix.lower() not in types:
        return f"{name} must be a {', '.join(types)} file, not {path!r}."
    if not file.is_file():
        return f"{name} names {path!r}, which is not a readable file."
    if file.stat().st_size > LARGEST_BRAND_IMAGE:
        return f"{name} is larger than {LARGEST_BRAND_IMAGE // 1024} kB: {path!r}."
    return None


def _secret_problem(name: str) -> str | None:
    value = _env(name)
    if value is None:
        return None
    if value == DEVELOPMENT_SECRET_KEY:
        return f"{name} is the development key published in config.py; generate a new one."
    if len(value.encode()) < MINIMUM_SECRET_BYTES:
        return (
            f"{name} is too short: at least {MINIMUM_SECRET_BYTES} bytes, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    return None


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
