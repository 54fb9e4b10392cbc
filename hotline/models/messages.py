"""Every text in or out: the message log and the outbox in one table."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

MessageStatus = Literal["received", "queued", "sent", "delivered", "failed", "suppressed"]
MESSAGE_STATUSES: tuple[str, ...] = get_args(MessageStatus)


class Message(Base):
    """One SMS; outbound ones are queued here before any attempt to send (the outbox)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    from_number: Mapped[str] = mapped_column(String(40), index=True)
    to_number: Mapped[str] = mapped_column(String(40), index=True)
    body: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(12), index=True)
    message_sid: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    # Indexed only once a referral holds it: a text logged or answered outside one (every
    # intake step's, until SEND) writes one index page less.
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), default=None)
    # A text that names a participant outside any referral (CONTACT, the case manager's
    # notice of it): retention erases it with the participant.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    # Why an outbound text exists when it matters later, e.g. "help" (rate-limited replies)
    # or "failure_notice" (never itself reported when it fails).
    kind: Mapped[str | None] = mapped_column(String(20), default=None)

    __table_args__ = (
        Index(
            "ix_messages_referral_id",
            "referral_id",
            sqlite_where=text("referral_id IS NOT NULL"),
            postgresql_where=text("referral_id IS NOT NULL"),
        ),
        Index(
            "ix_messages_participant_id",
            "participant_id",
            sqlite_where=text("participant_id IS NOT NULL"),
            postgresql_where=text("participant_id IS NOT NULL"),
        ),
    )
