"""Open referrals whose holder left the program or may no longer work referrals (SPEC §6)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session

from ..models import CLOSED_STATUSES, STATUSES, Referral, User
from ..permissions import holders

OPEN_STATUSES = tuple(status for status in STATUSES if status not in CLOSED_STATUSES)
# Nobody of these can act on a referral (permissions.can): its holder's hold is void.
GONE = select(User.id).where(
    or_(User.active.is_(False), User.role.not_in(holders("work_referrals")))
)
# Open, and held by someone gone: anyone who may work referrals may take it over.
HELD_BY_GONE = and_(Referral.status.in_(OPEN_STATUSES), Referral.acknowledged_by.in_(GONE))
# Nobody who can act holds it: held by nobody, or by someone gone.
NO_ABLE_HOLDER = or_(Referral.acknowledged_by.is_(None), Referral.acknowledged_by.in_(GONE))
# Its holder, if any, can still act on it (NOT IN alone would drop rows held by nobody).
HOLDER_CAN_ACT = or_(Referral.acknowledged_by.is_(None), not_(Referral.acknowledged_by.in_(GONE)))


class Orphan(NamedTuple):
    """An open referral its holder can no longer work, and who that holder is."""

    referral: Referral
    holder: User


def orphaned(session: Session) -> list[Orphan]:
    """Return the open referrals held by someone gone, oldest first."""
    rows = session.execute(
        select(Referral, User)
        .join(User, User.id == Referral.acknowledged_by)
        .where(HELD_BY_GONE)
        .order_by(Referral.created_at, Referral.id)
    )
    return [Orphan(referral, holder) for referral, holder in rows]


def holder_is_gone(session: Session, referral_id: int) -> bool:
    """Tell whether an open referral's holder left or may no longer work referrals."""
    found = session.scalar(select(Referral.id).where(Referral.id == referral_id, HELD_BY_GONE))
    return found is not None


def open_held_by(session: Session, user_id: int) -> int:
    """Return how many open referrals `user_id` holds."""
    held = select(func.count(Referral.id)).where(
        Referral.acknowledged_by == user_id, Referral.status.in_(OPEN_STATUSES)
    )
    return session.scalar(held) or 0
