"""API bearer tokens: handed out once, stored only as a digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..models import ApiToken, User

TOKEN_BYTES = 32


def digest(token: str) -> str:
    """Return the stored form of a token (tokens are random, so a plain hash suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, now: datetime, actor: Actor) -> str:
    """Create a token for `user` and return it; it cannot be shown again."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(user_id=user.id, token_hash=digest(token), created_at=now)
    session.add(row)
    session.flush()
    record(session, actor, now, "create", "api_token", row.id, None, {"user_id": user.id})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user a live token belongs to, or None."""
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None or not row.user.active:
        return None
    return row.user
