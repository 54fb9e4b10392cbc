"""Read a text as a command: a pure function of its words (SPEC §5)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

MAX_TAKE = timedelta(days=7)
# "ACK 42", "ack #42", "ACK#42": the # and the space are optional, not both missing.
_REFERENCE = r"(?:\s+#?|\s*#)\s*(\d{1,9})"
_DURATION = re.compile(
    r"^(\d{1,4})\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$", re.IGNORECASE
)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Command:
    """A text understood as a command; `name` is its keyword in capitals."""

    name: str
    referral: int | None = None
    text: str = ""
    duration: timedelta | None = None


HELP, STOP, START, REFER, ABORT = "HELP", "STOP", "START", "REFER", "ABORT"
STATUS, ACK, NOTE, INTAKE, NONCOMPLY, WHO, TAKE, CALL = (
    "STATUS",
    "ACK",
    "NOTE",
    "INTAKE",
    "NONCOMPLY",
    "WHO",
    "TAKE",
    "CALL",
)
COORDINATOR_COMMANDS = frozenset({ACK, NOTE, INTAKE, NONCOMPLY, WHO, TAKE, CALL})
# Twilio's own opt-out and opt-in words: STOP is ours to record, the rest stay carrier words.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "UNSTOP"})
ABORT_WORDS = frozenset({"ABORT", "CANCEL"})
REFERENCED = {
    STATUS: re.compile(rf"^STATUS{_REFERENCE}$", re.IGNORECASE),
    ACK: re.compile(rf"^ACK{_REFERENCE}$", re.IGNORECASE),
    NOTE: re.compile(rf"^NOTE{_REFERENCE}\s+(.+)$", re.IGNORECASE | re.DOTALL),
    INTAKE: re.compile(rf"^INTAKE{_REFERENCE}$", re.IGNORECASE),
    NONCOMPLY: re.compile(rf"^NONCOMPLY{_REFERENCE}(?:\s+(.+))?$", re.IGNORECASE | re.DOTALL),
    CALL: re.compile(rf"^CALL{_REFERENCE}$", re.IGNORECASE),
}


def parse_duration(text: str) -> timedelta | None:
    """Read "90m", "4h" or "1d" (up to 7 days); None when it is not such a duration."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    amount, unit = int(match.group(1)), _UNITS[match.group(2)[0].lower()]
    duration = timedelta(**{unit: amount})
    return duration if timedelta(0) < duration <= MAX_TAKE else None


def parse(text: str) -> Command | None:
    """Return the command a text spells, or None when it is none (an answer, or noise)."""
    stripped = " ".join(text.split())
    word = stripped.split(" ", 1)[0].upper() if stripped else ""
    if stripped.upper() in STOP_WORDS:
        return Command(STOP)
    if stripped.upper() in START_WORDS:
        return Command(START)
    if stripped.upper() in ABORT_WORDS:
        return Command(ABORT)
    if stripped.upper() in ("HELP", "INFO", "?"):
        return Command(HELP)
    if stripped.upper() in ("REFER", "NEW"):
        return Command(REFER)
    if stripped.upper() == WHO:
        return Command(WHO)
    if word == TAKE:
        rest = stripped[len(TAKE) :].strip()
        return Command(TAKE, duration=parse_duration(rest), text=rest)
    for name, pattern in REFERENCED.items():
        match = pattern.match(stripped)
        if match:
            extra = match.group(2) if match.lastindex and match.lastindex >= 2 else None
            return Command(name, referral=int(match.group(1)), text=(extra or "").strip())
    if word in REFERENCED:
        return Command(word)  # the keyword without a usable referral number
    return None
