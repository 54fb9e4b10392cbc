"""An accepted assessment enrols the referral's person: a new participant, or one picked (§6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..models import Participant, PlanEntry, Referral
from ..schemas.assessment import AssessmentIn
from .errors import FieldInvalid
from .participants import participant_audit
from .service_plan import plan_audit


def enrol(
    session: Session, referral: Referral, data: AssessmentIn, actor: Actor, now: datetime
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
        return None
    if data.participant_id is not None:
        participant = session.get(Participant, data.participant_id)
        if participant is None:
            raise FieldInvalid(f"no participant with id {data.participant_id}", "participant_id")
    elif referral.participant_id is not None:
        participant = session.get_one(Participant, referral.participant_id)
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
    referral.participant_id = participant.id
    if participant.status != "active":  # referred again: back in the program
        before = participant_audit(participant)
        participant.status, participant.exited_at = "active", None
        after = participant_audit(participant)
        record(session, actor, now, "update", "participant", participant.id, before, after)
    plan_needs(session, participant, data, actor, now)
    return participant


def plan_needs(
    session: Session, participant: Participant, data: AssessmentIn, actor: Actor, now: datetime
) -> None:
    """Add a planned entry for each assessed need the plan does not have yet."""
    planned = set(
        session.scalars(select(PlanEntry.need).where(PlanEntry.participant_id == participant.id))
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
