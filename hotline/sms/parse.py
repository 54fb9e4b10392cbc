"""Read a text as a command: a pure function of its words (SPEC §5)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from ..plain_text import as_typed

MAX_TAKE = timedelta(days=7)
# "ACK 42", "ack #42", "ACK#42": the # and the space are optional, not both missing.
# A number past MAX_REFERRAL is read too: it was given, and names no referral.
_REFERENCE = r"(?:\s+#?|\s*#)\s*(\d{1,20})"
MAX_REFERRAL = 2**31 - 1  # ids are 32-bit integers in PostgreSQL
_DURATION = re.compile(
    r"^(\d{1,4})\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$", re.IGNORECASE
)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Command:
    """A text understood as a command; `name` is its keyword in capitals (English).

    `language` is "es" when the sender used a Spanish keyword (REFERIR, AYUDA, …):
    the answer, and an intake it starts, are then in Spanish.
    """

    name: str
    referral: int | None = None
    text: str = ""
    duration: timedelta | None = None
    language: str | None = None


HELP, STOP, START, REFER, ABORT, SEND = "HELP", "STOP", "START", "REFER", "ABORT", "SEND"
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
CONTACT = "CONTACT"
COORDINATOR_COMMANDS = frozenset({ACK, NOTE, INTAKE, NONCOMPLY, WHO, TAKE, CALL})
# "CONTACT Jane Doe" / "CONTACTO Jane Doe": an officer met someone who may be a participant.
# What sets a command's words off as a space does: "Contact: Jane Doe", "NOTE 42 - text".
_SET_OFF = r"\s*[:;,\u2013\u2014-]\s*"
_CONTACT = re.compile(rf"^(CONTACTO?)(?:(?:{_SET_OFF}|\s+)(.*))?$", re.IGNORECASE | re.DOTALL)
# Twilio's own opt-out and opt-in words: STOP is ours to record, the rest stay carrier words.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "UNSTOP"})
ABORT_WORDS = frozenset({"ABORT", "CANCEL"})
# Words a carrier's opt-out handling may take for itself: no prompt suggests one (SPEC §5).
# CANCEL and YES are Twilio's too; PARAR, CANCELAR, DETENER and ALTO are common Spanish ones.
CARRIER_RESERVED = (
    STOP_WORDS | START_WORDS | {"CANCEL", "YES", "PARAR", "CANCELAR", "DETENER", "ALTO"}
)
# The one table of keywords: what each word means, and in which language it was said.
KEYWORDS: dict[str, tuple[str, str | None]] = {
    "HELP": (HELP, None),
    "INFO": (HELP, None),
    "?": (HELP, None),
    "AYUDA": (HELP, "es"),
    "REFER": (REFER, None),
    "NEW": (REFER, None),
    "REFERIR": (REFER, "es"),
    "ANULAR": (ABORT, "es"),
    # Never suggested (carriers may take it as an opt-out), but read as CANCEL is if it arrives.
    "CANCELAR": (ABORT, "es"),
    # An intake's last answer; a command only when no intake waits for it (sent twice, say).
    "SEND": (SEND, None),
    "ENVIAR": (SEND, "es"),
    **{word: (ABORT, None) for word in ABORT_WORDS},
    **{word: (STOP, None) for word in STOP_WORDS},
    **{word: (START, None) for word in START_WORDS},
    WHO: (WHO, None),
}
_END = r"\s*[.!?]*$"  # "ACK 42." or "Status 42?" as a phone's keyboard may end it
_PUNCTUATED = re.compile(r"\s*[.!?]+$")  # "Help?", "ABORT.", "TAKE 4h."
_OPENED = re.compile(r"^[¿¡]+\s*")  # Spanish opens a question or exclamation: "¿Ayuda?"
# How "Stop." or "¡Stop!" may be written: no "?", which can make it a question.
_FIRM_OPENING, _FIRM_END = re.compile(r"^¡+\s*"), re.compile(r"\s*[.!]+$")
# What sets a note or a reason off from its number: "NOTE 42: text", "NONCOMPLY 42, moved"
# as well as a space; a full stop only before a space ("NOTE 42.5 mg" names no referral).
_WORDS_AFTER = rf"(?:{_SET_OFF}|\s*\.(?:\s+|$)|\s+)(.*)"
REFERENCED = {
    STATUS: re.compile(rf"^(?:STATUS|ESTADO){_REFERENCE}{_END}", re.IGNORECASE),
    ACK: re.compile(rf"^ACK{_REFERENCE}{_END}", re.IGNORECASE),
    # The note may be missing: the reply then asks for it, not for the number given.
    NOTE: re.compile(rf"^NOTE{_REFERENCE}(?:{_WORDS_AFTER})?$", re.IGNORECASE | re.DOTALL),
    INTAKE: re.compile(rf"^INTAKE{_REFERENCE}{_END}", re.IGNORECASE),
    NONCOMPLY: re.compile(
        rf"^NONCOMPLY{_REFERENCE}(?:{_WORDS_AFTER})?$", re.IGNORECASE | re.DOTALL
    ),
    CALL: re.compile(rf"^CALL{_REFERENCE}{_END}", re.IGNORECASE),
}


# "STATUS 42 thanks", "ack 42, on it": a whole reference, then words (no number: "CALL
# 555-0100" and "ACK 42 43" stay unread). STATUS is answered; ACK, INTAKE and CALL change
# a referral and are done only as written ("ACK 42 can't" must not take it): `text` holds
# the words, and the answer asks for the command alone.
_WORDED = re.compile(
    rf"^(STATUS|ESTADO|ACK|INTAKE|CALL){_REFERENCE}((?:\s|[^\w.#/-])\D*)$",
    re.IGNORECASE | re.DOTALL,
)


def keyword_of(upper: str) -> tuple[str, str | None] | None:
    """Return what a one-word text means, "Help?", "¡Ayuda!" and "ABORT." included.

    A person who texts "Stop." or "¡Stop!" means stop, though Twilio reads only the
    bare word: the app records the opt-out (and "Start!" undoes it). "Stop?" may be
    a question, so an opt-out or opt-in word ended by "?" is none.
    """
    if upper in KEYWORDS:
        return KEYWORDS[upper]
    trimmed = KEYWORDS.get(_PUNCTUATED.sub("", _OPENED.sub("", upper)))
    if trimmed is None or trimmed[0] not in (STOP, START):
        return trimmed
    return KEYWORDS.get(_FIRM_END.sub("", _FIRM_OPENING.sub("", upper)))


def parse_duration(text: str) -> timedelta | None:
    """Read "90m", "4h" or "1d" (up to 7 days); None when it is not such a duration."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    amount, unit = int(match.group(1)), _UNITS[match.group(2)[0].lower()]
    duration = timedelta(**{unit: amount})
    return duration if timedelta(0) < duration <= MAX_TAKE else None


