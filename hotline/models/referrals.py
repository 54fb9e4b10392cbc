"""Referrals and the events of their timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

# The one definition of a referral's statuses (SPEC §6); the schemas take it from here.
Status = Literal[
    "received",
    "notified",
    "acknowledged",
    "assessed",
    "intake_completed",
    "intake_missed",
    "ineligible",
    "declined",
    "not_a_referral",
]
STATUSES: tuple[str, ...] = get_args(Status)
CLOSED_STATUSES = frozenset(STATUSES[4:])
# Nobody has acknowledged it yet: texts about it say `Reply ACK n` (SPEC §5).
OPEN_FOR_ACK = STATUSES[:2]


class Referral(Base):
    """One officer's referral of a person, by call, text or the web (SPEC §6)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    type: Mapped[str | None] = mapped_column(String(30), default=None)
    offense: Mapped[str | None] = mapped_column(String(30), default=None)
    status: Mapped[str] = mapped_column(String(30), default="received", index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    badge: Mapped[str | None] = mapped_column(String(40), default=None)
    officer_phone: Mapped[str | None] = mapped_column(String(20), default=None)
    participant_name: Mapped[str | None] = mapped_column(String(200), default=None)
    location: Mapped[str | None] = mapped_column(String(500), default=None)
    consent_at: Mapped[datetime | None] = mapped_column(default=None)
    # Null when the officer's own intake recorded consent; a user when staff confirmed it.
    consent_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    call_outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recording_url: Mapped[str | None] = mapped_column(String(500), default=None)
    # Set when the retention job erased the participant's identifiers.
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    # The participant an accepted assessment linked it to (SPEC §6).
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), default=None)

    # Most referrals are never linked: indexed only once linked, a new referral writes
    # one index page less (a lookup by participant implies IS NOT NULL, so it still serves).
    __table_args__ = (
        Index(
            "ix_referrals_participant_id",
            "participant_id",
            sqlite_where=text("participant_id IS NOT NULL"),
            postgresql_where=text("participant_id IS NOT NULL"),
        ),
    )


class ReferralEvent(Base):
    """One change in a referral's life: who, when, through what (SPEC §6)."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    channel: Mapped[str] = mapped_column(String(10))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class Assessment(Base):
    """One version of a referral's brief assessment; a new POST adds a version (SPEC §6, §8)."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("referral_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    offense: Mapped[str] = mapped_column(String(30))
    exclusions: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_confirmed: Mapped[bool]
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    risks: Mapped[list[str]] = mapped_column(JSON, default=list)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    disposition: Mapped[str] = mapped_column(String(30))
    age_range: Mapped[str | None] = mapped_column(String(30), default=None)
    gender: Mapped[str | None] = mapped_column(String(60), default=None)
    race_ethnicity: Mapped[str | None] = mapped_column(String(100), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    completed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime]
