"""Intake deadlines: the referral's clock after acknowledgement (SPEC §7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..audit import Actor
from ..messaging.notices import IntakeWindowClosed, notify
from ..models import OPEN_FOR_ACK, Referral, User
from ..permissions import can
from ..statements import unless_held, updated_one_row
from .alerts import tell_officer
from .referral_audit import audit_status
from .referrals import add_event

SYSTEM = Actor(None, "system")

# Acknowledged in substance: taken by ACK, or still `received`/`notified` but held by the
# author of an `unable_to_contact` assessment (SPEC §6: an assessment implies the
# acknowledgement), whom escalation passes over, so only the deadline can close it.
IN_THE_WINDOW = or_(
    Referral.status.in_(("acknowledged", "assessed")),
    and_(Referral.status.in_(OPEN_FOR_ACK), Referral.acknowledged_by.is_not(None)),
)


def miss_overdue_intakes(
    session: Session, now: datetime, intake_days: int, sender: str | None
) -> int:
    """Mark arrest diversions still open after the intake window `intake_missed`."""
    deadline = now - timedelta(hours=24 * intake_days)
    overdue = session.execute(
        select(Referral.id, Referral.status).where(
            Referral.type == "arrest_diversion",
            IN_THE_WINDOW,
            Referral.created_at < deadline,  # older than the window (SPEC §7): not at it
        )
    ).all()
    missed = 0
    for referral_id, before in overdue:
        # A stuck transaction holds this one: the rest go on, it waits for the next run.
        with unless_held(session, f"referral {referral_id}"):
            missed += _miss_one(session, referral_id, before, now, intake_days, sender)
    return missed


def _miss_one(
    session: Session,
    referral_id: int,
    before: str,
    now: datetime,
    intake_days: int,
    sender: str | None,
) -> int:
    """Close one referral's intake window unless it moved on; commit; return 1 if it closed."""
    changed = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status == before, IN_THE_WINDOW)
        .values(status="intake_missed")
        .execution_options(synchronize_session=False)
    )
    if not updated_one_row(changed):
        return 0  # another clock, or a coordinator, got there first
    referral = session.get_one(Referral, referral_id)
    session.refresh(referral)
    add_event(session, referral.id, "intake_missed", "system", now, detail={"reason": "deadline"})
    audit_status(session, SYSTEM, now, referral.id, before, "intake_missed", reason="deadline")
    tell_officer(session, referral, now, sender)
    holder = referral.acknowledged_by
    coordinator = session.get(User, holder) if holder is not None else None
    # One who left the program (or took a role that answers no referrals) is not texted.
    if coordinator is not None and can(coordinator, "work_referrals"):
        notice = IntakeWindowClosed(referral.id, intake_days)
        notify(session, notice, coordinator, sender=sender, now=now, referral_id=referral.id)
    session.commit()
    return 1
