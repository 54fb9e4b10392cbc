"""The words of the replies to staff and officers' commands, in the sender's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..i18n import N_, Translate
from ..messaging.notices import OfficerStatus
from ..models import CLOSED_STATUSES
from ..services.callbacks import CallbackQueued, CallbackRefused
from ..services.referral_actions import (
    ActionOutcome,
    AlreadyYours,
    Done,
    NoSuchReferral,
    NotOpen,
    NotTakenYet,
    Taken,
    TakenBy,
    TakenOver,
)
from .notices import OFFICER_STATUS_WORDS, caller_words, clock_text

STATUS_WORDS = {
    "received": N_("received"),
    "notified": N_("notified"),
    "acknowledged": N_("acknowledged"),
    "assessed": N_("assessed"),
    "intake_completed": N_("intake completed"),
    "intake_missed": N_("intake not completed"),
    "ineligible": N_("ineligible"),
    "declined": N_("declined"),
    "not_a_referral": N_("not a referral"),
}

# What a status change says when the officer was texted it.
DONE_WORDS = {
    "intake_completed": N_("#{n}: intake completed; the officer was told."),
    "intake_missed": N_("#{n}: intake not completed; the officer was told."),
    "not_a_referral": N_("#{n} marked not a referral; the officer was told."),
}
# The same, when the caller left no number to text (a withheld one).
UNTOLD_WORDS = {
    "intake_completed": N_(
        "#{n}: intake completed; the caller left no number, so nobody was told."
    ),
    "intake_missed": N_(
        "#{n}: intake not completed; the caller left no number, so nobody was told."
    ),
    "not_a_referral": N_(
        "#{n} marked not a referral; the caller left no number, so nobody was told."
    ),
}
# The same, when the officer's phone opted out (STOP): their status text was kept, not sent.
OPTED_OUT_WORDS = {
    "intake_completed": N_(
        "#{n}: intake completed; the officer opted out of texts, so was not told."
    ),
    "intake_missed": N_(
        "#{n}: intake not completed; the officer opted out of texts, so was not told."
    ),
    "not_a_referral": N_(
        "#{n} marked not a referral; the officer opted out of texts, so was not told."
    ),
}

# Which of the three to say, by what became of the officer's status text.
TOLD_WORDS = {"told": DONE_WORDS, "no_number": UNTOLD_WORDS, "opted_out": OPTED_OUT_WORDS}


def help_text(_: Translate) -> str:
    """Return the list of commands (it may name STOP: that is how to opt out)."""
    return _(
        "LEAD hotline. Officers: REFER starts a referral, STATUS 42 tells where #42 is, "
        "CONTACT name when you meet someone who may be in LEAD. "
        "Coordinators: ACK 42, NOTE 42 text, INTAKE 42, NONCOMPLY 42 reason, CALL 42, WHO, "
        "TAKE 4h. Text STOP to opt out."
    )


def action_words(_: Translate, outcome: ActionOutcome) -> str:
    """Return the reply to ACK, NOTE, INTAKE or NONCOMPLY."""
    match outcome:
        case NoSuchReferral(referral_id=n):
            return _("No referral #{n}.", n=n)
        case Taken(referral_id=n, officer_told="no_number"):
            return _("You have #{n}: the caller left no number, so nobody was told.", n=n)
        case Taken(referral_id=n, officer=officer, officer_told="opted_out"):
            return _(
                "You have #{n}: {officer} opted out of texts, so was not told.",
                n=n,
                officer=caller_words(_, officer),
            )
        case Taken(referral_id=n, officer=officer):
            return _("You have #{n}: {officer} was told.", n=n, officer=caller_words(_, officer))
        case TakenOver(referral_id=n, officer=officer, previous=name, officer_told="told"):
            return _(
                "You have #{n}, taken over from {name}, who no longer works referrals: "
                "{officer} was told.",
                n=n,
                name=name,
                officer=caller_words(_, officer),
            )
        case TakenOver(referral_id=n, officer=officer, previous=name, officer_told="opted_out"):
            return _(
                "You have #{n}, taken over from {name}, who no longer works referrals: "
                "{officer} opted out of texts, so was not told.",
                n=n,
                name=name,
                officer=caller_words(_, officer),
            )
        case TakenOver(referral_id=n, previous=name, officer_told="no_number"):
            return _(
                "You have #{n}, taken over from {name}, who no longer works referrals: "
                "the caller left no number, so nobody was told.",
                n=n,
                name=name,
            )
        case TakenOver(referral_id=n, previous=name, status=status):
            return _(
                "You have #{n}, taken over from {name}, who no longer works referrals. "
                "It stays {status}.",
                n=n,
                name=name,
                status=status_word(_, status),
            )
        case AlreadyYours(referral_id=n):
            return _("You already have #{n}.", n=n)
        case TakenBy(referral_id=n, name=name, phone=phone):
            return _("#{n} is already taken by {name} ({phone}).", n=n, name=name, phone=phone)
        case NotOpen(referral_id=n, status=status) if status in CLOSED_STATUSES:
            return _("#{n} is already closed ({status}).", n=n, status=status_word(_, status))
        case NotOpen(referral_id=n, status=status):
            return _("#{n} cannot be taken: it is {status}.", n=n, status=status_word(_, status))
        case NotTakenYet(referral_id=n):
            return _("#{n} is not taken yet: reply ACK {n} first.", n=n)
        case Done(referral_id=n, action="note"):
            return _("Noted on #{n}.", n=n)
        case Done(referral_id=n, action=action, officer_told=told):
            return _(TOLD_WORDS[told][action], n=n)
    raise TypeError(f"no words for {outcome!r}")


def status_word(_: Translate, status: str) -> str:
    """Return a referral status as staff read it, in the reader's language."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status.replace("_", " ")


