"""Queue outbound texts in the database, in the transaction of the change that causes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..models import Message, OptOut
from ..statements import table_of

# Built once: a queued text is written at once by Core, in the order texts are made.
QUEUE_INSERT = insert(table_of(Message)).returning(Message.id)


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
) -> int:
    """Add a text to the outbox (the dispatch-outbox job sends it); return its id.

    A text to an opted-out number is kept `suppressed` and never sent.
    `opted_out` is whether `to` opted out, when the caller read it already.
    """
    suppressed = is_opted_out(session, to) if opted_out is None else opted_out
    values = {
        "direction": "out",
        "from_number": sender or "",
        "to_number": to,
        "body": body,
        "status": "suppressed" if suppressed else "queued",
        "referral_id": referral_id,
        "created_at": now,
        "next_attempt_at": None if suppressed else now,
        "kind": kind,
    }
    message_id: int = session.connection().execute(QUEUE_INSERT, values).scalar_one()
    return message_id
