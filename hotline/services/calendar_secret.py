"""The calendar feed's secret token: derived from SECRET_KEY, never stored in clear.

The database holds only a random nonce; the token is HMAC-SHA256(SECRET_KEY, nonce),
derived again wherever it is needed. So a copy of the database alone never yields
a working feed URL, while GET /calendar can still hand the URL out. Rotating
replaces the nonce, and replacing SECRET_KEY changes the derivation: either way
the old URL is 404 at once.
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
# Kept by older versions, dropped when a nonce is next stored: the token in clear (the
# upgrade's migration deletes it too), then the token's digest (harmless, but unread).
LEGACY_KEYS = ("calendar_token", "calendar_token_hash")


def derive(secret_key: str, nonce: str) -> str:
    """Return the feed token of `nonce` under `secret_key` (32 URL-safe characters)."""
    mac = hmac.new(secret_key.encode(), b"calendar-feed:" + nonce.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode()


def _value(session: Session, key: str) -> str | None:
    row = session.get(ProgramSetting, key, populate_existing=True)
    return row.value if row is not None else None


def _store(session: Session, nonce: str) -> None:
    """Keep `nonce`, replacing any earlier one."""
    session.execute(delete(ProgramSetting).where(ProgramSetting.key.in_(LEGACY_KEYS)))
    row = session.get(ProgramSetting, NONCE_KEY)
    if row is None:
        session.add(ProgramSetting(key=NONCE_KEY, value=nonce))
    else:
        row.value = nonce
    session.flush()


def calendar_token(session: Session, secret_key: str) -> str:
    """Return the program's feed token, creating its nonce on first use (and committing)."""
    nonce = _value(session, NONCE_KEY)
    if nonce is None:
        fresh = secrets.token_urlsafe(24)
        try:
            with session.begin_nested():
                _store(session, fresh)
        except IntegrityError:
            pass  # another request created it first: use theirs
        session.commit()
        nonce = _value(session, NONCE_KEY)
        assert nonce is not None
    return derive(secret_key, nonce)


def rotate(session: Session, secret_key: str, actor: Actor, now: datetime) -> str:
    """Replace the feed token (the old URL stops working) and return the new one."""
    nonce = secrets.token_urlsafe(24)
    _store(session, nonce)
    record(session, actor, now, "rotate", "calendar_token", None)
    return derive(secret_key, nonce)


def token_matches(session: Session, token: str, secret_key: str) -> bool:
    """Tell whether `token` is the feed's token under the current key, in constant time."""
    nonce = _value(session, NONCE_KEY)
    # As bytes: a URL may carry any character, and compare_digest takes only ASCII str.
    return nonce is not None and hmac.compare_digest(
        derive(secret_key, nonce).encode(), token.encode()
    )
