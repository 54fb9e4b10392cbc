"""SMS state: opt-outs, intake conversations, who was told about a referral."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class OptOut(Base):
    """A number that texted STOP (or that Twilio reports opted out): nothing is sent to it."""

    __tablename__ = "opt_outs"

    phone: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))


class Conversation(Base):
    """An officer's intake in progress, one per phone, so any worker can continue it."""

    __tablename__ = "conversations"

    phone: Mapped[str] = mapped_column(String(40), primary_key=True)
    step: Mapped[str] = mapped_column(String(20))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReferralNotice(Base):
    """A user was texted about a referral (first notice or escalation), once each."""

    __tablename__ = "referral_notices"
    __table_args__ = (UniqueConstraint("referral_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))


class DeclinedConsent(Base):
    """An intake ended because the person did not consent: counted, nothing else kept."""

    __tablename__ = "declined_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]


class ShiftNotice(Base):
    """A person was texted before an on-call segment of theirs (known by person, tier, start)."""

    __tablename__ = "shift_notices"
    __table_args__ = (UniqueConstraint("user_id", "tier", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    tier: Mapped[int]
    start: Mapped[datetime]
    sent_at: Mapped[datetime]


class GapNotice(Base):
    """Supervisors were told of a coverage gap (known by tier and start instant)."""

    __tablename__ = "gap_notices"
    __table_args__ = (UniqueConstraint("tier", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[int]
    start: Mapped[datetime]
    announced_at: Mapped[datetime]
