"""Twilio webhook signatures (X-Twilio-Signature), checked before anything else."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from flask import Request, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml import TwiML

from .deadline import WEBHOOK_DEADLINE_S, deadline
from .plain_text import clean_text

# Twilio's "connection overrides": retry a status callback answered 5xx or timed out, up
# to 5 times, so a status the app could not store (it answers 503) is sent again.
STATUS_CALLBACK_RETRIES = "#rc=5&rp=5xx,ct,rt"
STATUS_CALLBACK_PATHS = ("/voice/status", "/sms/status", "/voice/callback/status")
# Where the request's environ keeps when its deadline started counting.
DEADLINE_STARTED = "hotline.deadline_started"
# Work after the answer is decided (logging a failed text, a coverage check) is left
# out when less than this is left of the deadline: it would only be cut short.
LEAST_WORK_S = 0.1


def signed_url(req: Request, public_url: str | None) -> str:
    """Return the URL Twilio signed: the public base URL + path + query when configured."""
    if not public_url:
        return req.url
    query = req.query_string.decode("latin-1")
    return public_url.rstrip("/") + req.path + (f"?{query}" if query else "")


class SignedValues(dict[str, list[str]]):
    """A form's values as twilio's validator reads them: every value of each field.

    The validator asks `getall()` (a MultiDict's), then `getlist()`, then takes a
    plain value, catching the AttributeError of each miss: for a dict, or werkzeug's
    MultiDict (no `getall`), that is one or two exceptions per field and per URL
    form it tries, half the check's CPU on every webhook.
    """

    def getall(self, name: str) -> list[str]:
        """Return every value of field `name`."""
        return self[name]


def signature_is_valid(req: Request) -> bool:
    """Tell whether the request carries Twilio's signature of its URL and form."""
    signature = req.headers.get("X-Twilio-Signature", "")
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not signature or not token:
        return False
    validator = RequestValidator(token)
    url = signed_url(req, current_app.config.get("HOTLINE_PUBLIC_URL"))
    # Every value of a repeated field: Twilio signs them all, and to_dict() keeps the first.
    form = SignedValues(req.form.lists())
    if validator.validate(url, form, signature):
        return True
    # The status callbacks' URLs carry Twilio's retry override after `#`; whether Twilio
    # signs the URL with it or without it is not documented, so both are accepted.
    return req.path in STATUS_CALLBACK_PATHS and bool(
        validator.validate(url + STATUS_CALLBACK_RETRIES, form, signature)
    )


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) a webhook request that Twilio did not sign; nothing else runs first."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not signature_is_valid(request):
            abort(403)
        return view(*args, **kwargs)

    return checked


def twiml_response(document: TwiML) -> Response:
    """Return a TwiML document (voice or messaging) with Twilio's content type."""
    return Response(str(document), mimetype="text/xml")


def webhook_time_left() -> float:
    """Return what is left of this request's one deadline, counted from its first use.

    Tests may shorten the deadline with WEBHOOK_DEADLINE_S.
    """
    budget = float(current_app.config.get("WEBHOOK_DEADLINE_S", WEBHOOK_DEADLINE_S))
    started: float = request.environ.setdefault(DEADLINE_STARTED, time.monotonic())
    return budget - (time.monotonic() - started)


def webhook_deadline() -> AbstractContextManager[None]:
    """Bound a webhook's work by what is left of its deadline.

    Every block of one request shares one deadline: a text that failed on a
    lock, then logged as failed, must still be answered in time (SPEC §4.8).
    """
    return deadline(max(webhook_time_left(), LEAST_WORK_S))


def form_text(name: str, limit: int) -> str:
    """Return a webhook field as storable, echoable text, clipped to `limit` characters."""
    return clean_text(request.form.get(name, ""))[:limit]
