"""Intake deadlines and retention: the referral's clock after acknowledgement (SPEC §7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..db import updated_one_row
from ..messaging.notices import IntakeWindowClosed, queue_notice
from ..models import (
    CLOSED_STATUSES,
    Call,
    Charge,
    Message,
    Participant,
    PlanEntry,
    Referral,
    ReferralEvent,
    User,
)
from .alerts import tell_officer
from .referral_audit import audit_status
from .referrals import add_event

SYSTEM = Actor(None, "system")
# Free text of these events may name the participant; retention erases it.
ERASED = "(erased)"
FREE_TEXT_EVENTS = ("note", "intake_missed", "intake_completed", "assessment", "completed")


def miss_overdue_intakes(
    session: Session, now: datetime, intake_days: int, sender: str | None
) -> int:
    """Mark arrest diversions still open after the intake window `intake_missed`."""
    deadline = now - timedelta(hours=24 * intake_days)
    overdue = session.execute(
        select(Referral.id, Referral.status).where(
            Referral.type == "arrest_diversion",
            Referral.status.in_(("acknowledged", "assessed")),
            Referral.created_at <= deadline,
        )
    ).all()
    missed = 0
    for referral_id, before in overdue:
        changed = session.execute(
            update(Referral)
            .where(Referral.id == referral_id, Referral.status.in_(("acknowledged", "assessed")))
            .values(status="intake_missed")
            .execution_options(synchronize_session=False)
        )
        if not updated_one_row(changed):
            continue  # another clock, or a coordinator, got there first
        referral = session.get_one(Referral, referral_id)
        session.refresh(referral)
        add_event(
            session, referral.id, "intake_missed", "system", now, detail={"reason": "deadline"}
        )
        audit_status(session, SYSTEM, now, referral.id, before, "intake_missed", reason="deadline")
        tell_officer(session, referral, now, sender)
        if referral.acknowledged_by is not None:
            coordinator = session.get_one(User, referral.acknowledged_by)
            queue_notice(
                session,
                IntakeWindowClosed(referral.id, intake_days),
                to=coordinator.phone,
                language=coordinator.language,
                sender=sender,
                now=now,
                referral_id=referral.id,
            )
        session.commit()
        missed += 1
    return missed


def erase_old_referrals(session: Session, now: datetime, retention_days: int | None) -> int:
    """Erase participant identifiers of closed referrals older than the retention period."""
    if not retention_days:
        return 0
    cutoff = now - timedelta(days=retention_days)
    due = session.scalars(
        select(Referral.id).where(
            Referral.status.in_(CLOSED_STATUSES),
            Referral.created_at <= cutoff,
            Referral.erased_at.is_(None),
        )
    ).all()
    erased = 0
    for referral_id in due:
        claimed = session.execute(
            update(Referral)
            .where(Referral.id == referral_id, Referral.erased_at.is_(None))
            .values(erased_at=now, participant_name=None, location=None, recording_url=None)
            .execution_options(synchronize_session=False)
        )
        if not updated_one_row(claimed):
            continue  # another clock erased it first
        session.execute(
            update(Call).where(Call.referral_id == referral_id).values(recording_url=None)
        )
        session.execute(update(Message).where(Message.referral_id == referral_id).values(body=None))
        session.execute(
            update(ReferralEvent)
            .where(
                ReferralEvent.referral_id == referral_id, ReferralEvent.kind.in_(FREE_TEXT_EVENTS)
            )
            .values(detail=None)
        )
        fields = ["participant_name", "location", "notes", "recording_url", "message bodies"]
        record(session, SYSTEM, now, "erase", "referral", referral_id, None, {"erased": fields})
        session.commit()
        erased += 1
    return erased


def erase_old_participants(session: Session, now: datetime, retention_days: int | None) -> int:
    """Erase who exited participants were, once they left longer ago than the retention period.

    The record stays for the counts (referrals, plan, charges by date); the name,
    aliases, birth date, plan notes and charge descriptions go.
    """
    if not retention_days:
        return 0
    cutoff = now - timedelta(days=retention_days)
    due = session.scalars(
        select(Participant.id).where(
            Participant.status == "exited",
            Participant.exited_at <= cutoff,
            Participant.erased_at.is_(None),
        )
    ).all()
    erased = 0
    for participant_id in due:
        claimed = session.execute(
            update(Participant)
            .where(Participant.id == participant_id, Participant.erased_at.is_(None))
            .values(erased_at=now, name=ERASED, aliases=[], date_of_birth=None)
            .execution_options(synchronize_session=False)
        )
        if not updated_one_row(claimed):
            continue  # another clock erased them first
        session.execute(
            update(PlanEntry).where(PlanEntry.participant_id == participant_id).values(note=None)
        )
        session.execute(
            update(Charge).where(Charge.participant_id == participant_id).values(description=ERASED)
        )
        fields = ["name", "aliases", "date_of_birth", "plan notes", "charge descriptions"]
        record(
            session, SYSTEM, now, "erase", "participant", participant_id, None, {"erased": fields}
        )
        session.commit()
        erased += 1
    return erased
