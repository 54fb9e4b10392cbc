"""Hold one emulated call: its script cursor, its transcript and its signed requests."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from .script import CallResult, CallScript, Event, EventKind, Leg
from .transport import Poster, PostResult, sign
from .twiml import ParseError, TwimlError, UnsupportedTwiml, parse, validate

API_VERSION = "2010-04-01"
MAX_REQUESTS = 50
# What Twilio plays when a webhook fails or answers something that is not TwiML.
APPLICATION_ERROR = "We're sorry, an application error has occurred. Goodbye."
TWIML_CONTENT_TYPES = ("text/xml", "application/xml", "text/html")
# Twilio's error codes for a failed webhook, sent to the Fallback URL as ErrorCode.
HTTP_RETRIEVAL_FAILURE = "11200"
DOCUMENT_PARSE_FAILURE = "12100"
INVALID_CONTENT_TYPE = "12300"
WORDS_PER_SECOND = 2.5
DEFAULT_GATHER_TIMEOUT = 5


def new_sid(prefix: str) -> str:
    """Return a fresh Twilio-style SID: a two-letter prefix and 32 hex digits."""
    return prefix + uuid.uuid4().hex


class CallerHungUp(Exception):
    """Signal that the caller hung up while a request was being answered."""


class WebhookFailed(Exception):
    """Signal that a webhook answered with an error or with something other than TwiML."""

    def __init__(self, url: str, code: str, reason: str) -> None:
        super().__init__(f"{reason} ({code}) from {url}")
        self.url = url
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Document:
    """A validated TwiML document and the URL it came from (relative URLs resolve on it)."""

    url: str
    root: Element


class CallState:
    """Track one call in progress: the script's cursor and everything that happened."""

    def __init__(
        self,
        poster: Poster,
        auth_token: str,
        result: CallResult,
        base: dict[str, str],
        script: CallScript,
    ) -> None:
        self._poster = poster
        self._auth_token = auth_token
        self.result = result
        self.base = base
        self.script = script
        self.webhooks = 0
        self._gathers = iter(script.gathers)
        self._dials: dict[str, int] = {}
        self._in_order = iter(script.legs_in_order)

    def params(self, status: str = "in-progress", **extra: str) -> dict[str, str]:
        """Return the parameters of a request about the caller's (parent) call."""
        return {**self.base, "CallStatus": status, **extra}

    def next_gather(self) -> str | None:
        """Return the caller's keys for the next caller-side <Gather>, None for no input."""
        return next(self._gathers, None)

    def next_leg(self, number: str) -> Leg:
        """Return what the person at `number` does on this dial of it."""
        count = self._dials.get(number, 0)
        self._dials[number] = count + 1
        legs = self.script.legs.get(number, [])
        if count < len(legs):
            return legs[count]
        return next(self._in_order, Leg("no-answer"))

    def log(self, kind: EventKind, text: str, **detail: str) -> None:
        """Append one event to the transcript."""
        self.result.events.append(Event(kind, text, detail))

    def spend(self, seconds: int) -> int:
        """Add modelled seconds to the call's duration and return them."""
        self.result.duration += seconds
        return seconds

    def post(self, url: str, params: dict[str, str]) -> PostResult:
        """Sign and POST one request, recording it; raise TwimlError past the request cap."""
        if len(self.result.requests) >= MAX_REQUESTS:
            raise TwimlError(f"loop: the call made {MAX_REQUESTS} requests without ending")
        answer = self._poster(url, params, sign(self._auth_token, url, params))
        self.result.requests.append((url, dict(params), answer.status))
        self.log("request", f"POST {url}", status=str(answer.status))
        return answer

    def fetch(self, url: str, params: dict[str, str], *, callee: bool = False) -> Document:
        """POST a TwiML webhook and return its validated document."""
        answer = self.post(url, params)
        self.webhooks += 1
        # The caller hangs up while the request that reaches hang_up_after is answered.
        if self.script.hang_up_after is not None and self.webhooks >= self.script.hang_up_after:
            raise CallerHungUp
        if not 200 <= answer.status < 300:
            raise WebhookFailed(url, HTTP_RETRIEVAL_FAILURE, f"HTTP status {answer.status}")
        media_type = answer.content_type.split(";")[0].strip().lower()
        if media_type not in TWIML_CONTENT_TYPES:
            raise WebhookFailed(url, INVALID_CONTENT_TYPE, f"content type {media_type!r}")
        try:
            root = parse(answer.body)
        except ParseError as error:
            raise WebhookFailed(url, DOCUMENT_PARSE_FAILURE, f"not XML: {error}") from error
        validate(root, callee=callee)
        return Document(url, root)

    def prompt(self, verb: Element, *, callee: bool = False) -> int:
        """Play a <Say>, <Play> or <Pause> to one side and return the seconds it took."""
        text = (verb.text or "").strip()
        loop = verb.get("loop", "1")
        if verb.tag == "Say":
            if callee:
                self.log("whisper", text)
            else:
                self.log("say", text, **({"loop": loop} if loop != "1" else {}))
                self.result.heard.append(text)
            return self.spend(max(1, math.ceil(len(text.split()) / WORDS_PER_SECOND)))
        if verb.tag == "Play":
            self.log("play", text or f"digits {verb.get('digits')}", side=_side(callee))
            return self.spend(1)
        length = int(verb.get("length", "1"))
        self.log("pause", f"{length}s", side=_side(callee))
        return self.spend(length)


def gathered(gather: Element, pressed: str | None) -> dict[str, str] | None:
    """Return the extra parameters a <Gather> posts to its action, None to fall through."""
    # Keys stop at finishOnKey (not submitted) or at numDigits. No keys, or an input
    # without "dtmf", falls through to the next verb unless actionOnEmptyResult is true.
    digits = ""
    if pressed is not None and "dtmf" in gather.get("input", "dtmf").split():
        finish = gather.get("finishOnKey", "#")
        limit = int(gather.get("numDigits", "0"))
        for key in pressed:
            if finish and key == finish:
                break
            digits += key
            if limit and len(digits) >= limit:
                break
    if digits:
        return {"Digits": digits}
    return {} if gather.get("actionOnEmptyResult") == "true" else None


def gather_timeout(gather: Element) -> int:
    """Return how long a <Gather> waits for a first key."""
    return int(gather.get("timeout", str(DEFAULT_GATHER_TIMEOUT)))


def require_post(element: Element, attribute: str = "method") -> None:
    """Raise UnsupportedTwiml when a verb asks for a GET, which the emulator does not send."""
    if element.get(attribute, "POST") != "POST":
        raise UnsupportedTwiml(f"<{element.tag} {attribute}=GET>: the emulator only POSTs")


def _side(callee: bool) -> str:
    return "callee" if callee else "caller"
