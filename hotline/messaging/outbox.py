"""Queue outbound texts in the database, in the transaction of the change that causes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..models import Message, OptOut


def is_opted_out(session: Session, phone: str) -> bool:
    """Tell whether `phone` asked (STOP) or is known (error 21610) to receive nothing."""
    return session.get(OptOut, phone) is not None


def queue_text(
    session: Session,
    *,
    sender: str | None,
    to: str,
    body: str,
    now: datetime,
    referral_id: int | None = None,
    kind: str | None = None,
    opted_out: bool | None = None,
) -> Message:
    """Add a text to the outbox (the dispatch-outbox job sends it); suppress it if opted out.

    `opted_out` is whether `to` opted out, when the caller read it already.
    """
    suppressed = is_opted_out(session, to) if opted_out is None else opted_out
    message = Message(
        direction="out",
        from_number=sender or "",
        to_number=to,
        body=body,
        status="suppressed" if suppressed else "queued",
        referral_id=referral_id,
        created_at=now,
        next_attempt_at=None if suppressed else now,
        kind=kind,
    )
    session.add(message)
    return message
