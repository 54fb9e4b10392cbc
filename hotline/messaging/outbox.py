"""Queue outbound texts in the database, in the transaction of the change that causes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..models import Message


def queue_text(
    session: Session,
    *,
    sender: str | None,
    to: str,
    body: str,
    now: datetime,
    referral_id: int | None = None,
) -> Message:
    """Add a text to the outbox; the dispatch-outbox job sends it."""
    message = Message(
        direction="out",
        from_number=sender or "",
        to_number=to,
        body=body,
        status="queued",
        referral_id=referral_id,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message
