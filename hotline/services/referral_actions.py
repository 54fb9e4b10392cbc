"""What coordinators do to a referral by text: take it, note it, close its intake (SPEC §5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import updated_one_row
from ..messaging.notices import TakenByOther, queue_notice
from ..models import Referral, User
from .alerts import OFFICER_STATUS_WORDS, notified_users, officer_label, tell_officer
from .referral_audit import actor_of, audit_ack, audit_status, status_now
from .referrals import add_event

OPEN_FOR_ACK = ("received", "notified")
OPEN_FOR_INTAKE = ("acknowledged", "assessed")


def acknowledge(
    session: Session, referral_id: int, user: User, now: datetime, channel: str, sender: str | None
) -> str:
    """Take a referral; of two simultaneous takers exactly one wins. Return the reply."""
    before = status_now(session, referral_id)
    taken = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status.in_(OPEN_FOR_ACK))
        .values(status="acknowledged", acknowledged_by=user.id, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    referral = session.get(Referral, referral_id)
    if referral is None:
        return f"No referral #{referral_id}."
    session.refresh(referral)
    if not updated_one_row(taken):
        if referral.acknowledged_by == user.id:
            return f"You already have #{referral_id}."
        if referral.acknowledged_by is not None:
            holder = session.get_one(User, referral.acknowledged_by)
            return f"#{referral_id} is already taken by {holder.name} ({holder.phone})."
        return f"#{referral_id} cannot be taken: it is {referral.status.replace('_', ' ')}."
    add_event(session, referral.id, "acknowledged", channel, now, actor_id=user.id)
    audit_ack(session, actor_of(user.id, channel), now, referral.id, before)
    tell_officer(session, referral, now, sender, coordinator=user.name)
    for other_id in notified_users(session, referral.id):
        other = session.get_one(User, other_id)
        if other.id != user.id and other.active:
            queue_notice(
                session,
                TakenByOther(referral.id, user.name),
                to=other.phone,
                language=other.language,
                sender=sender,
                now=now,
                referral_id=referral.id,
            )
    return f"You have #{referral.id}: {officer_label(session, referral)} was told."


def add_note(
    session: Session, referral_id: int, user: User, text: str, now: datetime, channel: str
) -> str:
    """Add an internal note to a referral's timeline."""
    if session.get(Referral, referral_id) is None:
        return f"No referral #{referral_id}."
    add_event(
        session, referral_id, "note", channel, now, actor_id=user.id, detail={"text": text[:2000]}
    )
    return f"Noted on #{referral_id}."


def close_intake(
    session: Session,
    referral_id: int,
    user: User,
    completed: bool,
    reason: str,
    now: datetime,
    channel: str,
    sender: str | None,
) -> str:
    """Mark an acknowledged referral's intake completed or missed; tell the officer the status."""
    status = "intake_completed" if completed else "intake_missed"
    before = status_now(session, referral_id)
    changed = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status.in_(OPEN_FOR_INTAKE))
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    referral = session.get(Referral, referral_id)
    if referral is None:
        return f"No referral #{referral_id}."
    session.refresh(referral)
    if not updated_one_row(changed):
        if referral.status in OPEN_FOR_ACK:
            return f"#{referral_id} is not taken yet: reply ACK {referral_id} first."
        return f"#{referral_id} is already closed ({referral.status.replace('_', ' ')})."
    detail = {"reason": reason[:2000]} if reason else None
    add_event(session, referral.id, status, channel, now, actor_id=user.id, detail=detail)
    # The reason stays on the timeline only: retention erases it there, not in the audit log.
    audit_status(session, actor_of(user.id, channel), now, referral.id, before, status)
    tell_officer(session, referral, now, sender)
    outcome = "intake completed" if completed else "intake not completed"
    return f"#{referral_id}: {outcome}; the officer was told."


def officer_status(session: Session, referral_id: int, phone: str) -> str:
    """Return the status words of the sender's own referral; others' look like none at all."""
    referral = session.scalars(
        select(Referral).where(Referral.id == referral_id, Referral.officer_phone == phone)
    ).first()
    if referral is None:
        return f"No referral #{referral_id} of yours."
    return f"LEAD #{referral.id}: {OFFICER_STATUS_WORDS[referral.status]}."


def mark_not_a_referral(
    session: Session, referral_id: int, user: User, now: datetime, channel: str, sender: str | None
) -> str:
    """Close an open referral that was not one (a wrong number, a test); tell the officer."""
    open_statuses = (*OPEN_FOR_ACK, *OPEN_FOR_INTAKE)
    before = status_now(session, referral_id)
    changed = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status.in_(open_statuses))
        .values(status="not_a_referral")
        .execution_options(synchronize_session=False)
    )
    referral = session.get(Referral, referral_id)
    if referral is None:
        return f"No referral #{referral_id}."
    session.refresh(referral)
    if not updated_one_row(changed):
        return f"#{referral_id} is already closed ({referral.status.replace('_', ' ')})."
    add_event(session, referral.id, "not_a_referral", channel, now, actor_id=user.id)
    actor = actor_of(user.id, channel)
    audit_status(session, actor, now, referral.id, before, "not_a_referral")
    tell_officer(session, referral, now, sender)
    return f"#{referral_id} marked not a referral; the officer was told."
