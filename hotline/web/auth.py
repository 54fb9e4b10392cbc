"""Web sign-in: password check, lock-out after repeated failures, role rules (SPEC §9)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import get_session
from ..i18n import N_
from ..models import LoginAttempt, User
from ..permissions import Capability, can

LOCK_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 10
ADDRESS_FAILURES = 50
WRONG_PASSWORD = N_("Wrong email or password.")
ACCOUNT_LOCKED = N_("This account is locked for 15 minutes after too many failed logins.")


@functools.cache
def _dummy_hash() -> str:
    """Return a hash to check against when the email is unknown, so a miss takes as long."""
    return generate_password_hash("not anyone's password")


def locked_out(session: Session, now: datetime, limit: int, besides: int, **where: str) -> bool:
    """Tell whether `limit` failed logins within 15 minutes, the last under 15 minutes ago, lock.

    `besides` is the id of the try being checked, left out of its own count.
    """
    ((column, value),) = where.items()
    # The lock lasts 15 minutes from the failure that reached the limit, however spread
    # the failures before it were: a sliding count would open again after a minute.
    times = session.scalars(
        select(LoginAttempt.at)
        .where(
            getattr(LoginAttempt, column) == value,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > now - 2 * LOCK_WINDOW,
            LoginAttempt.id != besides,
        )
        .order_by(LoginAttempt.at)
    ).all()
    return any(
        last > now - LOCK_WINDOW and last - first < LOCK_WINDOW
        for first, last in zip(times, times[limit - 1 :], strict=False)
    )


def site_target(target: str) -> str:
    """Return where a sign-in goes on: `target` if it is a path on this site, else the dashboard."""
    # Only a path on this site: never an open redirect. A control character (a line
    # break) cannot stand in the Location header, so the redirect would fail after the
    # sign-in; checked before urlsplit, which drops tabs and then fails on "/\t/[".
    controls = any(ord(character) < 0x20 or ord(character) == 0x7F for character in target)
    # A browser reads a backslash as a slash: "/\\evil.example" in a link is another site.
    if not target.startswith("/") or target[1:2] in ("/", "\\") or controls:
        return url_for("web.dashboard")
    if urlsplit(target).netloc:
        return url_for("web.dashboard")
    return target


def record_attempt(
    session: Session, email: str, address: str, now: datetime, ok: bool
) -> LoginAttempt:
    """Keep one sign-in attempt (password, code or single sign-on) for the lock-out; commit it."""
    attempt = LoginAttempt(at=now, email=email[:320], address=address[:64], succeeded=ok)
    session.add(attempt)
    session.commit()
    return attempt


ADDRESS_LOCKED = N_("Too many failed logins from this address: try again in 15 minutes.")


def counted_try(session: Session, email: str, address: str, now: datetime) -> LoginAttempt | str:
    """Count a sign-in try as failed before it is checked; return it, or why it is refused.

    Counted first and committed, tries sent at once see each other: no more than
    the limit reach the password or code check. A refused try is not kept, so it
    does not stretch the lock.
    """
    attempt = record_attempt(session, email, address, now, ok=False)
    refusal = None
    if locked_out(session, now, ACCOUNT_FAILURES, attempt.id, email=email):
        refusal = ACCOUNT_LOCKED
    elif locked_out(session, now, ADDRESS_FAILURES, attempt.id, address=address):
        refusal = ADDRESS_LOCKED
    if refusal is None:
        return attempt
    session.delete(attempt)
    session.commit()
    return refusal


def attempt_login(
    session: Session, email: str, password: str, address: str, now: datetime
) -> User | str:
    """Return the user whose credentials these are, or the reason to refuse them."""
    email = email.strip().lower()
    attempt = counted_try(session, email, address, now)
    if isinstance(attempt, str):
        return attempt
    user = session.scalars(select(User).where(User.email == email)).first()
    valid = check_password_hash(
        user.password_hash if user and user.password_hash else _dummy_hash(), password
    )
    ok = bool(user and user.active and user.password_hash and valid)
    if not ok or user is None:
        return WRONG_PASSWORD
    attempt.succeeded = True
    session.commit()
    return user


# A signed-in session ends after this long without a request (SPEC §9); tests may shorten it.
IDLE_LIMIT = timedelta(minutes=30)


def idle_limit() -> timedelta:
    """Return how long a session may go without a request."""
    seconds = current_app.config.get("SESSION_IDLE_SECONDS")
    return timedelta(seconds=seconds) if seconds else IDLE_LIMIT


def start_session(user: User) -> None:
    """Sign `user` in on this browser, in a fresh session."""
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.session_epoch
    session["seen_at"] = session["signed_in_at"] = time.time()
    session.permanent = True


def idle_too_long(now: float) -> bool:
    """Tell whether this browser's session went unused past the idle limit."""
    seen = session.get("seen_at")
    # 30 minutes without a request is the end (SPEC §9), as an intake idle 30 minutes expires.
    return isinstance(seen, float) and now - seen >= idle_limit().total_seconds()


