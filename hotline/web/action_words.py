"""What the referral page says after an action: the web's own words for the domain's outcomes.

Never an SMS instruction ("reply ACK 42"): the reader is on the page, with buttons.
"""

from __future__ import annotations

from ..messaging.notices import Caller
from ..services.referral_actions import (
    ActionOutcome,
    AlreadyYours,
    Done,
    NoSuchReferral,
    NotOpen,
    NotTakenYet,
    Taken,
    TakenBy,
)
from .words import word

DONE_WORDS = {
    "note": "Note added to #{n}.",
    "intake_completed": "#{n}: intake completed; the officer was told.",
    "intake_missed": "#{n}: intake not completed; the officer was told.",
    "not_a_referral": "#{n} marked not a referral; the officer was told.",
}


def caller_label(caller: Caller) -> str:
    """Return the referring officer as the page names them."""
    if caller.name is not None:
        head, _space, rest = caller.name.partition(" ")
        name = rest if head.lower() == "officer" and rest else caller.name
        return f"Officer {name} ({caller.agency})"
    return f"an unverified caller ({caller.phone or 'no number'})"


def action_message(outcome: ActionOutcome) -> str:
    """Return the flash message after Acknowledge, a note, or closing the intake."""
    match outcome:
        case NoSuchReferral(referral_id=n):
            return f"There is no referral #{n}."
        case Taken(referral_id=n, officer=officer):
            return f"You have #{n}. {caller_label(officer)} was told who has it."
        case AlreadyYours(referral_id=n):
            return f"You already have #{n}."
        case TakenBy(referral_id=n, name=name, phone=phone):
            return f"#{n} is already taken by {name} ({phone})."
        case NotOpen(referral_id=n, status=status):
            return f"#{n} is {word(status)}: its status cannot change."
        case NotTakenYet(referral_id=n):
            return f"#{n} is not taken yet: use Acknowledge (take it) first."
        case Done(referral_id=n, action=action):
            return DONE_WORDS[action].format(n=n)
    raise TypeError(f"no words for {outcome!r}")
