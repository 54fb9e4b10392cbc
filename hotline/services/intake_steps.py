"""The referral intake by text as a state machine: SPEC §5's fixed order, answers checked.

Pure: a step and the answers so far go in; the next step, the answers and what
happened come out as a typed `Turn`. The words of each prompt live in the SMS
channel (hotline.sms.prompts), in the officer's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..digits import decimal_digits
from ..plain_text import as_typed, visible_name

Step = Literal["badge", "type", "name", "offense", "location", "consent", "confirm"]
STEPS: tuple[Step, ...] = ("badge", "type", "name", "offense", "location", "consent", "confirm")
# How this turn went: the answer moved the intake on, did not fit, or ended it.
Outcome = Literal["next", "retry", "declined", "send"]

TYPES = {"1": "arrest_diversion", "2": "social_contact"}
OFFENSES = {"1": "possession", "2": "subsistence_sale", "3": "sex_work", "4": "other"}
MAX_NAME = 200
MAX_LOCATION = 500
# Yes and no, in English and Spanish, with or without the accent (SPEC §5).
YES_WORDS = frozenset({"Y", "YES", "S", "SI", "SÍ"})
NO_WORDS = frozenset({"N", "NO"})
SEND_WORDS = frozenset({"SEND", "ENVIAR"})
_EXCLAIMED = re.compile(r"^¡+\s*|\s*[.!]+$")


@dataclass(frozen=True)
class Turn:
    """What one answer leads to: the step now asked (None once the intake ends) and why."""

    step: Step | None
    answers: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome = "next"
    badge_noted: bool = False


def _has_letter(text: str) -> bool:
    """Tell whether text holds a letter of any script."""
    return any(char.isalpha() for char in text)


def _is_place(text: str) -> bool:
    """Tell whether text may name a place: a letter or digit, and more than a number.

    A reaction ("👍") or a stray "?" names nowhere a coordinator could go.
    """
    return any(char.isalnum() for char in text) and not text.isdecimal()


def first_step(known_officer: bool) -> Step:
    """Return where an intake starts: unknown numbers give a badge first."""
    return "type" if known_officer else "badge"


def following(step: Step, answers: dict[str, Any]) -> Step:
    """Return the step after `step`; the offence only for an arrest diversion."""
    after = STEPS[STEPS.index(step) + 1]
    if after == "offense" and answers.get("type") != "arrest_diversion":
        return "location"
    return after


def answer(
    step: Step, answers: dict[str, Any], text: str, officer_by_badge: Callable[[str], str | None]
) -> Turn:
    """Apply one answer; one that does not fit asks the same step again."""
    value = " ".join(text.split())
    # A choice as meant: "１" is 1, a zero-width space is nothing, "Y." and "¡Sí!" are
    # yes as a keyboard ends them; "Y?" may be a doubt and is asked again.
    typed = _EXCLAIMED.sub("", as_typed(value))
    upper = typed.upper()
    updated = dict(answers)
    badge = decimal_digits(typed) if step == "badge" else None
    if badge is not None and len(badge) <= 20:
        updated["badge"] = badge
        updated["officer"] = officer_by_badge(badge)
    elif step == "type" and typed in TYPES:
        updated["type"] = TYPES[typed]
    # A name has a letter and a place is more than a number: a menu's "1" sent twice
    # (a phone's resend) is not taken for the person's name or where they are.
    elif step == "name" and _has_letter(typed) and len(visible_name(value)) <= MAX_NAME:
        # As it looks: a direction mark or a zero-width space makes another name unseen.
        updated["name"] = visible_name(value)
    elif step == "offense" and typed in OFFENSES:
        updated["offense"] = OFFENSES[typed]
    elif step == "location" and _is_place(typed) and len(value) <= MAX_LOCATION:
        updated["location"] = value
    elif step == "consent" and upper in YES_WORDS:
        updated["consent"] = True
    elif step == "consent" and upper in NO_WORDS:
        return Turn(None, {}, "declined")
    elif step == "confirm" and upper in SEND_WORDS:
        return Turn(None, updated, "send")
    else:
        return Turn(step, answers, "retry")
    # The same turn whether or not a badge is on the roster: the sender's phone is
    # unverified, and naming the officer would let anyone read the roster badge by badge.
    return Turn(following(step, updated), updated, "next", badge_noted=step == "badge")
