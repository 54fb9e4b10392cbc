"""Voice calls to the hotline and the legs dialled for each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

LEG_OUTCOMES = ("accepted", "declined", "no-answer", "busy", "failed", "canceled")


class Call(Base):
    """One inbound call, keyed on Twilio's CallSid (SPEC §4.6)."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(40))
    to_number: Mapped[str] = mapped_column(String(40))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), default=None)
    status: Mapped[str] = mapped_column(String(20), default="ringing")
    call_outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    started_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    duration: Mapped[int | None] = mapped_column(default=None)
    recording_url: Mapped[str | None] = mapped_column(String(500), default=None)
    recording_duration: Mapped[int | None] = mapped_column(default=None)
    # The escalation chain as it stood when the call came in: [{"number", "user_id"}, ...].
    chain: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    voicemail_notified_at: Mapped[datetime | None] = mapped_column(default=None)

    legs: Mapped[list[CallLeg]] = relationship(order_by="CallLeg.step", back_populates="call")


class CallLeg(Base):
    """One step of the chain dialled during a call."""

    __tablename__ = "call_legs"
    __table_args__ = (UniqueConstraint("call_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through the unique (call_id, step) index: a second index on call_id alone
    # would only cost every leg one more page to write.
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    step: Mapped[int]
    number: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    duration: Mapped[int | None] = mapped_column(default=None)

    call: Mapped[Call] = relationship(back_populates="legs")
