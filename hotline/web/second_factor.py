"""The second step of a staff sign-in: a TOTP code, or enrolment at the first sign-in (SPEC §9).

After a right password the browser holds only a *pending* sign-in (this user,
this epoch, for ten minutes); no page opens on it but these. A right code
turns it into a session; wrong codes count toward the account's lock-out like
wrong passwords.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import segno
from flask import current_app, redirect, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..db import get_session
from ..models import User
from ..services import second_factor
from . import bp
from .auth import ACCOUNT_FAILURES, ACCOUNT_LOCKED, locked_out, record_attempt, start_session
from .language import web_text as _

PENDING_FOR = timedelta(minutes=10)
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


def refuse(user: User, now: datetime) -> str | Markup:
    """Count a wrong code toward the lock-out; return what to say."""
    record_attempt(get_session(), user.email, request.remote_addr or "unknown", now, False)
    return _("That code is not right (or was already used). Try the next one.")


def locked(user: User, now: datetime) -> bool:
    """Tell whether the account is locked by failed passwords and codes together."""
    return locked_out(get_session(), now, ACCOUNT_FAILURES, email=user.email)


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
    db = get_session()
    if request.method == "POST":
        if locked(user, now):
            error = _(ACCOUNT_LOCKED)
        elif second_factor.check_code(db, user, request.form.get("code", ""), now) is not None:
            db.commit()
            return finish(user)
        else:
            error = refuse(user, now)
    page = render_template("login_code.html", error=error)
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
        if locked(user, now):
            error = _(ACCOUNT_LOCKED)
        else:
            db = get_session()
            codes = second_factor.enrol(db, user, secret, request.form.get("code", ""), now)
            if codes is not None:
                db.commit()
                target = session.get("pending_next") or url_for("web.dashboard")
                start_session(user)
                # Shown once, never again: only their hashes are kept.
                return render_template("login_recovery.html", codes=codes, target=target)
            error = refuse(user, now)
    address = second_factor.provisioning_address(user.email, secret)
    qr = segno.make(address, error="m").svg_data_uri(scale=5, border=2)
    page = render_template(
        "login_enrol.html", secret=second_factor.grouped(secret), qr=qr, error=error
    )
    return (page, 401) if error else page