def signed_in_too_long(now: float) -> bool:
    """Tell whether this browser signed in longer ago than a sign-in lasts (12 hours)."""
    # The cookie's own age cannot tell: it is signed again at every request.
    since = session.setdefault("signed_in_at", now)  # a session older than this check: from now
    limit = current_app.permanent_session_lifetime.total_seconds()
    return not isinstance(since, float) or now - since >= limit


def seconds_left(now: float) -> int:
    """Return how long this browser's session has left, in whole seconds; 0 if it has ended.

    Only reads: asking is not activity, so a tab's timer can ask whether another
    tab kept the session alive without keeping it alive itself.
    """
    seen, since, user_id = (session.get(key) for key in ("seen_at", "signed_in_at", "user_id"))
    if not (isinstance(seen, float) and isinstance(since, float) and isinstance(user_id, int)):
        return 0
    user = get_session().get(User, user_id)
    if user is None or not user.active or session.get("epoch") != user.session_epoch:
        return 0
    idle = idle_limit().total_seconds() - (now - seen)
    longest = current_app.permanent_session_lifetime.total_seconds() - (now - since)
    return max(0, int(min(idle, longest)))


def current_user() -> User | None:
    """Return the signed-in, still active user of this request.

    The session must carry the user's current epoch: a cookie copied before a
    sign-out, a deactivation or a new password no longer opens anything.
    """
    if "web_user" not in g:
        if "user_id" in session:
            now = time.time()
            if idle_too_long(now):
                session.clear()
                g.session_expired = "1"
            elif signed_in_too_long(now):
                session.clear()
                g.session_expired = "12h"
            else:
                session["seen_at"] = now  # this request is activity
        user_id = session.get("user_id")
        user = get_session().get(User, user_id) if isinstance(user_id, int) else None
        live = user is not None and user.active and session.get("epoch") == user.session_epoch
        g.web_user = user if live else None
    web_user: User | None = g.web_user
    return web_user


def return_page() -> str:
    """Return where a sign-in asked for by this request goes on: this page, or a form's page."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    # A form's address answers only its POST (a GET of it after signing in is a 405 page):
    # go back to the page the form was on, when that is a page of this site.
    referrer = urlsplit(request.referrer or "")
    public = urlsplit(current_app.config.get("HOTLINE_PUBLIC_URL") or "").netloc
    if referrer.netloc not in (request.host, public) or not referrer.path:
        return url_for("web.dashboard")
    return site_target(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anyone not signed in to /login (and back afterwards)."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            # Between the password and the code, the code form is the only page that opens.
            from .second_factor import second_step_page

            pending = second_step_page()
            if pending is not None:
                return redirect(pending)
            target = return_page()
            if g.get("session_expired"):
                return redirect(url_for("web.login", next=target, expired=g.session_expired))
            return redirect(url_for("web.login", next=target))
        return view(*args, **kwargs)

    return guarded


def requires(capability: Capability) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let through only those who can do `capability` (403 for the rest), after sign-in."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user(), capability):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def user_can(capability: Capability) -> bool:
    """Tell whether the signed-in user may do `capability`."""
    return can(current_user(), capability)


def is_supervisor() -> bool:
    """Tell whether the signed-in user may change the program (rotations, people, …)."""
    return user_can("edit_program")
