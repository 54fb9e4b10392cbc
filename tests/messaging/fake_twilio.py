"""A local stand-in for Twilio's Messages and IncomingPhoneNumbers APIs, over real HTTP.

It answers `POST /2010-04-01/Accounts/<sid>/Messages.json` and `…/Calls.json`
as Twilio does (basic auth, form fields in, Message or Call JSON out), keeps
every request it gets, and answers the next requests with failures a test
scripts. A created call only records its request: the test then plays the
call's webhooks itself, as Twilio would, with the voice emulator. It also lists the
account's phone numbers (filtered by `PhoneNumber`) and updates one by its sid,
keeps voicemail recordings that `DELETE …/Recordings/<sid>.json` deletes (404 once gone),
and answers `GET …/Calls/<sid>.json` with the status a test set (404 for any other sid).
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal

from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "fake-twilio-token"

# What a scripted answer can be: an HTTP failure, a Twilio error, or no answer.
Failure = Literal["429", "500", "503", "21610", "21211", "21606", "hang"]

# How long a hanging request waits at most: far beyond any client timeout a
# test sets, and released at once when the server shuts down.
HANG_LIMIT = 30.0

ERRORS: dict[str, tuple[int, int, str]] = {
    "429": (429, 20429, "Too Many Requests"),
    "500": (500, 20500, "Internal Server Error"),
    "503": (503, 20503, "Service Unavailable"),
    "21610": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "21211": (400, 21211, "The 'To' number is not a valid phone number."),
    "21606": (400, 21606, "The 'From' phone number provided is not a valid message-capable number"),
    "auth": (401, 20003, "Authenticate"),
    "404": (404, 20404, "The requested resource was not found"),
}
# IncomingPhoneNumber fields an update may set: the form field, then the JSON key.
NUMBER_FIELDS = {
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "VoiceApplicationSid": "voice_application_sid",
    "SmsApplicationSid": "sms_application_sid",
    "TrunkSid": "trunk_sid",
}


@dataclass(frozen=True)
class MessageRequest:
    """One request to create a Message, and the HTTP status it was answered with."""

    to: str
    sender: str
    body: str
    status_callback: str | None
    answered: int  # 0: none before the client gave up


@dataclass(frozen=True)
class CallRequest:
    """One request to create a Call (the fields the hotline sets), and its answer's status."""

    to: str
    sender: str
    url: str
    method: str
    status_callback: str | None
    status_callback_events: tuple[str, ...]
    timeout: str | None
    answered: int
    sid: str | None


