"""An officer meets a participant again (SPEC §6 "Re-contact"): status only, and only with consent.

One active participant matching the name closely is the match, and their case
manager is told; the officer learns who the case manager is only if the name is
theirs word for word (`same_name`, two words at least) and they have a current
`officer_status` consent. Anything else — no match, several, a name only spelled alike,
a nickname, one word, no consent — gets the
same neutral answer as a stranger's name. A name that matches nobody tells nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..messaging.notices import OfficerMetParticipant, notify
from ..models import Contact, Message, Officer, Participant
from .participant_match import match_score, same_name, spelled_the_same
from .participants import acting_case_manager, has_consent

# Stricter than a suggestion: here the app decides alone, and a wrong match would disclose.
CONTACT_FLOOR = 0.9


@dataclass(frozen=True)
class Disclosed:
    """The officer may be told the participant's case manager."""

    case_manager: str
    phone: str


@dataclass(frozen=True)
class Neutral:
    """No LEAD match, as far as the officer may learn."""


ContactOutcome = Disclosed | Neutral


def the_one_match(session: Session, name: str) -> Participant | None:
    """Return the single active participant the name matches closely, else None."""
    rows = session.scalars(select(Participant).where(Participant.status == "active"))
    found = [row for row in rows if _matches(name, [row.name, *row.aliases])]
    return found[0] if len(found) == 1 else None


def _matches(name: str, names: list[str]) -> bool:
    """Tell whether `name` is close to one of `names`, or one of them word for word."""
    # A short name's spacing ("Li De La O", "Li DeLaO", "Jo Jo" for "JoJo") scores under the
    # floor, yet is the name: the case manager is told, though one word never discloses.
    return spelled_the_same(name, names) or match_score(name, names) >= CONTACT_FLOOR


def officer_met(
    session: Session,
    officer: Officer,
    name: str,
    now: datetime,
    channel: str,
    sender: str | None,
    zone: str,
    text_id: int | None = None,
) -> ContactOutcome:
    """Record that `officer` met someone named `name`; return what the officer may learn."""
    participant = the_one_match(session, name)
    if participant is None:
        return Neutral()
    # Close is enough to tell the case manager, who knows the person; the officer is
    # told only about the name itself: "Juan Perez" is not Juana Perez, nor is
    # "Pat Jones" Patrick Jones (Patricia?) unless recorded as his alias.
    named = same_name(name, [participant.name, *participant.aliases])
    return contact_with(
        session, participant, officer, now, channel, sender, zone, text_id=text_id, named=named
    )


def contact_with(
    session: Session,
    participant: Participant,
    officer: Officer,
    now: datetime,
    channel: str,
    sender: str | None,
    zone: str,
    recorded_by: int | None = None,
    text_id: int | None = None,
    named: bool = True,
) -> ContactOutcome:
    """Record a contact with a known participant, tell the case manager, say what may be shared.

    `named` is false when the officer's words only resemble the participant's name:
    nothing is then shared, consent or not.

    The texts naming the participant (`text_id`, the officer's; the case manager's
    notice) are filed with them, so that retention erases them together.
    """
    # One who left is neither named to the officer nor texted the participant's name.
    manager = acting_case_manager(session, participant)
    # Only an active participant's case manager is named (SPEC §6 re-contact), on the web too.
    disclosed = (
        named
        and participant.status == "active"
        and manager is not None
        and has_consent(session, participant.id, "officer_status", now)
    )
    session.add(
        Contact(
            participant_id=participant.id,
            at=now,
            channel=channel,
            officer_id=officer.id,
            officer_phone=officer.phone,
            disclosed=disclosed,
            recorded_by=recorded_by,
        )
    )
    actor = Actor(recorded_by, "sms" if channel == "sms" else "web")
    naming = [] if text_id is None else [text_id]
    if manager is not None:
        notice = OfficerMetParticipant(
            participant.id, participant.name, officer.name, now, zone, texted=channel == "sms"
        )
        naming.append(notify(session, notice, manager, sender=sender, now=now))
    file_texts(session, participant.id, naming)
    if not disclosed or manager is None:
        return Neutral()
    record(
        session,
        actor,
        now,
        "disclose",
        "participant",
        participant.id,
        None,
        {"to": "officer", "officer_id": officer.id},
    )
    return Disclosed(manager.name, manager.phone)


def file_texts(session: Session, participant_id: int, text_ids: list[int]) -> None:
    """File texts that name a participant with them, so that retention erases them together."""
    if not text_ids:
        return
    session.execute(
        update(Message)
        .where(Message.id.in_(text_ids))
        .values(participant_id=participant_id)
        .execution_options(synchronize_session=False)
    )
