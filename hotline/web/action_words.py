"""What the referral page says after an action: the web's own words for the domain's outcomes.

Never an SMS instruction ("reply ACK 42"): the reader is on the page, with buttons.
"""

from __future__ import annotations

from markupsafe import Markup

from ..i18n import N_
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
    TakenOver,
)
from .language import web_text as _
from .words import word

DONE_WORDS = {
    "note": N_("Note added to #{n}."),
    "intake_completed": N_("#{n}: intake completed; the officer was told."),
    "intake_missed": N_("#{n}: intake not completed; the officer was told."),
    "not_a_referral": N_("#{n} marked not a referral; the officer was told."),
}

# The same, when the caller left no number to text (a withheld one): nobody was told.
UNTOLD_WORDS = {
    "intake_completed": N_("#{n}: intake completed. The caller left no number: nobody was told."),
    "intake_missed": N_("#{n}: intake not completed. The caller left no number: nobody was told."),
    "not_a_referral": N_("#{n} marked not a referral. The caller left no number: nobody was told."),
}

# The same, when the officer's phone opted out (STOP): their status text was kept, not sent.
OPTED_OUT_WORDS = {
    "intake_completed": N_(
        "#{n}: intake completed. The officer opted out of texts: nobody was told."
    ),
    "intake_missed": N_(
        "#{n}: intake not completed. The officer opted out of texts: nobody was told."
    ),
    "not_a_referral": N_(
        "#{n} marked not a referral. The officer opted out of texts: nobody was told."
    ),
}


# Which of the three to say, by what became of the officer's status text.
TOLD_WORDS = {"told": DONE_WORDS, "no_number": UNTOLD_WORDS, "opted_out": OPTED_OUT_WORDS}


def caller_label(caller: Caller) -> str:
    """Return the referring officer as the page names them."""
    if caller.name is not None:
        head, _space, rest = caller.name.partition(" ")
        name = rest if head.lower() == "officer" and rest else caller.name
        return _("Officer {name} ({agency})", name=name, agency=caller.agency)
    return _("an unverified caller ({phone})", phone=caller.phone or _("no number"))


def enrolled_words(participant: int, exited: bool) -> Markup:
    """Say what became of the participant a referral marked not a referral had enrolled."""
    if exited:
        return _(
            "Participant #{p}, whom its assessment enrolled, was exited: nothing else was on "
            "their record.",
            p=participant,
        )
    return _(
        "Participant #{p} stays in the program: they have other referrals or records. Exit "
        "them on their page if they should not be in LEAD.",
        p=participant,
    )


def action_message(outcome: ActionOutcome) -> str:
    """Return the flash message after Acknowledge, a note, or closing the intake."""
    match outcome:
        case NoSuchReferral(referral_id=n):
            return _("There is no referral #{n}.", n=n)
        case Taken(referral_id=n, officer_told="no_number"):
            return _("You have #{n}. The caller left no number: nobody was told.", n=n)
        case Taken(referral_id=n, officer=officer, officer_told="opted_out"):
            return _(
                "You have #{n}. {officer} opted out of texts: nobody was told.",
                n=n,
                officer=caller_label(officer),
            )
        case Taken(referral_id=n, officer=officer):
            return _(
                "You have #{n}. {officer} was told who has it.", n=n, officer=caller_label(officer)
            )
        case TakenOver(referral_id=n, officer=officer, previous=name, officer_told="opted_out"):
            return _(
                "You have #{n}, taken over from {name}, who no longer works referrals. "
                "{officer} opted out of texts: nobody was told.",
                n=n,
                name=name,
                officer=caller_label(officer),
            )
        case TakenOver(referral_id=n, previous=name, officer_told="no_number"):
            return _(
                "You have #{n}, taken over from {name}, who no longer works referrals. "
                "The caller left no number: nobody was told.",
                n=n,
                name=name,
            )
        case TakenOver(referral_id=n, officer=officer, previous=name, officer_told="told"):
            return _(
                "You have #{n}, taken over from {name}, who no longer works referrals. "
                "{officer} was told who has it.",
                n=n,
                name=name,
                officer=caller_label(officer),
            )
        case TakenOver(referral_id=n, previous=name, status=status):
            return _(
                "You have #{n}, taken over from {name}, who no longer works referrals. "
                "It stays {status}.",
                n=n,
                name=name,
                status=word(status),
            )
        case AlreadyYours(referral_id=n):
            return _("You already have #{n}.", n=n)
        case TakenBy(referral_id=n, name=name, phone=phone):
            return _("#{n} is already taken by {name} ({phone}).", n=n, name=name, phone=phone)
        case NotOpen(referral_id=n, status=status):
            return _("#{n} is {status}: its status cannot change.", n=n, status=word(status))
        case NotTakenYet(referral_id=n):
            return _("#{n} is not taken yet: use Acknowledge (take it) first.", n=n)
        case Done(referral_id=n, action=action, participant_id=None, officer_told=told) if (
            told != "told"
        ):
            return _(TOLD_WORDS[told][action], n=n)
        case Done(
            referral_id=n,
            action="not_a_referral",
            participant_id=int(p),
            exited=exited,
            officer_told=told,
        ):
            # Said as for a referral that enrolled nobody, then what became of the person.
            marked = _(TOLD_WORDS[told]["not_a_referral"], n=n)
            return marked + Markup(" ") + enrolled_words(p, exited)
        case Done(referral_id=n, action=action):
            return _(DONE_WORDS[action], n=n)
    raise TypeError(f"no words for {outcome!r}")
