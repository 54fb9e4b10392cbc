"""Send one text through a carrier: the contract every transport keeps, and the log transport.

A transport also places calls back, deletes the account's voicemail recordings and
asks what became of a call.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..phones import mask_phone
from ..webhooks import STATUS_CALLBACK_RETRIES

log = logging.getLogger(__name__)

# Prefix of the made-up sids the log transport hands out, so nobody mistakes
# them for Twilio's ("SM…") in the message log.
LOG_SID_PREFIX = "LOG"

# Twilio's error code for a recipient who replied STOP to our number (or
# Messaging Service): nothing we send reaches it until it replies START.
UNSUBSCRIBED_RECIPIENT = "21610"

# The kind of a failure nobody foresaw (a bug, an answer the client could not read): the
# readers of a failure notice are told this, and `error` keeps the exception's name.
UNEXPECTED = "unexpected error"

# Where Twilio reports delivery of the texts we send (SPEC §5).
STATUS_CALLBACK_PATH = "/sms/status"


@dataclass(frozen=True)
class SendResult:
    """What became of one request to the carrier: a sid, or an error and whether to try again."""

    sid: str | None
    error_code: str | None
    error: str | None
    retryable: bool
    # What went wrong in the catalog's words ("timed out"), where `error` says more.
    kind: str | None = None
    # How long the carrier asked us to wait before trying again (its Retry-After).
    retry_after: timedelta | None = None

    @property
    def succeeded(self) -> bool:
        """Tell whether the carrier accepted the text."""
        return self.error is None

    @classmethod
    def ok(cls, sid: str | None) -> SendResult:
        """Return the result of a text the carrier accepted under `sid`."""
        return cls(sid=sid, error_code=None, error=None, retryable=False)

    @classmethod
    def retry(
        cls,
        error: str,
        error_code: str | None = None,
        *,
        kind: str | None = None,
        retry_after: timedelta | None = None,
    ) -> SendResult:
        """Return the result of a failure that may pass: try again later."""
        return cls(
            sid=None,
            error_code=error_code,
            error=error,
            retryable=True,
            kind=kind,
            retry_after=retry_after,
        )

    @classmethod
    def reject(
        cls, error: str, error_code: str | None = None, *, kind: str | None = None
    ) -> SendResult:
        """Return the result of a failure that trying again cannot fix."""
        return cls(sid=None, error_code=error_code, error=error, retryable=False, kind=kind)


# What Twilio's Calls API says of a call that is over, and of one that is not yet.
ENDED_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
LIVE_CALL_STATUSES = ("queued", "initiated", "ringing", "in-progress")


@dataclass(frozen=True)
class CallEnded:
    """Twilio says the call is over: how, when (if it says) and after how many seconds."""

    status: str
    ended_at: datetime | None
    duration: int | None


@dataclass(frozen=True)
class CallLive:
    """Twilio says the call is still queued, ringing or going on."""

    status: str


@dataclass(frozen=True)
class CallUnknown:
    """Twilio could not tell; `unreachable` when asking about another call would fare alike."""

    error: str
    unreachable: bool


CallState = CallEnded | CallLive | CallUnknown


def call_state(status: str | None, ended_at: datetime | None, duration: str | None) -> CallState:
    """Read a Call resource's status, end time and duration as a CallState."""
    if status in ENDED_CALL_STATUSES:
        seconds = int(duration) if duration and duration.isascii() and duration.isdigit() else None
        return CallEnded(status, ended_at, seconds)
    if status in LIVE_CALL_STATUSES:
        return CallLive(status)
    return CallUnknown(f"unknown call status {status!r}", unreachable=False)


class Transport(Protocol):
    """Send one text or place one call now; report the outcome as a SendResult, never raise."""

    def send(self, *, to: str, sender: str, body: str) -> SendResult: ...

    def place_call(self, *, to: str, sender: str, path: str, status_path: str) -> SendResult:
        """Call `to` from `sender`; the answered call fetches its TwiML from the app's `path`."""
        ...

    def delete_recording(self, sid: str) -> SendResult:
        """Delete the account's recording `sid`; one already gone is deleted all the same."""
        ...

    def fetch_call(self, sid: str) -> CallState:
        """Ask what became of the account's call `sid`."""
        ...


class LogTransport:
    """Send nothing: log that a text would have gone out, and call it sent (development)."""

    def send(self, *, to: str, sender: str, body: str) -> SendResult:
        """Log one line naming the masked recipient (never the body) and return a fake sid."""
        sid = LOG_SID_PREFIX + uuid.uuid4().hex
        log.info("text to %s not sent (HOTLINE_TRANSPORT=log): %s", mask_phone(to), sid)
        return SendResult.ok(sid)

    def place_call(self, *, to: str, sender: str, path: str, status_path: str) -> SendResult:
        """Log that a call would have been placed, and call it placed (nothing rings)."""
        sid = LOG_SID_PREFIX + uuid.uuid4().hex
        log.info("call to %s not placed (HOTLINE_TRANSPORT=log): %s", mask_phone(to), sid)
        return SendResult.ok(sid)

    def delete_recording(self, sid: str) -> SendResult:
        """Log that the recording would have been deleted at Twilio, and call it deleted."""
        log.info("recording %s not deleted at Twilio (HOTLINE_TRANSPORT=log)", sid)
        return SendResult.ok(sid)

    def fetch_call(self, sid: str) -> CallState:
        """Ask nobody: without Twilio, nothing is known of the call."""
        return CallUnknown("HOTLINE_TRANSPORT=log: Twilio is not asked", unreachable=True)


def transport_for(config: Mapping[str, Any]) -> Transport:
    """Return the transport HOTLINE_TRANSPORT names, built from the app's settings."""
    if config.get("HOTLINE_TRANSPORT") != "twilio":
        return LogTransport()
    # Imported here so that development (the log transport) never loads the Twilio client.
    from .twilio_transport import TwilioTransport

    public_url = config.get("HOTLINE_PUBLIC_URL")
    return TwilioTransport(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        # Not a documented setting: lets an end-to-end test point at a fake Twilio.
        base_url=config.get("TWILIO_API_BASE_URL"),
        default_sender=config.get("HOTLINE_NUMBER"),
        public_url=public_url,
        status_callback=(
            f"{public_url}{STATUS_CALLBACK_PATH}{STATUS_CALLBACK_RETRIES}" if public_url else None
        ),
    )
