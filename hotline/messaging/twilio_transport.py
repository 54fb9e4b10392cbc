"""Send texts, place calls, delete recordings and ask after calls through Twilio's REST API."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import Timeout
from twilio.base import values
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from ..phones import mask_phone
from ..webhooks import STATUS_CALLBACK_RETRIES
from .transport import UNEXPECTED, CallState, CallUnknown, SendResult, call_state

log = logging.getLogger(__name__)

# Refused credentials: the account's, so every text fails alike until they are mended.
UNAUTHORIZED = 401
# A recording Twilio no longer has: deleted already (by an earlier try, or at the console).
NOT_FOUND = 404
# Twilio's own answer to "slow down", the one 4xx that passes by itself.
TOO_MANY_REQUESTS = 429
# Twilio will not send from HOTLINE_NUMBER (not this account's, not SMS-capable, none at
# all): every text fails alike until the number is mended, as with refused credentials.
SENDER_REFUSED = frozenset({"21212", "21601", "21603", "21606", "21659", "21660", "21661"})
# How long a coordinator's phone rings for a callback before Twilio gives up.
RING_SECONDS = 30


class _RetryAfterKept(TwilioHttpClient):  # type: ignore[misc]  # the client is untyped
    """Twilio's HTTP client, keeping the last answer's Retry-After (its exceptions drop it)."""

    retry_after: str | None = None

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self.retry_after = None  # a request that gets no answer leaves none
        response = super().request(*args, **kwargs)
        self.retry_after = (response.headers or {}).get("Retry-After")
        return response


def retry_after(value: str | None, now: datetime | None = None) -> timedelta | None:
    """Read a Retry-After header (seconds, or an HTTP date) as how long to wait, if it says."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        try:
            return timedelta(seconds=int(value))
        except (OverflowError, ValueError):  # past timedelta's range, or int's digit limit
            return timedelta.max
    try:
        until = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if until.tzinfo is None:
        return None
    return max(until - (now or datetime.now(UTC)), timedelta(0))


class TwilioTransport:
    """Send texts with Twilio's REST API (or a stand-in at `base_url`, for tests)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str | None = None,
        timeout: float = 10,
        default_sender: str | None = None,
        status_callback: str | None = None,
        public_url: str | None = None,
    ) -> None:
        self._http = _RetryAfterKept(timeout=timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        if base_url is not None:
            # The Api domain builds every Messages URL from its base_url. Edge and
            # region settings (TWILIO_EDGE/TWILIO_REGION in the environment) rewrite
            # the host name, which would break a local address: drop them.
            self._client.api.base_url = base_url.rstrip("/")
            self._client.edge = None
            self._client.region = None
        self.default_sender = default_sender
        self.status_callback = status_callback
        self.public_url = (public_url or "").rstrip("/")

    def send(self, *, to: str, sender: str, body: str) -> SendResult:
        """Create one Message; map Twilio's answer (or the lack of one) to a SendResult."""
        try:
            message = self._client.messages.create(
                to=to,
                from_=sender or self.default_sender,
                body=body,
                # Left out of the request, not sent empty, when there is none.
                status_callback=self.status_callback or values.unset,
            )
        except (TwilioRestException, TwilioServiceException) as error:
            refused = _refused(int(error.status), error.code)
            if not refused.retryable:
                return refused
            return dataclasses.replace(refused, retry_after=retry_after(self._http.retry_after))
        except Timeout:
            # Twilio may have accepted the text before the answer was lost: trying
            # again can send it twice, which beats never sending it.
            return SendResult.retry("timed out")
        except RequestsConnectionError:
            return SendResult.retry("connection failed")
        except Exception as error:  # an answer the client could not read, a bug, …
            log.exception("sending a text to %s failed unexpectedly", mask_phone(to))
            return SendResult.retry(f"unexpected {type(error).__name__}", kind=UNEXPECTED)
        sid = message.sid
        return SendResult.ok(str(sid) if sid else None)

    def place_call(self, *, to: str, sender: str, path: str, status_path: str) -> SendResult:
        """Create one Call whose TwiML is the app's `path`; never retried by the caller."""
        if not self.public_url:
            return SendResult.reject(
                "HOTLINE_PUBLIC_URL is not set: Twilio cannot reach the app",
                kind="HOTLINE_PUBLIC_URL is not set",
            )
        try:
            call = self._client.calls.create(
                to=to,
                from_=sender or self.default_sender,
                url=self.public_url + path,
                method="POST",
                timeout=RING_SECONDS,
                status_callback=self.public_url + status_path + STATUS_CALLBACK_RETRIES,
                status_callback_method="POST",
                status_callback_event=["completed"],
            )
        except (TwilioRestException, TwilioServiceException) as error:
            return _refused(int(error.status), error.code)
        except Timeout:
            return SendResult.reject("timed out: the call may or may not ring", kind="timed out")
        except RequestsConnectionError:
            return SendResult.reject("connection failed")
        except Exception as error:
            log.exception("placing a call to %s failed unexpectedly", mask_phone(to))
            return SendResult.reject(f"unexpected {type(error).__name__}", kind=UNEXPECTED)
        sid = call.sid
        return SendResult.ok(str(sid) if sid else None)

    def delete_recording(self, sid: str) -> SendResult:
        """Delete one Recording; Twilio's 404 means it is gone already, as asked."""
        try:
            self._client.recordings(sid).delete()
        except (TwilioRestException, TwilioServiceException) as error:
            if int(error.status) == NOT_FOUND:
                return SendResult.ok(sid)
            return _refused(int(error.status), error.code)
        except Timeout:
            # Twilio may have deleted it before the answer was lost: the next try hears 404.
            return SendResult.retry("timed out")
        except RequestsConnectionError:
            return SendResult.retry("connection failed")
        except Exception as error:
            log.exception("deleting recording %s failed unexpectedly", sid)
            return SendResult.retry(f"unexpected {type(error).__name__}", kind=UNEXPECTED)
        return SendResult.ok(sid)

    def fetch_call(self, sid: str) -> CallState:
        """Fetch one Call; Twilio's 404 (a sid it never had) says nothing of other calls."""
        try:
            call = self._client.calls(sid).fetch()
        except (TwilioRestException, TwilioServiceException) as error:
            refused = _refused(int(error.status), error.code)
            return CallUnknown(refused.error or "refused", unreachable=refused.retryable)
        except Timeout:
            return CallUnknown("timed out", unreachable=True)
        except RequestsConnectionError:
            return CallUnknown("connection failed", unreachable=True)
        except Exception as error:
            log.exception("asking Twilio about call %s failed unexpectedly", sid)
            return CallUnknown(f"unexpected {type(error).__name__}", unreachable=True)
        return call_state(call.status, call.end_time, call.duration)

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        if self._http.session is not None:
            self._http.session.close()

    def __enter__(self) -> TwilioTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _refused(status: int, code: object) -> SendResult:
    """Map an HTTP error answer and its Twilio error code onto a SendResult."""
    # Twilio puts its own code in the JSON body; the client falls back to the
    # HTTP status when the body has none, which is no Twilio code at all.
    error_code = str(code) if code is not None and code != status else None
    error = f"HTTP {status}" + (f" (Twilio error {error_code})" if error_code else "")
    if status in (UNAUTHORIZED, TOO_MANY_REQUESTS) or status >= 500 or error_code in SENDER_REFUSED:
        return SendResult.retry(error, error_code)
    return SendResult.reject(error, error_code)
