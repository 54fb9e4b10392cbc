"""Response headers and refusal limits that every part of the app shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Blueprint, Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Scripts and style sheets come only from the app's own /static; no inline
# script at all. Style attributes stay allowed: the schedule's timeline bars are
# positioned by them (a percentage per bar), and an attribute cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The calendar feed's secret is in its URL: never hand a URL to another site.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"

# Requests refused for a bad signature or token are counted per client address;
# once an address passes the limit it gets 429 until the window moves on.
# Accepted requests are never counted, so Twilio's own retries are never refused.
DEFAULT_REFUSAL_LIMIT = "30/minute"


def add_security_headers(response: Response) -> Response:
    """Add the security headers; keep pages with personal data out of every cache."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["HOTLINE_ENV"] == "production":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask, refusals: Iterable[tuple[Blueprint, int]]) -> None:
    """Add the headers to every response and limit refused requests per address.

    `refusals` pairs a blueprint with the status its refusals carry (403 for a
    webhook without Twilio's signature, 401 for the API without a valid token).
    """
    app.after_request(add_security_headers)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limit = app.config.setdefault("HOTLINE_REFUSAL_LIMIT", DEFAULT_REFUSAL_LIMIT)
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    for blueprint, status in refusals:
        # One shared scope: the count is per address across every webhook and the API.
        limiter.shared_limit(limit, scope="refused", deduct_when=refused_with(status))(blueprint)


def refused_with(status: int) -> Callable[[Response], bool]:
    """Return a test that a response is a refusal with `status`."""
    return lambda response: response.status_code == status
