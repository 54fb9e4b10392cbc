"""Participants after intake: consents, the service plan, providers, charges and contacts (§6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

ParticipantStatus = Literal["active", "exited"]
PARTICIPANT_STATUSES: tuple[str, ...] = get_args(ParticipantStatus)
ConsentScope = Literal["officer_status", "prosecutor"]
CONSENT_SCOPES: tuple[str, ...] = get_args(ConsentScope)
PlanStatus = Literal["planned", "started", "completed", "stopped"]
PLAN_STATUSES: tuple[str, ...] = get_args(PlanStatus)


class Provider(Base):
    """A treatment or service provider of the program's directory."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    # Which of the assessment's needs it serves (SPEC §6).
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Participant(Base):
    """A person in LEAD after an accepted assessment; later referrals link to the same one."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    date_of_birth: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    case_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # When they left the program, and when retention erased who they are (SPEC §2).
    exited_at: Mapped[datetime | None] = mapped_column(default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)


class Consent(Base):
    """What the participant agreed may be shared, with whom, until when (SPEC §6)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # Revoking keeps the record: who learned what, under which consent, stays answerable.
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class PlanEntry(Base):
    """One need of the service plan: which provider, how far it got."""

    __tablename__ = "plan_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    need: Mapped[str] = mapped_column(String(30))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), default=None)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    started_on: Mapped[date | None] = mapped_column(default=None)
    ended_on: Mapped[date | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Charge(Base):
    """A new charge a prosecutor coordinates with the case manager (SPEC §6)."""

    __tablename__ = "charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[date]
    description: Mapped[str] = mapped_column(String(500))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime]


class Contact(Base):
    """An officer met a participant again (SPEC §6 "Re-contact"): who, when, what they learned."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(10))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    officer_phone: Mapped[str | None] = mapped_column(String(20), default=None)
    # Whether the officer was told the person is a participant (a current consent).
    disclosed: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
