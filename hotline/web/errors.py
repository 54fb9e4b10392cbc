"""The app's own pages for refusals, unknown addresses and failures (SPEC §9)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, default_exceptions

from ..logs import log_exception
from .language import web_text as _

log = logging.getLogger(__name__)

# Twilio reads these blueprints' answers, not a person: they keep their plain bodies.
WEBHOOK_BLUEPRINTS = ("voice", "sms")
# Werkzeug's stock descriptions add nothing a person can act on; our own ones do.
STOCK_DESCRIPTIONS = {error.description for error in default_exceptions.values()}


def headline(status: int) -> str:
    """Say in a few words what happened."""
    headlines = {
        400: _("This form could not be accepted"),
        403: _("This page is not open to your role"),
        404: _("There is no page at this address"),
        405: _("This address does not take that kind of request"),
        409: _("Someone changed this first"),
        413: _("That is too large to accept"),
        422: _("Some of what was sent cannot be used"),
        429: _("Too many tries"),
    }
    return headlines.get(status, _("Something went wrong on our side"))


def next_step(status: int) -> str:
    """Say what the person can do now."""
    steps = {
        400: _(
            "The page may have been open too long or sent from another tab. "
            "Go back, reload the page and send it again: nothing was changed."
        ),
        403: _(
            "Nothing was changed. Use the links above for the pages your role opens, "
            "or ask a supervisor if you need this one."
        ),
        404: _(
            "The link may be old or mistyped. Use the links above, "
            "or start again from the dashboard."
        ),
        409: _("Nothing you sent was saved. Reload the page to see the latest, then try again."),
        422: _("Nothing was changed. Go back, correct it and send it again."),
        429: _("Wait a few minutes, then try again."),
    }
    return steps.get(
        status,
        _(
            "The error was logged. Try again in a moment. If a call is waiting, "
            "phone the coordinator on call directly."
        ),
    )


def error_page(status: int, description: str | None = None) -> Response:
    """Render the styled page for `status`, with the navigation."""
    detail = description if description and description not in STOCK_DESCRIPTIONS else None
    try:
        body = render_template(
            "error.html",
            status=status,
            headline=headline(status),
            detail=detail,
            next_step=next_step(status),
        )
    except Exception:
        log_exception(log, "the error page for %s could not be rendered", status)
        return Response(f"{headline(status)}. {next_step(status)}", status=status)
    return Response(body, status=status, mimetype="text/html")


def page_for(error: HTTPException) -> Response | HTTPException:
    """Answer a web error with the styled page; leave webhooks' answers as they are."""
    if request.blueprints and request.blueprints[-1] in WEBHOOK_BLUEPRINTS:
        return error
    if error.code is None or error.code < 400:
        return error
    # A CSRF refusal's own words ("The CSRF token is missing.") mean nothing to a person.
    description = None if isinstance(error, CSRFError) else error.description
    answer = error_page(error.code, description)
    for name, value in error.get_headers():
        if name in ("Retry-After", "Allow"):
            answer.headers[name] = value
    return answer


@functools.cache
def icon_bytes(static_folder: str) -> bytes:
    """Return the tab icon, read once."""
    return Path(static_folder, "favicon.ico").read_bytes()


def favicon() -> Response:
    """Serve the tab icon browsers ask for at the root."""
    icon = icon_bytes(current_app.static_folder or "static")
    answer = Response(icon, mimetype="image/vnd.microsoft.icon")
    answer.cache_control.max_age = 86400
    return answer


def init_app(app: Flask) -> None:
    """Offer the styled pages to the app-wide error handlers, and answer /favicon.ico."""
    app.extensions["hotline.error_page"] = page_for
    app.add_url_rule("/favicon.ico", "favicon", favicon)
