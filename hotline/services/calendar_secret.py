"""The calendar feed's secret token: derived from SECRET_KEY, never stored in clear.

The database holds a random nonce and the SHA-256 of the token, where the token
is HMAC-SHA256(SECRET_KEY, nonce). So a copy of the database alone never yields
a working feed URL (the nonce is useless without the key, the digest cannot be
reversed), while GET /calendar can still hand the URL out: it derives it again.
Rotating replaces the nonce, and so the token; the old URL is 404 at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..models import ProgramSetting

NONCE_KEY = "calendar_nonce"
HASH_KEY = "calendar_token_hash"
LEGACY_KEY = "calendar_token"  # the token in clear, as stored before; removed on sight


def derive(secret_key: str, nonce: str) -> str:
    """Return the feed token of `nonce` under `secret_key` (32 URL-safe characters)."""
    mac = hmac.new(secret_key.encode(), b"calendar-feed:" + nonce.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode()


def digest(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _value(session: Session, key: str) -> str | None:
    row = session.get(ProgramSetting, key, populate_existing=True)
    return row.value if row is not None else None


def _store(session: Session, token: str, nonce: str) -> None:
    """Keep `nonce` and the digest of `token`, replacing any earlier ones."""
    session.execute(delete(ProgramSetting).where(ProgramSetting.key == LEGACY_KEY))
    for key, value in ((NONCE_KEY, nonce), (HASH_KEY, digest(token))):
        row = session.get(ProgramSetting, key)
        if row is None:
            session.add(ProgramSetting(key=key, value=value))
        else:
            row.value = value
    session.flush()


def calendar_token(session: Session, secret_key: str) -> str:
    """Return the program's feed token, creating its nonce on first use (and committing)."""
    nonce = _value(session, NONCE_KEY)
    if nonce is None:
        fresh = secrets.token_urlsafe(24)
        try:
            with session.begin_nested():
                _store(session, derive(secret_key, fresh), fresh)
        except IntegrityError:
            pass  # another request created it first: use theirs
        session.commit()
        nonce = _value(session, NONCE_KEY)
        assert nonce is not None
    token = derive(secret_key, nonce)
    if _value(session, HASH_KEY) != digest(token):
        # SECRET_KEY was changed since: the URL derived now becomes the feed's URL.
        _store(session, token, nonce)
        session.commit()
    return token


def rotate(session: Session, secret_key: str, actor: Actor, now: datetime) -> str:
    """Replace the feed token (the old URL stops working) and return the new one."""
    nonce = secrets.token_urlsafe(24)
    token = derive(secret_key, nonce)
    _store(session, token, nonce)
    record(session, actor, now, "rotate", "calendar_token", None)
    return token


def token_matches(session: Session, token: str, secret_key: str) -> bool:
    """Tell whether `token` is the feed's token under the current key, in constant time."""
    stored, nonce = _value(session, HASH_KEY), _value(session, NONCE_KEY)
    if stored is None or nonce is None:
        return False
    # Derived again, not only compared with the stored digest: once SECRET_KEY is replaced
    # (after a leak), the URL made from the old key is 404 at once, not when the new is adopted.
    current = hmac.compare_digest(digest(derive(secret_key, nonce)), digest(token))
    return hmac.compare_digest(stored, digest(token)) and current
