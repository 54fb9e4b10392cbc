"""Referrals: their timeline events and how the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..db import table_of
from ..models import Referral, ReferralEvent
from ..schemas.referrals import ReferralOut
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
    # Whatever read it before (a page, an earlier step) may have seen it before another
    # worker took or closed it: judge it as it is now. A write that changes nothing takes
    # the row first, on SQLite too (where FOR UPDATE does nothing and reads take no turn),
    # so two holders take turns instead of the later one writing over what it never saw.
    touch = update(Referral).where(Referral.id == referral_id).values(status=Referral.status)
    session.execute(touch.execution_options(synchronize_session=False))
    return session.get(Referral, referral_id, with_for_update=True, populate_existing=True)


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
