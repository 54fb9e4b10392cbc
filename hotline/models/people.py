"""Coordinators, supervisors, officers and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class User(Base):
    """A coordinator or supervisor who can be on call."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    phone: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(300), default=None)
    # A web session is good only while this equals the one stored in it at sign-in:
    # sign-out, deactivation and a new password bump it, ending every session at once.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What the hotline speaks and texts to them: "en" or "es" (SPEC §4.9, §5).
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    created_at: Mapped[datetime]
    # The second factor (SPEC §9): an RFC 6238 secret (base32), the last time step a code
    # was accepted at (a step's code is never accepted twice), and the SHA-256 hashes of
    # the one-time recovery codes still unused.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class Officer(Base):
    """A police officer of the roster, identified by phone or badge."""

    __tablename__ = "officers"
    __table_args__ = (
        # One officer on the roster per phone; a department hands a phone on when an
        # officer leaves. The predicate is the lookups' own, so both databases use it.
        Index(
            "uq_officers_phone_active",
            "phone",
            unique=True,
            sqlite_where=text("active IS 1"),
            postgresql_where=text("active IS true"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # A badge names one officer for good: their referrals keep it.
    badge: Mapped[str] = mapped_column(String(40), unique=True)
    agency: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    created_at: Mapped[datetime]
    # False once the officer left the roster: their phone and badge are then a stranger's
    # (no greeting by name, nothing learnt by CONTACT); the row stays for their referrals.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class ApiToken(Base):
    """A bearer token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginAttempt(Base):
    """One try at the login form, kept to lock out guessing (SPEC §9)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
