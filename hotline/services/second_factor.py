"""The staff's second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30 s) and one-time recovery codes.

A code is accepted once per account: the time step it was accepted at is kept,
and no code of that step or an earlier one is accepted again. One step either
side of now is accepted, for a phone's clock a little off. Recovery codes are
random, shown once, stored as SHA-256 hashes (each has 50 bits of entropy, so
a fast hash is enough) and struck out when used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import update
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..models import User
from .people import end_sessions

ISSUER = "LEAD hotline"
RECOVERY_CODES = 10
# Ten characters of an alphabet without look-alikes (no 0/O, 1/l/I): 50 bits each.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
STEP_SECONDS = 30


def new_secret() -> str:
    """Return a fresh secret, not yet saved: enrol() saves it once a code proves it."""
    return str(pyotp.random_base32())


def provisioning_address(email: str, secret: str) -> str:
    """Return the otpauth:// address an authenticator reads from the QR code."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER))


def grouped(secret: str) -> str:
    """Return a secret in groups of four, as it is typed into an authenticator by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def code_step(secret: str, code: str, now: datetime) -> int | None:
    """Return the time step whose code this is (now, or one step either side), or None."""
    digits = code.replace(" ", "")
    # isdigit() alone takes Arabic-Indic and superscript digits too, which no code has.
    if len(digits) != 6 or not (digits.isascii() and digits.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // STEP_SECONDS
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), digits):
            return candidate
    return None


def hash_code(code: str) -> str:
    """Return the stored form of a recovery code (case and spaces do not matter)."""
    normal = code.replace(" ", "").replace("-", "").lower()
    return hashlib.sha256(normal.encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    """Return ten fresh recovery codes, as shown once (xxxxx-xxxxx)."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hold(session: Session, user: User) -> None:
    """Read the user's row again and hold it until commit, so a code is spent once."""
    # A write that changes nothing takes the row's lock (PostgreSQL) or the database's
    # (SQLite) before the read: a second sign-in with the same code waits, then sees it spent.
    touch = update(User).where(User.id == user.id).values(totp_last_step=User.totp_last_step)
    session.execute(touch.execution_options(synchronize_session=False))
    session.refresh(user)


def check_code(session: Session, user: User, code: str, now: datetime) -> str | None:
    """Accept a TOTP code (once) or an unused recovery code; return which, or None."""
    hold(session, user)
    if user.totp_secret is None:
        return None
    step = code_step(user.totp_secret, code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return None  # a replay, or an older code after a newer one
        user.totp_last_step = step
        return "code"
    hashed = hash_code(code)
    left = list(user.recovery_hashes or [])
    for kept in left:
        if hmac.compare_digest(kept, hashed):
            left.remove(kept)
            user.recovery_hashes = left  # a new list: the JSON column sees the change
            return "recovery code"
    return None


def enrolled(user: User) -> bool:
    """Tell whether the user has a second factor (as last read)."""
    return user.totp_secret is not None


def enrol(session: Session, user: User, secret: str, code: str, now: datetime) -> list[str] | None:
    """Save the secret once `code` proves it; return the recovery codes to show, or None."""
    hold(session, user)
    if user.totp_secret is not None:
        return None  # enrolled meanwhile (the same form sent twice): the codes shown then stand
    step = code_step(secret, code, now)
    if step is None:
        return None
    codes = new_recovery_codes()
    user.totp_secret = secret
    user.totp_last_step = step
    user.recovery_hashes = [hash_code(c) for c in codes]
    record(session, Actor(user.id, "web"), now, "enrol", "second_factor", user.id, None, None)
    return codes


def reset_factor(session: Session, user: User, actor: Actor, now: datetime) -> None:
    """Remove a user's second factor (they enrol again at their next sign-in); audited."""
    had = user.totp_secret is not None
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_hashes = []
    end_sessions(session, user)  # signed-in browsers sign in again
    record(
        session,
        actor,
        now,
        "reset",
        "second_factor",
        user.id,
        {"enrolled": had},
        {"enrolled": False},
    )
