"""Referrals: their timeline events and how the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..models import Referral, ReferralEvent
from ..schemas.referrals import ReferralOut
from ..statements import hold_row, table_of
from .errors import NotFound

# Built once: a webhook adds events on every call, and building the statement costs
# more than running it.
EVENT_INSERT = insert(table_of(ReferralEvent))


def add_event(
    session: Session,
    referral_id: int,
    kind: str,
    channel: str,
    now: datetime,
    actor_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one event on a referral's timeline (written at once, in the caller's transaction)."""
    values = {
        "referral_id": referral_id,
        "at": now,
        "kind": kind,
        "actor_id": actor_id,
        "channel": channel,
        "detail": detail,
    }
    session.connection().execute(EVENT_INSERT, values)


def get_referral(session: Session, referral_id: int) -> Referral:
    """Return a referral or raise NotFound."""
    row = session.get(Referral, referral_id)
    if row is None:
        raise NotFound(f"no referral #{referral_id}")
    return row


def hold_referral(session: Session, referral_id: int) -> Referral | None:
    """Read a referral again and hold its row until commit; None when there is none."""
    referral: Referral | None = hold_row(session, Referral, referral_id, Referral.status)
    return referral


def referral_fields(row: Referral) -> dict[str, Any]:
    """Return a referral as the API lists it: what ReferralOut says, read off the row."""
    return ReferralOut.model_validate(row).model_dump()


def referral_detail(session: Session, row: Referral) -> dict[str, Any]:
    """Return a referral with its whole timeline of events."""
    events = session.scalars(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == row.id)
        .order_by(ReferralEvent.at, ReferralEvent.id)
    )
    fields = referral_fields(row)
    fields["events"] = [
        {
            "at": e.at,
            "kind": e.kind,
            "actor_id": e.actor_id,
            "channel": e.channel,
            "detail": e.detail,
        }
        for e in events
    ]
    return fields
