"""The referral intake by text: prompts in SPEC §5's fixed order, answers checked.

Pure: a step and the answers so far go in, the next step, the answers and the
reply come out. No prompt suggests a word that Twilio's opt-out handling
reserves (STOP, CANCEL, END, QUIT, YES, START, …): consent is asked as Y or N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Step = Literal["badge", "type", "name", "offense", "location", "consent", "confirm"]
Ending = Literal["send", "declined"]

TYPES = {"1": "arrest_diversion", "2": "social_contact"}
OFFENSES = {"1": "possession", "2": "subsistence_sale", "3": "sex_work", "4": "other"}
TYPE_WORDS = {"arrest_diversion": "Arrest diversion", "social_contact": "Social contact"}
OFFENSE_WORDS = {
    "possession": "possession",
    "subsistence_sale": "subsistence sale",
    "sex_work": "sex work",
    "other": "other low-level",
}
MAX_NAME = 200
MAX_LOCATION = 500

PROMPTS: dict[Step, str] = {
    "badge": "LEAD referral. Reply with your badge number (digits only).",
    "type": "Referral type? Reply 1 for arrest diversion, 2 for social contact. ABORT drops it.",
    "name": "Participant's name?",
    "offense": "Offence? Reply 1 possession, 2 subsistence sale, 3 sex work, 4 other low-level.",
    "location": "Where are you? (address or cross streets)",
    "consent": "Has the person agreed to be referred to LEAD? Reply Y or N.",
    "confirm": "",  # the summary, built from the answers
}
ACCEPTED: dict[Step, str] = {
    "badge": "Please reply with digits only.",
    "type": "Please reply 1 (arrest diversion) or 2 (social contact).",
    "name": f"Please reply with a name of at most {MAX_NAME} characters.",
    "offense": "Please reply 1, 2, 3 or 4.",
    "location": f"Please reply with a place of at most {MAX_LOCATION} characters.",
    "consent": "Please reply Y or N.",
    "confirm": "Please reply SEND or ABORT.",
}
RESERVED_WORDS = (
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
    "START",
    "UNSTOP",
    "YES",
)

BADGE_NOTED = "Badge noted."


@dataclass(frozen=True)
class Turn:
    """What one answer leads to: the next step (None when the intake ends) and the reply."""

    step: Step | None
    answers: dict[str, Any] = field(default_factory=dict)
    reply: str = ""
    ending: Ending | None = None


def first_step(known_officer: bool) -> Step:
    """Return where an intake starts: unknown numbers give a badge first."""
    return "type" if known_officer else "badge"


def summary(answers: dict[str, Any]) -> str:
    """Return the confirmation prompt listing the answers."""
    parts = [TYPE_WORDS[answers["type"]]]
    if answers.get("offense"):
        parts.append(OFFENSE_WORDS[answers["offense"]])
    parts += [answers["name"], f"at {answers['location']}", "consent given"]
    return "Referral: " + ", ".join(parts) + ". Reply SEND to send it, or ABORT to drop it."


def prompt(step: Step, answers: dict[str, Any]) -> str:
    """Return the question of a step."""
    return summary(answers) if step == "confirm" else PROMPTS[step]


def _after(step: Step, answers: dict[str, Any]) -> Step:
    order: list[Step] = ["badge", "type", "name", "offense", "location", "consent", "confirm"]
    following = order[order.index(step) + 1]
    if following == "offense" and answers.get("type") != "arrest_diversion":
        return "location"
    return following


def answer(
    step: Step, answers: dict[str, Any], text: str, officer_by_badge: Callable[[str], str | None]
) -> Turn:
    """Apply one answer; a bad one repeats the prompt with the accepted answers."""
    value = " ".join(text.split())
    upper = value.upper()
    updated = dict(answers)
    if step == "badge" and value.isdigit() and len(value) <= 20:
        updated["badge"] = value
        updated["officer"] = officer_by_badge(value)
    elif step == "type" and value in TYPES:
        updated["type"] = TYPES[value]
    elif step == "name" and 0 < len(value) <= MAX_NAME:
        updated["name"] = value
    elif step == "offense" and value in OFFENSES:
        updated["offense"] = OFFENSES[value]
    elif step == "location" and 0 < len(value) <= MAX_LOCATION:
        updated["location"] = value
    elif step == "consent" and upper in ("Y", "YES"):
        updated["consent"] = True
    elif step == "consent" and upper in ("N", "NO"):
        return Turn(
            None,
            {},
            "Understood: no referral was made and nothing about the person was kept.",
            "declined",
        )
    elif step == "confirm" and upper == "SEND":
        return Turn(None, updated, "", "send")
    else:
        return Turn(step, answers, f"{ACCEPTED[step]} {prompt(step, answers)}")
    following = _after(step, updated)
    reply = prompt(following, updated)
    if step == "badge":
        # The same words whether or not the badge is on the roster: the sender's phone is
        # unverified, and naming the officer would let anyone read the roster badge by badge.
        reply = f"{BADGE_NOTED} {reply}"
    return Turn(following, updated, reply)
