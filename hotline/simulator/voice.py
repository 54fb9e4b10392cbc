"""Emulate Twilio Voice for inbound calls: follow the app's TwiML the way Twilio does."""

from __future__ import annotations

from urllib.parse import urljoin
from xml.etree.ElementTree import Element

from .call import (
    API_VERSION,
    APPLICATION_ERROR,
    CallerHungUp,
    CallState,
    Document,
    WebhookFailed,
    gather_timeout,
    gathered,
    new_sid,
    require_post,
)
from .dial import dial
from .script import CallResult, CallScript
from .transport import Poster, PostResult, sign

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_RECORD_TIMEOUT = 5
RECORD_FINISH_KEYS = "1234567890*#"


class VoiceEmulator:
    """Place inbound calls against a webhook app and follow its TwiML as Twilio would."""

    def __init__(
        self,
        poster: Poster,
        auth_token: str,
        base_url: str,
        *,
        status_callback: str | None = "/voice/status",
        account_sid: str = DEFAULT_ACCOUNT_SID,
        fallback: str | None = None,
    ) -> None:
        self._poster = poster
        self._auth_token = auth_token
        self._base_url = base_url.rstrip("/")
        self._status_callback = status_callback
        self._account_sid = account_sid
        self._fallback = fallback
        self._calls: dict[str, dict[str, str]] = {}

    def url(self, path: str) -> str:
        """Return the absolute URL of an app path (absolute URLs pass through)."""
        if "://" in path:
            return path
        return self._base_url + ("" if path.startswith("/") else "/") + path

    def call(
        self,
        from_: str,
        to: str,
        script: CallScript | None = None,
        *,
        call_sid: str | None = None,
        path: str = "/voice/incoming",
        direction: str = "inbound",
        status_callback: str | None = None,
    ) -> CallResult:
        """Place one call from `from_` to `to` and play it to the end.

        An inbound call rings the hotline; an `outbound-api` call is one the app
        placed through the REST API, answered at `to` and run from `path`, with
        its own `status_callback` (else the emulator's).
        """
        sid = call_sid or new_sid("CA")
        base = {
            "AccountSid": self._account_sid,
            "CallSid": sid,
            "From": from_,
            "To": to,
            "Caller": from_,
            "Called": to,
            "Direction": direction,
            "ApiVersion": API_VERSION,
        }
        self._calls[sid] = base
        result = CallResult(sid)
        call = CallState(self._poster, self._auth_token, result, base, script or CallScript())
        try:
            document: Document | None = self._answer(call, self.url(path))
            first = True
            while document is not None:
                document, first = _play(call, document, first=first), False
        except CallerHungUp:
            call.log("hangup", "the caller hung up")
        except WebhookFailed as failure:
            # Twilio tells the caller about the failure and ends the call.
            call.log("error", str(failure), code=failure.code)
            result.heard.append(APPLICATION_ERROR)
        call.log("end", result.status, duration=str(result.duration))
        final = status_callback or self._status_callback
        if final is not None:
            params = call.params(result.status, CallDuration=str(result.duration))
            call.post(self.url(final), params)
        return result

    def status_callback(self, call_sid: str, status: str, **extra: str) -> PostResult:
        """POST a status callback for a call on demand (late, repeated or out of order)."""
        if self._status_callback is None:
            raise ValueError("this emulator has no status callback URL")
        base = self._calls.get(call_sid) or {
            "AccountSid": self._account_sid,
            "CallSid": call_sid,
            "ApiVersion": API_VERSION,
        }
        params = {**base, "CallStatus": status, **extra}
        url = self.url(self._status_callback)
        return self._poster(url, params, sign(self._auth_token, url, params))

    def _answer(self, call: CallState, url: str) -> Document:
        """Fetch the first document, from the fallback URL when the Voice URL fails."""
        try:
            return call.fetch(url, call.params("ringing"))
        except WebhookFailed as failure:
            if self._fallback is None:
                raise
            call.log("error", str(failure), code=failure.code)
            params = call.params("ringing", ErrorCode=failure.code, ErrorUrl=failure.url)
            return call.fetch(self.url(self._fallback), params)


def _play(call: CallState, document: Document, *, first: bool) -> Document | None:
    """Play one document's verbs; return the next document, or None when the call ends."""
    for index, verb in enumerate(document.root):
        following: Document | None = None
        if verb.tag in ("Say", "Play", "Pause"):
            call.prompt(verb)
        elif verb.tag == "Gather":
            following = _gather(call, document, verb)
        elif verb.tag == "Dial":
            following = dial(call, document, verb)
        elif verb.tag == "Record":
            following = _record(call, document, verb)
        elif verb.tag == "Redirect":
            require_post(verb)
            target = urljoin(document.url, (verb.text or "").strip())
            call.log("redirect", target)
            return call.fetch(target, call.params())
        elif verb.tag == "Hangup":
            call.log("hangup", "the app hung up")
            return None
        else:
            reason = verb.get("reason", "rejected")
            if first and index == 0:
                # Rejected before being answered: the call never starts.
                call.result.status = "busy" if reason == "busy" else "no-answer"
            call.log("hangup", f"the app rejected the call ({reason})")
            return None
        if following is not None:
            return following
    call.log("hangup", "the TwiML ran out")
    return None


def _gather(call: CallState, document: Document, verb: Element) -> Document | None:
    """Play a caller-side <Gather>; return the action's document, or None to fall through."""
    for child in verb:
        call.prompt(child)
    action = urljoin(document.url, verb.get("action", document.url))
    submitted = gathered(verb, call.next_gather())
    digits = "no input" if submitted is None else submitted.get("Digits", "no input")
    call.log("gather", digits, action=action)
    if submitted is None:
        call.spend(gather_timeout(verb))
        return None
    require_post(verb)
    return call.fetch(action, call.params(**submitted))


def _record(call: CallState, document: Document, verb: Element) -> Document | None:
    """Play a <Record>; return the action's document, or None to go on after it."""
    require_post(verb)
    action = urljoin(document.url, verb.get("action", document.url))
    if call.script.recording is None:
        # Twilio skips the action of an empty recording and goes on with the next verb.
        call.log("record", "empty recording", action=action)
        call.spend(int(verb.get("timeout", str(DEFAULT_RECORD_TIMEOUT))))
        return None
    recording_url, seconds = call.script.recording
    call.spend(seconds)
    extra = {
        "RecordingUrl": recording_url,
        "RecordingDuration": str(seconds),
        "RecordingSid": new_sid("RE"),
    }
    finish = call.script.record_finish
    call.log("record", recording_url, action=action, duration=str(seconds), finish=finish)
    if finish == "hangup":
        # The caller hung up to end the recording: the action hears of it, nothing runs after.
        call.post(action, call.params("completed", Digits="hangup", **extra))
        raise CallerHungUp
    if len(finish) == 1 and finish in verb.get("finishOnKey", RECORD_FINISH_KEYS):
        extra["Digits"] = finish
    return call.fetch(action, call.params(**extra))