def officer_status_words(_: Translate, outcome: OfficerStatus | NoSuchReferral) -> str:
    """Return the reply to STATUS n: the public status, or the same words for none and others'."""
    if isinstance(outcome, NoSuchReferral):
        return _("no referral #{n} of yours.", n=outcome.referral_id)  # SPEC §5's words
    words = _(OFFICER_STATUS_WORDS[outcome.status])
    return _("LEAD #{n}: {status}.", n=outcome.referral_id, status=words)


def callback_words(_: Translate, outcome: CallbackQueued | CallbackRefused) -> str:
    """Return the reply to CALL n: the phone will ring, or why it will not."""
    if isinstance(outcome, CallbackQueued):
        return _(
            "The hotline is calling you now about #{n}: press 1 to be put through to "
            "{officer}. They will see the hotline's number, not yours.",
            n=outcome.referral_id,
            officer=caller_words(_, outcome.officer),
        )
    n = outcome.referral_id
    if outcome.reason == "no_referral":
        return _("No referral #{n}.", n=n)
    if outcome.reason == "no_officer_phone":
        return _("#{n} has no officer phone to call back.", n=n)
    if outcome.reason == "not_staff":
        return _("Sorry, CALL is for LEAD coordinators.")
    return _("A call back for #{n} is already on its way to your phone.", n=n)


def who_words(_: Translate, answer: Mapping[str, Any], zone: ZoneInfo, language: str) -> str:
    """Return who is on call per tier and until when, in the program's time zone."""
    parts = []
    for tier in answer["tiers"]:
        user = tier["user"]
        who = f"{user['name']} {user['phone']}" if user else _("NOBODY (gap)")
        until: datetime | None = tier["until"]
        # With its date: an until weeks away is no weekday of this week. Nobody scheduled
        # to take over (None) is "until further notice", never left unsaid (SPEC §5).
        time = clock_text(until, zone=zone, language=language, _=_)
        when = " " + _("until {time}", time=time)
        parts.append(_("tier {tier}: {who}", tier=tier["tier"], who=who) + when)
    listed = "; ".join(parts) if parts else _("nobody (no rotation)")
    return _("On call: {list}.", list=listed)
