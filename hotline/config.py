"""Load settings: defaults, then the environment, then the caller's overrides (SPEC §2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import limits
import phonenumbers
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .base_url import base_url_problem
from .dev_secrets import DEV_SECRETS_FILE, GENERATED_IN_DEVELOPMENT, load_dev_secrets
from .phones import parse_phone
from .rotation.clock import is_zone_name

ENVIRONMENTS = ("production", "development")
TRANSPORTS = ("twilio", "log")
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "HOTLINE_PUBLIC_URL")
# Flask signs sessions with SECRET_KEY: a short one can be guessed offline from one cookie.
MIN_SECRET_KEY_LENGTH = 32

# Every key here is also read from the environment variable of the same name.
DEFAULTS: dict[str, Any] = {
    "HOTLINE_ENV": "production",
    "DATABASE_URL": None,  # a SQLite file in the instance folder
    "SECRET_KEY": None,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "HOTLINE_NUMBER": None,
    "HOTLINE_PUBLIC_URL": None,
    "HOTLINE_TIMEZONE": "America/Los_Angeles",
    "HOTLINE_DEFAULT_REGION": "US",
    "HOTLINE_FALLBACK_NUMBERS": [],
    "HOTLINE_DIAL_TIMEOUT": 20,
    "HOTLINE_ACK_MINUTES": 10,
    "HOTLINE_INTAKE_DAYS": 30,
    "HOTLINE_SHIFT_NOTICE_MINUTES": 60,
    "HOTLINE_TRANSPORT": None,  # twilio with credentials in production, else log
    "HOTLINE_RETENTION_DAYS": None,  # keep forever
    "HOTLINE_REFUSAL_LIMIT": None,  # off: refused webhooks/tokens per address, e.g. 30/minute
    "HOTLINE_PROXY_COUNT": 0,  # reverse proxies whose X-Forwarded-* headers are trusted
    "HOTLINE_METRICS_TOKEN": None,  # off: /metrics answers 404; set, it is the scraper's bearer
    "HOTLINE_LANGUAGE": "en",  # prompts and texts; a user's or officer's own language wins
    "HOTLINE_REQUIRE_MFA": None,  # a second factor for every staff sign-in: on in production
    # Single sign-on through the city's OpenID Connect provider: all three, or none.
    "HOTLINE_OIDC_ISSUER": None,
    "HOTLINE_OIDC_CLIENT_ID": None,
    "HOTLINE_OIDC_CLIENT_SECRET": None,
}
LANGUAGES = ("en", "es")
# Twilio rings at most ten <Number>s in one <Dial> (the fail-open answer rings them all).
MAX_FALLBACK_NUMBERS = 10
INTEGER_SETTINGS = (
    "HOTLINE_DIAL_TIMEOUT",
    "HOTLINE_ACK_MINUTES",
    "HOTLINE_INTAKE_DAYS",
    "HOTLINE_SHIFT_NOTICE_MINUTES",
    "HOTLINE_RETENTION_DAYS",
)
# The most each period may be: a job counts it from its `now`, and past year 1 (or 9999)
# that overflows at every run. More was meant as "never": for retention, that is unset.
LONGEST = {
    # Twilio rings a <Dial> for 600 s at most: a longer step would not ring as it says.
    "HOTLINE_DIAL_TIMEOUT": 600,
    "HOTLINE_ACK_MINUTES": 525_600,  # a year
    "HOTLINE_SHIFT_NOTICE_MINUTES": 525_600,
    "HOTLINE_INTAKE_DAYS": 36_500,  # a hundred years
    "HOTLINE_RETENTION_DAYS": 36_500,
}
TEXT_SETTINGS = (
    "SECRET_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "HOTLINE_NUMBER",
    "HOTLINE_PUBLIC_URL",
    "DATABASE_URL",
    "HOTLINE_TRANSPORT",
    "HOTLINE_REFUSAL_LIMIT",
    "HOTLINE_METRICS_TOKEN",
    "HOTLINE_OIDC_ISSUER",
    "HOTLINE_OIDC_CLIENT_ID",
    "HOTLINE_OIDC_CLIENT_SECRET",
)


class ConfigError(click.ClickException, RuntimeError):
    """A setting is missing or malformed; the one-line message says which and why.

    A click error, so that `flask --app hotline …` prints it in one line too.
    """


def load_settings(
    instance_path: str, overrides: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Any]:
    """Merge defaults, environment and overrides into checked, typed settings."""
    settings = dict(DEFAULTS)
    # An empty variable counts as unset, as most process managers write them.
    settings.update({key: environ[key] for key in DEFAULTS if environ.get(key, "").strip()})
    settings.update(overrides)
    _normalize(settings)

    env = settings["HOTLINE_ENV"]
    # TESTING changes nothing here: production refuses to start unsafe, tests or not.
    if env == "production":
        missing = [key for key in REQUIRED_IN_PRODUCTION if not settings[key]]
        if missing:
            raise ConfigError(
                f"HOTLINE_ENV=production refuses to start without {', '.join(missing)}: "
                "set them in the environment (or use HOTLINE_ENV=development locally)"
            )
        check_production(settings)
    if env == "development" and any(not settings[key] for key in GENERATED_IN_DEVELOPMENT):
        generated = load_dev_secrets(Path(instance_path) / DEV_SECRETS_FILE)
        for key in GENERATED_IN_DEVELOPMENT:
            settings[key] = settings[key] or generated[key]

    has_credentials = bool(settings["TWILIO_ACCOUNT_SID"] and settings["TWILIO_AUTH_TOKEN"])
    if settings["HOTLINE_TRANSPORT"] is None:
        settings["HOTLINE_TRANSPORT"] = (
            "twilio" if env == "production" and has_credentials else "log"
        )
    if settings["HOTLINE_TRANSPORT"] == "twilio" and not has_credentials:
        raise ConfigError("HOTLINE_TRANSPORT=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    if settings["DATABASE_URL"] is None:
        settings["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'hotline.db'}"

    settings["SESSION_COOKIE_SECURE"] = env == "production"
    if env == "production":
        # __Host-: the browser sends it only over https to this exact host, never a subdomain.
        settings.setdefault("SESSION_COOKIE_NAME", "__Host-hotline")
    settings.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    # A web sign-in lasts a long shift, not a month.
    settings.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=12))
    settings["HOTLINE_SIMULATOR"] = env == "development"
    oidc = [settings[f"HOTLINE_OIDC_{part}"] for part in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")]
    if any(oidc) and not all(oidc):
        raise ConfigError(
            "single sign-on needs all of HOTLINE_OIDC_ISSUER, HOTLINE_OIDC_CLIENT_ID and "
            "HOTLINE_OIDC_CLIENT_SECRET"
        )
    settings["HOTLINE_REQUIRE_MFA"] = _switch(
        "HOTLINE_REQUIRE_MFA", settings["HOTLINE_REQUIRE_MFA"], default=env == "production"
    )
    return settings


def _switch(name: str, value: Any, default: bool) -> bool:
    """Read an on/off setting: 1/0 (true/false, yes/no), or the default when unset."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, not {value!r}")


