"""Parse TwiML Voice documents and check them against Twilio's documented schema."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from xml.etree.ElementTree import Element, ParseError, fromstring

__all__ = ["ParseError", "TwimlError", "UnsupportedTwiml", "parse", "validate"]

# An attribute check returns a complaint, or None when the value is fine.
Check = Callable[[str], str | None]

VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Dial", "Record", "Redirect", "Hangup", "Reject"}
)
GATHER_CHILDREN = frozenset({"Say", "Play", "Pause"})
DIAL_NOUNS = frozenset({"Number", "Client", "Sip", "Conference", "Queue"})
MAX_DIAL_NOUNS = 10
KEYS = "0123456789#*"


class TwimlError(AssertionError):
    """TwiML that Twilio would reject, or a webhook conversation that cannot end."""


class UnsupportedTwiml(TwimlError):
    """Valid TwiML that this emulator does not play (GET methods, Conference, …)."""


def _integer(low: int, high: int | None = None) -> Check:
    def check(value: str) -> str | None:
        if not re.fullmatch(r"\d+", value):
            return "must be an integer"
        if int(value) < low or (high is not None and int(value) > high):
            return f"must be between {low} and {high}" if high else f"must be at least {low}"
        return None

    return check


def _choice(*allowed: str) -> Check:
    def check(value: str) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return check


def _events(*allowed: str) -> Check:
    def check(value: str) -> str | None:
        unknown = [event for event in re.split(r"[\s,]+", value.strip()) if event not in allowed]
        return f"has unknown events {unknown}" if unknown or not value.strip() else None

    return check


def _keys(value: str) -> str | None:
    return None if all(key in KEYS for key in value) else f"may only hold the keys {KEYS}"


def _tones(value: str) -> str | None:
    allowed = KEYS + "wW"  # w and W pause half a second and a second between tones
    return None if value and all(key in allowed for key in value) else f"may only hold {allowed}"


def _anything(value: str) -> str | None:
    return None


BOOLEAN = _choice("true", "false")
METHOD = _choice("GET", "POST")
FINISH_KEY = _choice("", *KEYS)
RECORDING_EVENTS = _events("in-progress", "completed", "absent")
CALL_EVENTS = _events("initiated", "ringing", "answered", "completed")

ATTRIBUTES: Mapping[str, Mapping[str, Check]] = {
    "Say": {"voice": _anything, "language": _anything, "loop": _integer(0)},
    "Play": {"loop": _integer(0), "digits": _tones},
    "Pause": {"length": _integer(1)},
    "Gather": {
        "input": _choice("dtmf", "speech", "dtmf speech", "speech dtmf"),
        "action": _anything,
        "method": METHOD,
        "timeout": _integer(1),
        "finishOnKey": FINISH_KEY,
        "numDigits": _integer(1),
        "speechTimeout": _anything,
        "actionOnEmptyResult": BOOLEAN,
        "language": _anything,
        "hints": _anything,
        "partialResultCallback": _anything,
        "partialResultCallbackMethod": METHOD,
        "profanityFilter": BOOLEAN,
        "speechModel": _anything,
        "enhanced": BOOLEAN,
        "debug": BOOLEAN,
        "dtmfDetection": BOOLEAN,
    },
    "Dial": {
        "action": _anything,
        "method": METHOD,
        "timeout": _integer(5, 600),
        "answerOnBridge": BOOLEAN,
        "callerId": _anything,
        "callReason": _anything,
        "events": _anything,
        "record": _choice(
            "true",
            "false",
            "do-not-record",
            "record-from-answer",
            "record-from-ringing",
            "record-from-answer-dual",
            "record-from-ringing-dual",
        ),
        "hangupOnStar": BOOLEAN,
        "timeLimit": _integer(1),
        "ringTone": _anything,
        "trim": _choice("trim-silence", "do-not-trim"),
        "recordingStatusCallback": _anything,
        "recordingStatusCallbackMethod": METHOD,
        "recordingStatusCallbackEvent": RECORDING_EVENTS,
        "recordingTrack": _choice("both", "inbound", "outbound"),
        "referUrl": _anything,
        "referMethod": METHOD,
        "sequential": BOOLEAN,
    },
    "Number": {
        "url": _anything,
        "method": METHOD,
        "statusCallback": _anything,
        "statusCallbackEvent": CALL_EVENTS,
        "statusCallbackMethod": METHOD,
        "sendDigits": _tones,
        "byoc": _anything,
        "machineDetection": _choice("Enable", "DetectMessageEnd"),
        "machineDetectionTimeout": _integer(3, 60),
        "machineDetectionSpeechThreshold": _integer(1000, 6000),
        "machineDetectionSpeechEndThreshold": _integer(500, 5000),
        "machineDetectionSilenceTimeout": _integer(2000, 10000),
        "amdStatusCallback": _anything,
        "amdStatusCallbackMethod": METHOD,
    },
    "Record": {
        "action": _anything,
        "method": METHOD,
        "timeout": _integer(0),
        "maxLength": _integer(1, 86400),
        "playBeep": BOOLEAN,
        "finishOnKey": _keys,
        "trim": _choice("trim-silence", "do-not-trim"),
        "transcribe": BOOLEAN,
        "transcribeCallback": _anything,
        "recordingStatusCallback": _anything,
        "recordingStatusCallbackMethod": METHOD,
        "recordingStatusCallbackEvent": RECORDING_EVENTS,
    },
    "Redirect": {"method": METHOD},
    "Hangup": {},
    "Reject": {"reason": _choice("rejected", "busy")},
}


def parse(body: str) -> Element:
    """Parse a webhook answer as XML, raising ParseError when it is not XML."""
    return fromstring(body.strip())


def validate(root: Element, *, callee: bool = False) -> None:
    """Raise TwimlError unless `root` is TwiML Twilio would run (`callee`: a <Number url>'s)."""
    if root.tag != "Response":
        raise TwimlError(f"the root element is <{root.tag}>, not <Response>")
    if root.attrib:
        raise TwimlError(f"<Response> takes no attributes, got {sorted(root.attrib)}")
    _no_text(root)
    for verb in root:
        if verb.tag not in VERBS:
            where = "inside <Dial>" if verb.tag in DIAL_NOUNS else "a TwiML Voice verb"
            raise TwimlError(f"<{verb.tag}> at the top of <Response> is not {where}")
        if callee and verb.tag == "Dial":
            raise TwimlError("a <Number url> document may not contain <Dial>")
        _check_verb(verb)


def _check_verb(verb: Element) -> None:
    _check_attributes(verb)
    if verb.tag == "Gather":
        _no_text(verb)
        for child in verb:
            if child.tag not in GATHER_CHILDREN:
                raise TwimlError(f"<Gather> may only contain Say, Play, Pause, not <{child.tag}>")
            _check_verb(child)
    elif verb.tag == "Dial":
        _check_dial(verb)
    else:
        for child in verb:
            raise TwimlError(f"<{verb.tag}> may not contain <{child.tag}>")
        if verb.tag in ("Say", "Redirect") and not (verb.text or "").strip():
            raise TwimlError(f"<{verb.tag}> needs text")
        if verb.tag == "Play" and not (verb.text or "").strip() and "digits" not in verb.attrib:
            raise TwimlError("<Play> needs a URL or a digits attribute")
        if verb.tag in ("Pause", "Hangup", "Reject", "Record"):
            _no_text(verb)


def _check_dial(dial: Element) -> None:
    nouns = list(dial)
    text = (dial.text or "").strip()
    if not nouns and not text:
        raise TwimlError("<Dial> needs a number or a noun")
    if nouns and text:
        raise TwimlError("<Dial> holds either a number as text or nouns, not both")
    if len(nouns) > MAX_DIAL_NOUNS:
        raise TwimlError(f"<Dial> may hold at most {MAX_DIAL_NOUNS} nouns")
    for noun in nouns:
        if noun.tag not in DIAL_NOUNS:
            raise TwimlError(f"<Dial> may not contain <{noun.tag}>")
        tail = (noun.tail or "").strip()
        if tail:
            raise TwimlError(f"stray text {tail!r} inside <Dial>")
        if noun.tag == "Number":
            _check_attributes(noun)
            if list(noun) or not (noun.text or "").strip():
                raise TwimlError("<Number> holds a phone number as text and nothing else")


def _check_attributes(element: Element) -> None:
    known = ATTRIBUTES[element.tag]
    for name, value in element.attrib.items():
        if name not in known:
            raise TwimlError(f"<{element.tag}> has no attribute {name!r}")
        complaint = known[name](value)
        if complaint is not None:
            raise TwimlError(f"<{element.tag} {name}={value!r}> {complaint}")


def _no_text(element: Element) -> None:
    """Raise TwimlError when text sits directly inside `element` or between its children."""
    stray = [(element.text or "").strip(), *((child.tail or "").strip() for child in element)]
    if any(stray):
        raise TwimlError(f"stray text {' '.join(filter(None, stray))!r} inside <{element.tag}>")
