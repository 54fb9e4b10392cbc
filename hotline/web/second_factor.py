"""The second step of a staff sign-in: a TOTP code, or enrolment at the first sign-in (SPEC §9).

After a right password the browser holds only a *pending* sign-in (this user,
this epoch, for ten minutes); no page opens on it but these. A right code
turns it into a session; wrong codes count toward the account's lock-out like
wrong passwords.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import segno
from flask import current_app, redirect, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..db import get_session
from ..i18n import N_
from ..models import User
from ..services import second_factor
from . import bp
from .auth import counted_try, start_session
from .language import web_text as _

PENDING_FOR = timedelta(minutes=10)
T = TypeVar("T")
Page = str | Response | tuple[str, int]


def needs_second_step(user: User) -> bool:
    """Tell whether this sign-in goes on to a code (enrolled, or the program requires it)."""
    return user.totp_secret is not None or bool(current_app.config["HOTLINE_REQUIRE_MFA"])


def begin_second_step(user: User, target: str, now: datetime) -> Response:
    """Hold the sign-in as pending and send the browser to the code (or enrolment) form."""
    session.clear()
    session["pending_user"] = user.id
    session["pending_epoch"] = user.session_epoch
    session["pending_at"] = now.timestamp()
    session["pending_next"] = target
    return redirect(url_for("web.login_code" if user.totp_secret else "web.login_enrol"))


def pending_user(now: datetime) -> User | None:
    """Return the user of this browser's pending sign-in, if it is still good."""
    user_id, started = session.get("pending_user"), session.get("pending_at")
    if not isinstance(user_id, int) or not isinstance(started, float):
        return None
    if now.timestamp() - started > PENDING_FOR.total_seconds():
        return None
    user = get_session().get(User, user_id)
    if user is None or not user.active or session.get("pending_epoch") != user.session_epoch:
        return None
    return user


def second_step_page() -> str | None:
    """Return where a pending sign-in must go next (the only pages it opens), or None."""
    user = pending_user(datetime.now(UTC))
    if user is None:
        return None
    return url_for("web.login_code" if user.totp_secret else "web.login_enrol")


WRONG_CODE = N_("That code is not right (or was already used). Try the next one.")


def code_try(
    user: User, now: datetime, check: Callable[[], T | None]
) -> tuple[T | None, str | Markup | None]:
    """Run `check` as one counted try of this user's code; return its result, or what to say.

    Wrong codes count toward the lock-out with wrong passwords; a locked
    account or address is refused before its code is checked.
    """
    db = get_session()
    attempt = counted_try(db, user.email, request.remote_addr or "unknown", now)
    if isinstance(attempt, str):
        return None, _(attempt)
    result = check()
    attempt.succeeded = result is not None
    db.commit()  # also ends the hold the check took on the user's row
    return result, _(WRONG_CODE) if result is None else None


def finish(user: User) -> Response:
    """Turn the pending sign-in into a session and go where the sign-in was headed."""
    target = session.get("pending_next") or url_for("web.dashboard")
    start_session(user)
    return redirect(target)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Page:
    """Ask for the 6-digit code (or a recovery code) after a right password."""
    now = datetime.now(UTC)
    user = pending_user(now)
    if user is None:
        return redirect(url_for("web.login"))
    if user.totp_secret is None:
        return redirect(url_for("web.login_enrol"))
    error: str | Markup | None = None
    if request.method == "POST":
        code = request.form.get("code", "")
        kind, error = code_try(
            user, now, lambda: second_factor.check_code(get_session(), user, code, now)
        )
        if kind is not None:
            return finish(user)
    recovery = request.args.get("recovery") == "1"  # a form a phone can type letters into
    page = render_template("login_code.html", error=error, recovery=recovery)
    return (page, 401) if error else page


@bp.route("/login/enrol", methods=["GET", "POST"])
def login_enrol() -> Page:
    """Enrol an authenticator at the first sign-in: QR code, secret as text, one code."""
    now = datetime.now(UTC)
    user = pending_user(now)
    if user is None:
        return redirect(url_for("web.login"))
    if user.totp_secret is not None:
        return redirect(url_for("web.login_code"))
    # Kept in the signed session until a code proves it: nothing is saved before that.
    secret = session.get("enrol_secret")
    if not isinstance(secret, str):
        secret = second_factor.new_secret()
        session["enrol_secret"] = secret
    error: str | Markup | None = None
    if request.method == "POST":
        code = request.form.get("code", "")
        codes, error = code_try(
            user, now, lambda: second_factor.enrol(get_session(), user, secret, code, now)
        )
        if codes is not None:
            target = session.get("pending_next") or url_for("web.dashboard")
            start_session(user)
            # Shown once, never again: only their hashes are kept.
            return render_template("login_recovery.html", codes=codes, target=target)
        if second_factor.enrolled(user):  # another send of this form enrolled first
            return redirect(url_for("web.login_code"))
    address = second_factor.provisioning_address(user.email, secret)
    qr = segno.make(address, error="m").svg_data_uri(scale=5, border=2)
    page = render_template(
        "login_enrol.html", secret=second_factor.grouped(secret), qr=qr, error=error
    )
    return (page, 401) if error else page
