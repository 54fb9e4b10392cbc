"""Who is texted about a new referral, and who next when nobody acknowledges it (SPEC §5, §7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from .. import rotation as engine
from ..models import OptOut, Referral, ReferralNotice, User
from .alerts import Recipient, notified_users, notify_user
from .oncall import load_program

# Built once: every referral sent by text runs one of them.
_RECIPIENT_COLUMNS = (User.id, User.phone, OptOut.phone.is_not(None).label("opted_out"))
USER_RECIPIENT = (
    select(*_RECIPIENT_COLUMNS)
    .outerjoin(OptOut, OptOut.phone == User.phone)
    .where(User.id == bindparam("user_id"))
)
SUPERVISOR_RECIPIENTS = (
    select(*_RECIPIENT_COLUMNS)
    .outerjoin(OptOut, OptOut.phone == User.phone)
    .where(User.role == "supervisor", User.active.is_(True))
    .order_by(User.id)
)


def first_recipients(session: Session, now: datetime) -> list[Recipient]:
    """Return who hears of a new referral: the chain's first person, else every supervisor."""
    connection = session.connection()
    chain = engine.escalation_chain(load_program(session), now)
    if chain:
        row = connection.execute(USER_RECIPIENT, {"user_id": chain[0]}).one()
        return [Recipient(*row)]
    return [Recipient(*row) for row in connection.execute(SUPERVISOR_RECIPIENTS)]


def notify_recipients(
    session: Session,
    referral: Referral,
    recipients: list[Recipient],
    now: datetime,
    sender: str | None,
    kind: str,
) -> int:
    """Text each recipient about a referral once; return how many were newly told."""
    return sum(notify_user(session, referral, user, kind, now, sender) for user in recipients)


def next_recipients(session: Session, referral: Referral, now: datetime) -> list[User]:
    """Return who to text next: the chain's next untold user, else every untold supervisor."""
    told = set(notified_users(session, referral.id))
    for user_id in engine.escalation_chain(load_program(session), now):
        if user_id not in told:
            return [session.get_one(User, user_id)]
    supervisors = session.scalars(
        select(User).where(User.role == "supervisor", User.active.is_(True)).order_by(User.id)
    )
    return [user for user in supervisors if user.id not in told]


def notify_next(
    session: Session, referral: Referral, now: datetime, sender: str | None, kind: str
) -> int:
    """Text the next recipients about a referral; return how many were newly told."""
    return sum(
        notify_user(session, referral, user, kind, now, sender)
        for user in next_recipients(session, referral, now)
    )


def escalate_unacked(session: Session, now: datetime, ack_minutes: int, sender: str | None) -> int:
    """Pass each SMS referral still `notified` ack_minutes after its last notice onwards."""
    due = now - timedelta(minutes=ack_minutes)
    last_notice = (
        select(ReferralNotice.referral_id, func.max(ReferralNotice.at).label("last"))
        .group_by(ReferralNotice.referral_id)
        .subquery()
    )
    referrals = session.scalars(
        select(Referral)
        .join(last_notice, last_notice.c.referral_id == Referral.id)
        .where(Referral.channel == "sms", Referral.status == "notified", last_notice.c.last <= due)
        .order_by(Referral.id)
    ).all()
    escalated = 0
    for referral in referrals:
        escalated += notify_next(session, referral, now, sender, "escalation")
        session.commit()
    return escalated