class _QuietHandler(WSGIRequestHandler):
    """Log nothing: the tests read the request log instead."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class FakeTwilio:
    """Accept texts like Twilio, remember them, and fail on cue."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[MessageRequest] = []
        self.calls: list[CallRequest] = []
        self.numbers: dict[str, dict[str, Any]] = {}  # IncomingPhoneNumbers by sid
        self.number_updates: list[dict[str, str]] = []  # the form of each update, in order
        self.down = False  # while set, every request gets a 503
        self.garbled = False  # while set, numbers are answered 200 with a page that is no JSON
        self.recordings: set[str] = set()  # the sids of the recordings the account keeps
        self.deletions: list[tuple[str, int]] = []  # each recording DELETE: sid, status answered
        self.call_states: dict[str, dict[str, Any]] = {}  # what a GET of each call answers
        self.fetches: list[tuple[str, int]] = []  # each call GET: sid, status answered
        self.while_fetched: Callable[[], None] | None = None  # runs before a GET is answered
        self.retry_after: str | None = None  # while set, a 429 or 503 carries this Retry-After
        self._script: deque[Failure] = deque()
        self._sids = itertools.count(1)
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.url = ""
        self.app = Flask("fake_twilio")
        self.app.add_url_rule(
            "/2010-04-01/Accounts/<account_sid>/Messages.json",
            view_func=self._create_message,
            methods=["POST"],
        )
        self.app.add_url_rule(
            "/2010-04-01/Accounts/<account_sid>/Calls.json",
            view_func=self._create_call,
            methods=["POST"],
        )
        self.app.add_url_rule(
            "/2010-04-01/Accounts/<account_sid>/Calls/<sid>.json",
            view_func=self._fetch_call,
        )
        self.app.add_url_rule(
            "/2010-04-01/Accounts/<account_sid>/IncomingPhoneNumbers.json",
            view_func=self._list_numbers,
        )
        self.app.add_url_rule(
            "/2010-04-01/Accounts/<account_sid>/IncomingPhoneNumbers/<sid>.json",
            view_func=self._update_number,
            methods=["POST"],
        )
        self.app.add_url_rule(
            "/2010-04-01/Accounts/<account_sid>/Recordings/<sid>.json",
            view_func=self._delete_recording,
            methods=["DELETE"],
        )

    def add_number(self, phone_number: str, **fields: object) -> str:
        """Give the account a phone number with these fields (JSON keys); return its sid."""
        sid = f"PN{len(self.numbers) + 1:032x}"
        self.numbers[sid] = {
            **{key: None for key in NUMBER_FIELDS.values()},
            **{key: "POST" for key in NUMBER_FIELDS.values() if key.endswith("_method")},
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            **fields,
            "sid": sid,
            "account_sid": self.account_sid,
            "phone_number": phone_number,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json",
        }
        return sid

    def add_recording(self) -> str:
        """Keep a new voicemail recording; return its URL as Twilio's RecordingUrl gives it."""
        sid = f"RE{next(self._sids):032x}"
        self.recordings.add(sid)
        return f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}"

    def set_call(
        self, sid: str, status: str, end_time: datetime | None = None, duration: int | None = None
    ) -> None:
        """Make a GET of call `sid` answer `status`, and its end when it has one."""
        self.call_states[sid] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "status": status,
            "end_time": format_datetime(end_time, usegmt=True) if end_time else None,
            "duration": str(duration) if duration is not None else None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
        }

    @property
    def deleted(self) -> list[str]:
        """Return the sids of the recordings deleted (answered 204), in order."""
        return [sid for sid, answered in self.deletions if answered == 204]

    def fail_next(self, failure: Failure, times: int = 1) -> None:
        """Answer the next `times` requests with `failure`."""
        with self._lock:
            self._script.extend([failure] * times)

    def settings(self) -> dict[str, str]:
        """Return the app settings that send texts and place calls through this fake."""
        return {
            "HOTLINE_TRANSPORT": "twilio",
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_API_BASE_URL": self.url,
            # Webhooks the tests sign come with this token, as Twilio's come with the account's.
            "TWILIO_AUTH_TOKEN": self.auth_token,
        }

    @property
    def accepted(self) -> list[MessageRequest]:
        """Return the requests answered 201: the texts Twilio would deliver."""
        return [r for r in self.requests if r.answered == 201]

    def bodies(self) -> list[str]:
        """Return the bodies of the accepted texts, in order."""
        return [r.body for r in self.accepted]

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on a free local port in a thread; yield the base URL; stop on exit."""
        server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
        # A short poll interval lets shutdown() return at once instead of after 0.5 s.
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_port}"
        try:
            yield self.url
        finally:
            self._released.set()  # hanging requests answer now rather than hold on
            server.shutdown()
            thread.join()
            server.server_close()

    def _authorized(self, account_sid: str) -> bool:
        auth = request.authorization
        return not (
            auth is None
            or auth.username != self.account_sid
            or auth.password != self.auth_token
            or account_sid != self.account_sid
        )

    def _list_numbers(self, account_sid: str) -> Response | tuple[Response, int]:
        """Answer one page holding every number (or those matching `PhoneNumber`)."""
        if not self._authorized(account_sid):
            return self._error("auth", record=False)
        if self.down:
            return self._error("503", record=False)
        if self.garbled:
            return self._garbled()
        wanted = request.args.get("PhoneNumber")
        found = [n for n in self.numbers.values() if wanted in (None, n["phone_number"])]
        uri = f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json"
        return jsonify(
            {
                "incoming_phone_numbers": found,
                "uri": uri,
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": 50,
                "start": 0,
                "end": max(len(found) - 1, 0),
            }
        )

    def _update_number(self, account_sid: str, sid: str) -> Response | tuple[Response, int]:
        """Set the fields the form names on one number; answer the whole number."""
        if not self._authorized(account_sid):
            return self._error("auth", record=False)
        if sid not in self.numbers:
            return self._error("404", record=False)
        if self.garbled:
            return self._garbled()
        form = request.form.to_dict()
        self.number_updates.append(form)
        number = self.numbers[sid]
        for name, value in form.items():
            if name in NUMBER_FIELDS:
                number[NUMBER_FIELDS[name]] = value or None  # empty removes, as at Twilio
        return jsonify(number)

    def _delete_recording(self, account_sid: str, sid: str) -> Response | tuple[Response, int]:
        """Delete one recording: 204, or 404 when the account has none by that sid."""
        if not self._authorized(account_sid):
            self.deletions.append((sid, 401))
            return self._error("auth", record=False)
        with self._lock:
            failure = "503" if self.down else (self._script.popleft() if self._script else None)
        if failure == "hang":
            self.deletions.append((sid, 0))
            self._released.wait(HANG_LIMIT)
            return self._error("503", record=False)
        status = ERRORS[failure][0] if failure else 204 if sid in self.recordings else 404
        self.deletions.append((sid, status))
        if status == 204:
            self.recordings.discard(sid)
            return Response(status=204)
        return self._error(failure or "404", record=False)

    def _fetch_call(self, account_sid: str, sid: str) -> Response | tuple[Response, int]:
        """Answer one call's GET with the state a test set: 200, 404, or a scripted failure."""
        if not self._authorized(account_sid):
            self.fetches.append((sid, 401))
            return self._error("auth", record=False)
        if self.while_fetched is not None:
            self.while_fetched()
        with self._lock:
            failure = "503" if self.down else (self._script.popleft() if self._script else None)
        if failure == "hang":
            self.fetches.append((sid, 0))
            self._released.wait(HANG_LIMIT)
            return self._error("503", record=False)
        status = ERRORS[failure][0] if failure else 200 if sid in self.call_states else 404
        self.fetches.append((sid, status))
        if status == 200:
            return jsonify(self.call_states[sid])
        return self._error(failure or "404", record=False)

    def _create_message(self, account_sid: str) -> Response | tuple[Response, int]:
        """Answer one Messages create request."""
        if not self._authorized(account_sid):
            return self._error("auth")
        with self._lock:
            down = self.down
            failure = None if down else (self._script.popleft() if self._script else None)
        if down:
            return self._error("503")
        if failure == "hang":
            self._record(0)  # no answer while the client waits
            self._released.wait(HANG_LIMIT)
            return self._error("503", record=False)
        if failure is not None:
            return self._error(failure)
        return self._accept()

    def _create_call(self, account_sid: str) -> Response | tuple[Response, int]:
        """Answer one Calls create request: record it, then a Call JSON or a scripted failure."""
        if not self._authorized(account_sid):
            return self._error("auth", record=False)
        with self._lock:
            failure = "503" if self.down else (self._script.popleft() if self._script else None)
        if failure == "hang":
            self._record_call(0, None)
            self._released.wait(HANG_LIMIT)
            return self._error("503", record=False)
        if failure is not None:
            status = ERRORS[failure][0]
            self._record_call(status, None)
            return self._error(failure, record=False)
        sid = f"CA{next(self._sids):032x}"
        self._record_call(201, sid)
        form = request.form
        payload = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "direction": "outbound-api",
            "from": form.get("From"),
            "to": form.get("To"),
            "sid": sid,
            "status": "queued",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
        }
        return jsonify(payload), 201

    def _record_call(self, answered: int, sid: str | None) -> None:
        """Keep a Calls request's fields and the status it is answered with."""
        form = request.form
        with self._lock:
            self.calls.append(
                CallRequest(
                    to=form.get("To", ""),
                    sender=form.get("From", ""),
                    url=form.get("Url", ""),
                    method=form.get("Method", ""),
                    status_callback=form.get("StatusCallback"),
                    status_callback_events=tuple(form.getlist("StatusCallbackEvent")),
                    timeout=form.get("Timeout"),
                    answered=answered,
                    sid=sid,
                )
            )

    def _accept(self) -> tuple[Response, int]:
        """Record the text as accepted and answer with Twilio's Message JSON."""
        form = request.form
        sid = f"SM{next(self._sids):032x}"
        self._record(201)
        stamp = format_datetime(datetime.now(UTC), usegmt=True)
        payload = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": stamp,
            "date_sent": None,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": form.get("To"),
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return jsonify(payload), 201

    def _garbled(self) -> Response:
        """Answer 200 with an HTML page, as a proxy's sign-in page would, not Twilio's JSON."""
        return Response("<html><body>Sign in to continue</body></html>", content_type="text/html")

    def _error(self, name: str, *, record: bool = True) -> tuple[Response, int]:
        """Record the request and answer with a Twilio-shaped error."""
        status, code, message = ERRORS[name]
        if record:
            self._record(status)
        payload = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        answer = jsonify(payload)
        if self.retry_after is not None and status in (429, 503):
            answer.headers["Retry-After"] = self.retry_after
        return answer, status

    def _record(self, answered: int) -> None:
        """Keep the request's fields and the status it is answered with."""
        form = request.form
        with self._lock:
            self.requests.append(
                MessageRequest(
                    to=form.get("To", ""),
                    sender=form.get("From", ""),
                    body=form.get("Body", ""),
                    status_callback=form.get("StatusCallback"),
                    answered=answered,
                )
            )
