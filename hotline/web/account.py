"""A signed-in person's own password: changed on the web, not only by a supervisor or the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from ..audit import Actor
from ..db import get_session
from ..services import people
from . import bp
from .auth import counted_try, current_user, login_required, start_session
from .language import web_text as _
from .people_forms import MIN_PASSWORD_LENGTH, Errors, password_hash

Page = tuple[str, int]


def password_page(status: int = 200, errors: Errors | None = None) -> Page:
    """Render the form (a refused one with its fields marked; passwords are never shown again)."""
    page = render_template(
        "account_password.html", errors=errors or {}, min_length=MIN_PASSWORD_LENGTH
    )
    return page, status


@bp.get("/account/password")
@login_required
def own_password() -> Page:
    """Offer to change the signed-in person's password."""
    return password_page()


@bp.post("/account/password")
@login_required
def change_own_password() -> Page | Response:
    """Change one's own password: the current one first, counted as a sign-in try."""
    user = current_user()
    assert user is not None  # login_required
    if user.password_hash is None:  # single sign-on only: the page says so, and has no form
        return password_page(409)
    db, now = get_session(), datetime.now(UTC)
    errors: Errors = {}
    new = request.form.get("new_password", "")
    if not new:
        errors["new_password"] = _("Type the new password.")
    hashed = password_hash(new, errors, "new_password")
    if hashed is not None and request.form.get("new_password_again", "") != new:
        errors["new_password_again"] = _("The two new passwords differ: type it again.")
    # Counted as a sign-in: a borrowed session may not try passwords past the lock-out.
    attempt = counted_try(db, user.email, request.remote_addr or "unknown", now)
    if isinstance(attempt, str):
        errors = {"form": _(attempt)}
    elif check_password_hash(user.password_hash, request.form.get("current_password", "")):
        attempt.succeeded = True  # a new password refused is no failed sign-in
        db.commit()
    else:
        errors["current_password"] = _("This is not your current password.")
    if errors or hashed is None:
        return password_page(422, errors)
    people.set_password(db, user, hashed, Actor(user.id, "web"), now)
    db.commit()
    start_session(user)  # the new password ends the other sign-ins, not this one
    flash(_("Your password is changed. You are still signed in here; elsewhere, sign in again."))
    return redirect(url_for("web.dashboard"))
