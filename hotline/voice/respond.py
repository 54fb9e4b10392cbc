"""How every voice step answers: TwiML in the call's language, and fail open on any error."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Response, current_app, g, request

from ..db import abandon_session, discard_session
from ..deadline import DeadlineExceeded
from ..i18n import LANGUAGES
from ..logs import log_exception
from ..webhooks import twiml_response, webhook_deadline
from . import twiml

log = logging.getLogger(__name__)


def program_language() -> str:
    """Return HOTLINE_LANGUAGE: what the hotline speaks to whoever it does not know."""
    return str(current_app.config.get("HOTLINE_LANGUAGE", "en"))


def call_language() -> str:
    """Return the call's language, carried in the signed step URL (`lang`)."""
    language = request.args.get("lang", "") or _failed_step_language()
    return language if language in LANGUAGES else program_language()


def _failed_step_language() -> str:
    """Return the `lang` of the step Twilio names as failed when it calls the Fallback URL.

    Twilio sends a call whose step failed at its end (the app restarting, say) to
    the number's Fallback URL with that step's URL as `ErrorUrl`: the call's
    language is there, with no database needed.
    """
    try:
        query = urlsplit(request.form.get("ErrorUrl", "")).query
    except ValueError:  # "http://[": this answer must not fail (SPEC §4.7)
        return ""
    return parse_qs(query).get("lang", [""])[0]


def fallback_response() -> Response:
    """Return the fail-open TwiML, built from configuration alone."""
    config = current_app.config
    return twiml_response(
        twiml.fallback(
            config["HOTLINE_FALLBACK_NUMBERS"], config["HOTLINE_DIAL_TIMEOUT"], call_language()
        )
    )


def fail_open(
    on_error: Callable[[], Response] = fallback_response,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Answer `on_error()` instead of a 500 when a step fails (the database is down, say)."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Response:
            try:
                with webhook_deadline():
                    return view(*args, **kwargs)
            except DeadlineExceeded as exc:
                log.error("voice step %s ran past its deadline; answering fail-open", request.path)
                abandon_session()
                g.webhook_failure = exc
            except Exception as exc:
                log_exception(log, "voice step %s failed; answering fail-open TwiML", request.path)
                discard_session()
                g.webhook_failure = exc
            try:
                return on_error()
            except Exception:
                log_exception(log, "fail-open answer of %s failed too", request.path)
                return fallback_response()

        return guarded

    return decorate


def now() -> datetime:
    """Return the request's instant: read once, passed to everything below."""
    return datetime.now(UTC)
