"""Apply Twilio's delivery reports (the status callback) to the message log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Message, OptOut
from ..statements import insert_unless_present, updated_one_row
from .dispatch import tell_supervisors
from .notices import Undelivered
from .transport import UNSUBSCRIBED_RECIPIENT

# Twilio's MessageStatus values that say where a text we sent has got to.
# The others (queued, sending, accepted, scheduled, …) say nothing our
# "sent" does not already say.
DELIVERED = frozenset({"delivered", "read"})
NOT_DELIVERED = frozenset({"undelivered", "failed", "canceled"})
SENT = frozenset({"sent"})

# Our statuses each report may replace. Twilio's callbacks can arrive late,
# twice or out of order, so a report only ever moves a text forward:
# delivered and failed are final, and a late "sent" changes neither.
MOVES_FROM = {
    "delivered": ("queued", "sent"),
    "failed": ("queued", "sent"),
    "sent": ("queued",),
}

# The message log's error column holds this many characters.
ERROR_LENGTH = 200


def apply_delivery_status(
    session: Session,
    message_sid: str,
    status: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Record a delivery report; tell whether `message_sid` is one of our outbound texts.

    The caller commits. An ErrorCode of 21610 (the recipient replied STOP) opts
    the number out, so nothing more is sent to it. A text the carrier could not
    deliver is told to every active supervisor, once, as a text the outbox gave
    up on is.
    """
    if not message_sid:
        return False
    to = session.scalar(
        select(Message.to_number).where(
            Message.message_sid == message_sid, Message.direction == "out"
        )
    )
    if to is None:
        return False
    code = (error_code or "").strip() or None
    if code == UNSUBSCRIBED_RECIPIENT:
        insert_unless_present(session, OptOut, {"phone": to, "at": now, "source": "carrier"})

    reported = status.strip().lower()
    ours = _our_status(reported)
    if ours is None:
        return True
    values: dict[str, object] = {"status": ours}
    if ours == "failed":
        error = f"{reported} (error {code})" if code else reported
        values["error"] = error[:ERROR_LENGTH]
    # One conditional UPDATE: two reports handled at once cannot both move it.
    moved = updated_one_row(
        session.execute(
            update(Message)
            .where(Message.message_sid == message_sid, Message.status.in_(MOVES_FROM[ours]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    # Twilio does not try again: unless the recipient opted out, someone must know.
    if moved and ours == "failed" and code != UNSUBSCRIBED_RECIPIENT:
        failed = session.scalars(
            select(Message).where(Message.message_sid == message_sid, Message.direction == "out")
        ).first()
        if failed is not None:
            tell_supervisors(session, failed, Undelivered(reported, code), now=now)
    return True


def _our_status(reported: str) -> str | None:
    """Return the message-log status a Twilio MessageStatus stands for, if it moves one."""
    if reported in DELIVERED:
        return "delivered"
    if reported in NOT_DELIVERED:
        return "failed"
    if reported in SENT:
        return "sent"
    return None


def a_send_in_flight(session: Session, now: datetime) -> bool:
    """Tell whether a text may be on its way with its sid not yet recorded (claimed, queued)."""
    claimed = select(Message.id).where(
        Message.direction == "out",
        Message.status == "queued",
        Message.attempts > 0,
        Message.next_attempt_at > now,
    )
    return session.scalar(claimed.limit(1)) is not None
