"""The words of the referral intake by text, in the officer's language (SPEC §5).

The steps and their order are the domain's (hotline.services.intake_steps); here
is only what each asks. No prompt suggests a word that carriers' opt-out
handling reserves (STOP, CANCEL, END, QUIT, YES, START, …, nor PARAR or
CANCELAR): consent is asked as Y or N (S or N in Spanish), dropping as ABORT.
"""

from __future__ import annotations

from typing import Any

from ..i18n import N_, Translate
from ..services.intake_outcomes import Asked, Declined, Dropped, IntakeReply, Sent
from ..services.intake_steps import MAX_LOCATION, MAX_NAME, Step
from .notices import KIND_WORDS, OFFENSE_WORDS

PROMPTS: dict[Step, str] = {
    "badge": N_("LEAD referral. Reply with your badge number (digits only)."),
    "type": N_(
        "Referral type? Reply 1 for arrest diversion, 2 for social contact. ABORT drops it."
    ),
    "name": N_("Participant's name?"),
    "offense": N_(
        "Offence? Reply 1 possession, 2 subsistence sale, 3 sex work, 4 other low-level."
    ),
    "location": N_("Where are you? (address or cross streets)"),
    "consent": N_("Has the person agreed to be referred to LEAD? Reply Y or N."),
    "confirm": "",  # the summary, built from the answers
}
ACCEPTED: dict[Step, str] = {
    "badge": N_("Please reply with digits only."),
    "type": N_("Please reply 1 (arrest diversion) or 2 (social contact)."),
    "name": N_("Please reply with a name of at most {n} characters."),
    "offense": N_("Please reply 1, 2, 3 or 4."),
    # Said whether the place was too long or named nowhere ("-", "👍", a bare number).
    "location": N_(
        "Please reply with an address, cross streets or a landmark (at most {n} characters)."
    ),
    "consent": N_("Please reply Y or N."),
    "confirm": N_("Please reply SEND or ABORT."),
}
LIMITS = {"name": MAX_NAME, "location": MAX_LOCATION}


def summary(_: Translate, answers: dict[str, Any]) -> str:
    """Return the confirmation prompt listing the answers."""
    parts = [_(KIND_WORDS[answers["type"]])]
    if answers.get("offense"):
        parts.append(_(OFFENSE_WORDS[answers["offense"]]))
    parts += [answers["name"], _("at {place}", place=answers["location"]), _("consent given")]
    return _(
        "Referral: {parts}. Reply SEND to send it, or ABORT to drop it.", parts=", ".join(parts)
    )


def question(_: Translate, step: Step, answers: dict[str, Any]) -> str:
    """Return what a step asks."""
    return summary(_, answers) if step == "confirm" else _(PROMPTS[step])


def titled(_: Translate, name: str) -> str:
    """Return a roster name with its "Officer" title in the reader's words, else as typed."""
    head, _space, rest = name.partition(" ")
    return _("Officer {name}", name=rest) if head.lower() == "officer" and rest else name


def intake_words(_: Translate, reply: IntakeReply) -> str:
    """Return the text answering one turn of the intake."""
    match reply:
        case Asked(step=step, answers=answers, retry=True):
            accepted = _(ACCEPTED[step], n=LIMITS[step]) if step in LIMITS else _(ACCEPTED[step])
            return f"{accepted} {question(_, step, answers)}"
        case Asked(step=step, answers=answers, badge_noted=True):
            # The same words whether or not the badge is on the roster (SPEC §5).
            noted = _("Badge noted.")
            return f"{noted} {question(_, step, answers)}"
        case Asked(step=step, answers=answers, officer_name=str() as name):
            greeting = _("LEAD referral, {name}.", name=titled(_, name))
            return f"{greeting} {question(_, step, answers)}"
        case Asked(step=step, answers=answers):
            return question(_, step, answers)
        case Declined():
            return _("Understood: no referral was made and nothing about the person was kept.")
        case Sent(referral_id=n, told=True, delayed=True):
            return _(
                "Sent: LEAD referral #{n}. Texts to coordinators are delayed: call the "
                "hotline now. STATUS {n} tells where it is.",
                n=n,
            )
        case Sent(referral_id=n, told=True):
            return _(
                "Sent: LEAD referral #{n}. A coordinator will text you. "
                "STATUS {n} tells where it is.",
                n=n,
            )
        case Sent(referral_id=n):
            return _(
                "Sent: LEAD referral #{n}. Nobody could be texted: call the hotline. "
                "STATUS {n} tells where it is.",
                n=n,
            )
        case Dropped():
            return _("Referral dropped. Text REFER to start a new one.")
    raise TypeError(f"no words for {reply!r}")
