"""Calls back to an officer placed through the hotline for a coordinator (SPEC §4.10)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

# queued: asked for, not yet handed to Twilio; placing: one process is handing it over;
# placed: Twilio took it (call_sid); dialling: the coordinator pressed 1 and the officer is
# dialled, until the <Dial> action; ended: its outcome is known.
CALLBACK_STATES = ("queued", "placing", "placed", "dialling", "ended")
# How it ended: the officer and the coordinator spoke, or who did not take it, or why not.
CALLBACK_OUTCOMES = (
    "connected",
    "officer_no_answer",
    "officer_busy",
    "officer_failed",
    "coordinator_no_answer",
    "coordinator_declined",
    "not_placed",
    "not_allowed",  # the coordinator pressed 1 after they stopped being active staff
    "officer_unknown",  # the officer was dialled, but the <Dial> action never reached the app
    "coordinator_unknown",  # the coordinator's phone was called; no word of it reached the app
)


class Callback(Base):
    """One call back: ring the coordinator from the hotline, then on 1 the referral's officer."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Both numbers as they stood when it was asked for: the call rings these, not later edits.
    coordinator_phone: Mapped[str] = mapped_column(String(20))
    officer_phone: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    requested_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    outcome: Mapped[str | None] = mapped_column(String(30), default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    connected_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    duration: Mapped[int | None] = mapped_column(default=None)
