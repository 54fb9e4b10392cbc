"""Rotations, their participants, and overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Rotation(Base):
    """A repeating hand-off of one tier between participants (SPEC §3)."""

    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[int] = mapped_column(Integer, index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    timezone: Mapped[str] = mapped_column(String(64))
    # A local wall-clock reading in `timezone`, deliberately naive.
    start_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    shift_hours: Mapped[int] = mapped_column(Integer)
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    participants: Mapped[list[RotationParticipant]] = relationship(
        order_by="RotationParticipant.position",
        cascade="all, delete-orphan",
        back_populates="rotation",
    )


class RotationParticipant(Base):
    """One place in a rotation's order; a user may hold several."""

    __tablename__ = "rotation_participants"

    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("rotations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    rotation: Mapped[Rotation] = relationship(back_populates="participants")


class Override(Base):
    """Puts a user on call for a tier over [start, end), beating every rotation."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(index=True)
    end: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
