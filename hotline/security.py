"""Response headers and refusal limits that every part of the app shares."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.wsgi import get_content_length

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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
    # The calendar feed's secret is in its URL: never hand a URL to another site. The
    # site itself gets the Referer: over HTTPS the CSRF check refuses a form without one.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"


class StreamedBodyLimit:
    """Measure a body sent without Content-Length (chunked) against the size limit.

    Werkzeug reads such a body only up to MAX_CONTENT_LENGTH and hands the app
    what it read, so an oversized one arrived cut short (a 400, or a whole object
    made of its first MiB) instead of being refused with 413 (SPEC §8).
    """

    def __init__(self, app: WSGIApplication, limit: int) -> None:
        self.app, self.limit = app, limit

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Give the app the body with its length: one byte past the limit is enough to refuse."""
        if get_content_length(environ) is None and environ.get("wsgi.input_terminated"):
            body = environ["wsgi.input"].read(self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


# When HOTLINE_REFUSAL_LIMIT is set, requests refused for a bad signature or token
# are counted per client address; once an address reaches the limit it gets 429
# until its window ends. Accepted requests are never counted, and checking an
# address costs one dict lookup. It is off by default: SPEC §4/§8 fix 403/401 for
# those refusals, and a cut-off address would also be refused its signed requests.


CUT_OFF = "Too many refused requests from this address."


class CutOff(Exception):
    """An address cut off for its refused requests: answered 429, by a channel's own handler."""


class RefusalLimit:
    """Cut off an address after too many refused requests within a window."""

    def __init__(self, limit: str) -> None:
        self.item = parse(limit)
        self.counter = FixedWindowRateLimiter(MemoryStorage())
        self.blocked: dict[str, float] = {}

    def cuts_off(self, address: str, now: float) -> bool:
        """Tell whether `address` is cut off at monotonic time `now`."""
        until = self.blocked.get(address)
        if until is None:
            return False
        if until > now:
            return True
        del self.blocked[address]
        return False

    def refused(self, address: str, now: float) -> None:
        """Count one refusal of `address`; cut it off once it reaches the limit."""
        self.counter.hit(self.item, "refused", address)
        if not self.counter.test(self.item, "refused", address):
            self.blocked[address] = now + self.item.get_expiry()


def security_headers(production: bool) -> Callable[[Response], Response]:
    """Return the after-request hook adding the headers a response does not set itself."""
    fixed = dict(HEADERS, **({"Strict-Transport-Security": HSTS} if production else {}))
    # Pages with personal data stay out of every cache; static assets may be kept.
    pages = tuple((name.lower(), name, value) for name, value in fixed.items())
    pages += (("cache-control", "Cache-Control", "no-store"),)
    assets = pages[:-1]

    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        wanted = assets if request.endpoint == "static" else pages
        # One pass over the response's headers, not one per header added (every webhook).
        for lowered, name, value in wanted:
            if lowered not in present:
                headers.add(name, value)
        return response

    return add_security_headers


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened without work when no cookie came (webhooks)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Return an empty session at once for a request without the cookie."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask, refusals: Iterable[tuple[Blueprint, int]]) -> None:
    """Add the headers to every response and, when configured, limit refusals per address.

    `refusals` pairs a blueprint with the status its refusals carry (403 for a
    webhook without Twilio's signature, 401 for the API without a valid token).
    """
    app.after_request(security_headers(app.config["HOTLINE_ENV"] == "production"))
    app.session_interface = CookieSessions()
    if app.config["HOTLINE_REFUSAL_LIMIT"] is None:
        return
    limit = RefusalLimit(app.config["HOTLINE_REFUSAL_LIMIT"])
    refusal_status = {blueprint.name: status for blueprint, status in refusals}

    @app.before_request
    def refuse_cut_off_addresses() -> None:
        if top_blueprint() in refusal_status and limit.cuts_off(
            request.remote_addr or "", time.monotonic()
        ):
            raise CutOff(CUT_OFF)

    # Plain text, no page that reads the database; a blueprint may answer in its own form
    # (the API's JSON error object), its handler being found before the app's.
    app.register_error_handler(CutOff, lambda error: (str(error), 429))

    @app.after_request
    def count_refusals(response: Response) -> Response:
        if response.status_code == refusal_status.get(top_blueprint()):
            limit.refused(request.remote_addr or "", time.monotonic())
        return response


def top_blueprint() -> str:
    """Return the outermost blueprint of this request ("api" for "api.people")."""
    return request.blueprints[-1] if request.blueprints else ""
