"""Voice routes: verify the signature, apply the step, answer TwiML — never a 500."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from twilio.twiml.voice_response import VoiceResponse

from ..db import abandon_session, discard_session
from ..deadline import DeadlineExceeded
from ..logs import log_exception
from ..webhooks import twilio_signed, webhook_deadline
from . import twiml

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")


def xml(response: VoiceResponse) -> Response:
    """Return TwiML with Twilio's content type."""
    return Response(str(response), mimetype="text/xml")


def fallback_response() -> Response:
    """Return the fail-open TwiML, built from configuration alone."""
    config = current_app.config
    return xml(twiml.fallback(config["HOTLINE_FALLBACK_NUMBERS"], config["HOTLINE_DIAL_TIMEOUT"]))


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


@bp.post("/fallback")
@twilio_signed
def fallback() -> Response:
    """Dial the fallback numbers; this path never touches the database (SPEC §4.7)."""
    return fallback_response()


def now() -> datetime:
    """Return the request's instant: read once, passed to everything below."""
    return datetime.now(UTC)


# The call's steps register on `bp`; /voice/fallback above uses configuration alone.
from . import callback, steps  # noqa: E402,F401
