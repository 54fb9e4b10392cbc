"""An accepted assessment enrols the referral's person: a new participant, or one picked (§6).

A later version that is not accepted, or marking it not a referral, releases the referral again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..messaging.notices import ParticipantReferredAgain, notify
from ..models import (
    Assessment,
    Charge,
    Consent,
    Contact,
    Officer,
    Participant,
    PlanEntry,
    Referral,
)
from ..schemas.assessment import AssessmentIn
from .errors import FieldInvalid
from .participants import acting_case_manager, participant_audit
from .recontact import file_texts
from .service_plan import plan_audit


def enrol(
    session: Session,
    referral: Referral,
    data: AssessmentIn,
    actor: Actor,
    now: datetime,
    sender: str | None = None,
) -> Participant | None:
    """Link an accepted referral to its participant; its needs become the first plan entries.

    `participant_id` names an existing participant the coordinator picked from the
    suggestions; without it the referral's participant (from an earlier version of
    this assessment) is kept, or a new one is made from the referral's name.
    """
    if data.participant_id is not None and data.disposition != "accepted":
        raise FieldInvalid(
            "a participant is linked only with an accepted disposition", "participant_id"
        )
    if data.disposition != "accepted":
        if referral.participant_id is not None:  # an earlier version accepted it
            release(session, referral, actor, now)
        return None
    if data.participant_id is not None:
        participant = session.get(Participant, data.participant_id)
        if participant is None:
            raise FieldInvalid(f"no participant with id {data.participant_id}", "participant_id")
    elif referral.participant_id is not None:
        participant = session.get_one(Participant, referral.participant_id)
    elif (earlier := made_for(session, referral)) is not None:
        participant = earlier  # accepted, released, accepted again: the same person
    else:
        participant = Participant(
            name=referral.participant_name or f"Referral #{referral.id}",
            aliases=[],
            status="active",
            created_at=now,
            created_by=actor.user_id,
        )
        session.add(participant)
        session.flush()
        record(
            session,
            actor,
            now,
            "create",
            "participant",
            participant.id,
            None,
            participant_audit(participant),
        )
    newly_picked = data.participant_id is not None and referral.participant_id != participant.id
    referral.participant_id = participant.id
    if newly_picked and made_for(session, referral) != participant:
        tell_referred_again(session, participant, referral, now, sender)
    if participant.status != "active":  # referred again: back in the program
        before = participant_audit(participant)
        participant.status, participant.exited_at = "active", None
        after = participant_audit(participant)
        record(session, actor, now, "update", "participant", participant.id, before, after)
    plan_needs(session, referral, participant, data, actor, now)
    return participant


def tell_referred_again(
    session: Session,
    participant: Participant,
    referral: Referral,
    now: datetime,
    sender: str | None,
) -> None:
    """Text the case manager that an officer referred their participant again (SPEC §1, §6).

    A new referral is an officer meeting them again, as a CONTACT is: never anything clinical.
    """
    manager = acting_case_manager(session, participant)
    if manager is None:
        return
    officer = session.get(Officer, referral.officer_id) if referral.officer_id else None
    notice = ParticipantReferredAgain(
        participant.id, participant.name, officer.name if officer else None, referral.id
    )
    # Filed with the participant it names, so that retention erases them together.
    file_texts(session, participant.id, [notify(session, notice, manager, sender=sender, now=now)])


def release(session: Session, referral: Referral, actor: Actor, now: datetime) -> bool:
    """Unlink a referral no longer accepted, or not a referral at all; tell whether one exited.

    A participant made for this referral alone, active, and with nothing recorded
    since (another referral, a consent, a charge, a contact, a plan entry added or
    changed) leaves the program (exited, audited); any other stays.
    """
    participant = session.get_one(Participant, referral.participant_id)
    referral.participant_id = None
    session.flush()
    if (
        participant.status != "active"
        or made_for(session, referral) != participant
        or worked_with(session, referral, participant.id)
    ):
        return False
    before = participant_audit(participant)
    participant.status, participant.exited_at = "exited", now
    record(
        session,
        actor,
        now,
        "update",
        "participant",
        participant.id,
        before,
        participant_audit(participant),
    )
    return True


def worked_with(session: Session, referral: Referral, participant_id: int) -> bool:
    """Tell whether the participant has any record but what this referral's enrolment made."""
    for model in (Referral, Consent, Charge, Contact):
        found = select(model.id).where(model.participant_id == participant_id).limit(1)
        if session.scalar(found) is not None:
            return True
    accepted_at = acceptances(referral)
    # The enrolment's own entries are made at an acceptance and never changed since.
    other_entry = select(PlanEntry.id).where(
        PlanEntry.participant_id == participant_id,
        or_(
            PlanEntry.created_at.not_in(accepted_at),
            PlanEntry.updated_at != PlanEntry.created_at,
        ),
    )
    return session.scalar(other_entry.limit(1)) is not None


def acceptances(referral: Referral) -> Select[datetime]:
    """Return a query of the instants the referral's accepted assessments were saved."""
    return select(Assessment.completed_at).where(
        Assessment.referral_id == referral.id, Assessment.disposition == "accepted"
    )


def made_for(session: Session, referral: Referral) -> Participant | None:
    """Return the participant this referral's enrolment made, if any.

    One made by enrolment is created at the instant an accepted version of the
    referral's assessment was saved.
    """
    accepted_at = acceptances(referral)
    return session.scalars(
        select(Participant).where(Participant.created_at.in_(accepted_at)).order_by(Participant.id)
    ).first()


def plan_needs(
    session: Session,
    referral: Referral,
    participant: Participant,
    data: AssessmentIn,
    actor: Actor,
    now: datetime,
) -> None:
    """Add a planned entry for each assessed need the plan has neither open nor from this referral.

    One completed or stopped before (before an exit, say) is history: assessed again
    on a later referral, the need is planned again. A new version of this referral's
    assessment plans nothing twice.
    """
    planned = set(
        session.scalars(
            select(PlanEntry.need).where(
                PlanEntry.participant_id == participant.id,
                or_(
                    PlanEntry.status.in_(("planned", "started")),
                    PlanEntry.created_at.in_(acceptances(referral)),
                ),
            )
        )
    )
    services = "; ".join(data.services)
    for need in data.needs:
        if need in planned:
            continue
        note = f"Coordinated at intake: {services}" if services else None
        entry = PlanEntry(
            participant_id=participant.id,
            need=need,
            status="planned",
            note=note[:2000] if note else None,
            created_at=now,
            updated_at=now,
        )
        session.add(entry)
        session.flush()  # the audit shows the entry's id
        record(session, actor, now, "plan", "participant", participant.id, None, plan_audit(entry))