# Twilio's Advanced Opt-Out names the keyword it matched (OptOutType): a word the deployer
# added to it ("PARAR", say) opts the sender out or back in at Twilio, so it does here.
TWILIO_OPT_OUT_TYPES = {"STOP": STOP, "START": START}


def read_text(text: str, opt_out_type: str) -> Command | None:
    """Return the command a text is: the one Twilio's OptOutType names, else as parsed."""
    command = parse(text)
    name = TWILIO_OPT_OUT_TYPES.get(opt_out_type.strip().upper())
    if name is None or (command is not None and command.name == name):
        return command
    return Command(name, language=command.language if command else None)


def parse(text: str) -> Command | None:
    """Return the command a text spells, or None when it is none (an answer, or noise)."""
    typed = as_typed(text)
    keyword = keyword_of(typed.upper())
    stripped = _OPENED.sub("", typed)
    word = stripped.split(" ", 1)[0].upper() if stripped else ""
    if keyword is not None:
        name, language = keyword
        return Command(name, language=language)
    contact = _CONTACT.match(stripped)
    if contact:
        spanish = "es" if contact.group(1).upper() == "CONTACTO" else None
        return Command(CONTACT, text=(contact.group(2) or "").strip()[:200], language=spanish)
    if word == TAKE:
        rest = _PUNCTUATED.sub("", stripped[len(TAKE) :]).strip()
        # "TAKE", "TAKE 4h", "TAKE 4 hours": a duration or none; "Take care" signs a text off.
        if not rest or rest[0].isdigit():
            return Command(TAKE, duration=parse_duration(rest), text=rest)
    spanish = "es" if word == "ESTADO" else None
    for name, pattern in REFERENCED.items():
        match = pattern.match(stripped)
        if match:
            extra = match.group(2) if match.lastindex and match.lastindex >= 2 else None
            referral, rest = int(match.group(1)), (extra or "").strip()
            return Command(name, referral=referral, text=rest, language=spanish)
    worded = _WORDED.match(stripped)
    if worded:
        name = STATUS if spanish else worded.group(1).upper()
        words = "" if name == STATUS else worded.group(3).strip()
        return Command(name, referral=int(worded.group(2)), text=words, language=spanish)
    if word in REFERENCED or word == "ESTADO":
        # The keyword without a usable referral number.
        return Command(STATUS if spanish else word, language=spanish)
    return None