def check_production(settings: Mapping[str, Any]) -> None:
    """Refuse a production start whose secret key or public URL cannot be safe."""
    if len(settings["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters in production "
            "(e.g. the output of: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    if not settings["HOTLINE_PUBLIC_URL"].startswith("https://"):
        raise ConfigError("HOTLINE_PUBLIC_URL must be an https:// URL in production")


def public_url(url: str) -> str:
    """Return `url` as scheme://host[:port] (a trailing / dropped), or raise ConfigError."""
    problem = base_url_problem(url)
    if problem:
        raise ConfigError(f"HOTLINE_PUBLIC_URL {problem}, e.g. https://hotline.example.org")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _normalize(settings: dict[str, Any]) -> None:
    """Convert every setting to its proper type, or raise ConfigError."""
    for key in TEXT_SETTINGS:
        text = "" if settings[key] is None else str(settings[key]).strip()
        settings[key] = text or None
    for key in INTEGER_SETTINGS:
        settings[key] = _positive_int(key, settings[key], maximum=LONGEST.get(key))

    env = str(settings["HOTLINE_ENV"]).strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"HOTLINE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    settings["HOTLINE_ENV"] = env

    transport = settings["HOTLINE_TRANSPORT"]
    if transport is not None and transport.lower() not in TRANSPORTS:
        raise ConfigError(f"HOTLINE_TRANSPORT must be one of {', '.join(TRANSPORTS)}")
    settings["HOTLINE_TRANSPORT"] = transport and transport.lower()

    zone = str(settings["HOTLINE_TIMEZONE"]).strip()
    if not is_zone_name(zone):  # the rotations' rule: no folder ("US"), no "localtime"
        raise ConfigError("HOTLINE_TIMEZONE must be an IANA zone, e.g. America/Los_Angeles")
    settings["HOTLINE_TIMEZONE"] = zone

    language = str(settings["HOTLINE_LANGUAGE"]).strip().lower()
    if language not in LANGUAGES:
        raise ConfigError(f"HOTLINE_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    settings["HOTLINE_LANGUAGE"] = language

    region = str(settings["HOTLINE_DEFAULT_REGION"]).strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError("HOTLINE_DEFAULT_REGION must be a two-letter region code like US")
    settings["HOTLINE_DEFAULT_REGION"] = region

    if settings["HOTLINE_NUMBER"]:
        settings["HOTLINE_NUMBER"] = _phone("HOTLINE_NUMBER", settings["HOTLINE_NUMBER"], region)
    settings["HOTLINE_FALLBACK_NUMBERS"] = [
        _phone("HOTLINE_FALLBACK_NUMBERS", text, region)
        for text in _items(settings["HOTLINE_FALLBACK_NUMBERS"])
    ]
    if len(settings["HOTLINE_FALLBACK_NUMBERS"]) > MAX_FALLBACK_NUMBERS:
        # /voice/fallback rings them all in one <Dial>, and Twilio refuses more than ten
        # <Number>s there: a caller would hear an application error instead of a ring.
        raise ConfigError(
            f"HOTLINE_FALLBACK_NUMBERS lists {len(settings['HOTLINE_FALLBACK_NUMBERS'])} "
            f"numbers: Twilio rings at most {MAX_FALLBACK_NUMBERS} at once"
        )
    if settings["HOTLINE_NUMBER"] in settings["HOTLINE_FALLBACK_NUMBERS"]:
        # Dialled when nobody answers, the hotline would take its own call and dial again.
        raise ConfigError(
            f"HOTLINE_FALLBACK_NUMBERS holds HOTLINE_NUMBER {settings['HOTLINE_NUMBER']} itself: "
            "a call dialled there rings the hotline again; list the numbers of people who answer"
        )

    if settings["HOTLINE_PUBLIC_URL"]:
        settings["HOTLINE_PUBLIC_URL"] = public_url(settings["HOTLINE_PUBLIC_URL"])
    settings["HOTLINE_PROXY_COUNT"] = _positive_int(
        "HOTLINE_PROXY_COUNT", settings["HOTLINE_PROXY_COUNT"], minimum=0
    )

    settings["DATABASE_URL"] = normalize_database_url(settings["DATABASE_URL"])

    try:
        if settings["HOTLINE_REFUSAL_LIMIT"] is not None:
            limits.parse(settings["HOTLINE_REFUSAL_LIMIT"])
    except ValueError:
        raise ConfigError(
            "HOTLINE_REFUSAL_LIMIT must read like 30/minute (a count per second, minute or hour)"
        ) from None


def _positive_int(key: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int | None:
    """Return `value` as a whole number from `minimum` to `maximum` (None stays None)."""
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{key} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        unset = " (unset, it keeps everything)" if key == "HOTLINE_RETENTION_DAYS" else ""
        raise ConfigError(f"{key} must be at most {maximum}{unset}, not {number}")
    return number


def _items(value: str | Iterable[str] | None) -> list[str]:
    """Split a comma-separated setting into its non-empty items."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [part.strip() for part in parts if part.strip()]


def _phone(key: str, text: str, region: str) -> str:
    """Return `text` in E.164, or raise ConfigError naming the setting."""
    try:
        return parse_phone(text, region)
    except ValueError as error:
        raise ConfigError(f"{key}: {error}") from None


def normalize_database_url(url: str | None) -> str | None:
    """Point PostgreSQL URLs at psycopg 3, the driver this project installs."""
    if url is None:
        return None
    try:
        make_url(url)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL must be a database URL like postgresql://user@host/name "
            "or sqlite:///path/to/file.db"
        ) from None
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy maps bare
    # postgresql:// to psycopg2, which is not installed.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
