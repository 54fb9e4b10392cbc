"""Describe what the people on an emulated call do, and record what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

LegOutcome = Literal["accept", "voicemail", "decline", "no-answer", "busy", "failed"]
EventKind = Literal[
    "say",
    "play",
    "pause",
    "gather",
    "dial",
    "leg",
    "whisper",
    "record",
    "hangup",
    "redirect",
    "request",
    "end",
    "error",
]

ANSWERING = ("accept", "voicemail", "decline")
DECLINE_DIGITS = "2"
DEFAULT_RECORDING = (
    "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000"
    "/Recordings/RE123",
    12,
)


@dataclass(frozen=True)
class Leg:
    """What the person at a dialled number does when it rings.

    accept: answers, hears the whisper, presses `digits` in its <Gather>.
    voicemail: a voicemail box answers and presses nothing.
    decline: answers and presses "2".
    no-answer, busy, failed: never answers.
    """

    outcome: LegOutcome
    digits: str = "1"
    talk_seconds: int = 60

    @property
    def answers(self) -> bool:
        """Tell whether someone (or something) picks up."""
        return self.outcome in ANSWERING

    def keys(self) -> str | None:
        """Return the keys pressed at a whisper's <Gather>, None for no input."""
        if self.outcome == "accept":
            return self.digits
        if self.outcome == "decline":
            return DECLINE_DIGITS
        return None


@dataclass
class CallScript:
    """What the caller and the dialled people do, consumed in order.

    gathers: the caller's keys at each caller-side <Gather> (None or exhausted: no input).
    legs: per dialled number, the outcomes of its successive dials.
    legs_in_order: outcomes for dials of numbers not in `legs`, in dialling order
      (for a caller who does not know who is on call; exhausted: no answer).
    recording: (RecordingUrl, RecordingDuration) for <Record>; None: an empty recording.
    record_finish: how a recording ends: "hangup" (the caller hangs up; Twilio posts the
      action with Digits=hangup and runs nothing after it), a key (Digits=key, the call goes
      on with the action's answer), or "" (silence timeout, no Digits).
    hang_up_after: the caller hangs up once this many TwiML requests were answered.
    """

    gathers: list[str | None] = field(default_factory=list)
    legs: dict[str, list[Leg]] = field(default_factory=dict)
    legs_in_order: list[Leg] = field(default_factory=list)
    recording: tuple[str, int] | None = DEFAULT_RECORDING
    record_finish: str = "hangup"
    hang_up_after: int | None = None


@dataclass(frozen=True)
class Event:
    """One line of a call's transcript."""

    kind: EventKind
    text: str
    detail: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        extra = " ".join(f"{key}={value}" for key, value in self.detail.items())
        return f"{self.kind:>8}  {self.text}" + (f"  [{extra}]" if extra else "")


@dataclass
class CallResult:
    """Everything an emulated call did, in order."""

    call_sid: str
    events: list[Event] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str], int]] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    dialled: list[list[str]] = field(default_factory=list)
    answered_by: str | None = None
    status: str = "completed"
    duration: int = 0

    def transcript(self) -> str:
        """Return the events as readable lines, one per event."""
        return "\n".join(str(event) for event in self.events)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        """Return the params of every request whose URL path is `path`, in order."""
        return [params for url, params, _ in self.requests if urlsplit(url).path == path]
