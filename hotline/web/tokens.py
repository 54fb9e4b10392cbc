"""API tokens (supervisors): create one for a user, shown once; list and revoke them."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from ..audit import record
from ..db import get_session
from ..digits import ascii_number
from ..models import ApiToken, User
from ..services.tokens import create_token as new_token
from ..statements import updated_one_row
from . import bp
from .auth import requires
from .form_fields import MAX_ID
from .language import web_text as _
from .people import Page, actor
from .people_forms import row_or_404


def tokens_page(status: int = 200, error: str | None = None, chosen: str = "") -> Page:
    """Render the token list with the form that creates one."""
    db = get_session()
    rows = db.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all()
    users = db.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    page = render_template("tokens.html", tokens=rows, users=users, error=error, chosen=chosen)
    return page, status


@bp.get("/people/tokens")
@requires("edit_program")
def tokens() -> Page:
    """List API tokens: whose, when created, when revoked (never the token itself)."""
    return tokens_page()


@bp.post("/people/tokens")
@requires("edit_program")
def create_token() -> Page | Response:
    """Create a token for a user and show it this once."""
    chosen = request.form.get("user_id", "")
    db = get_session()
    user_id = ascii_number(chosen, max_digits=10)
    owner = db.get(User, user_id) if user_id is not None and 0 < user_id <= MAX_ID else None
    if owner is None or not owner.active:
        return tokens_page(422, _("Choose an active person."), chosen)
    token = new_token(db, owner, datetime.now(UTC), actor())
    db.commit()
    answer = make_response(render_template("token_created.html", owner=owner, token=token))
    # The token is in this page alone: no cache, no back-button copy.
    answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.post("/people/tokens/<int:token_id>/revoke")
@requires("edit_program")
def revoke_token(token_id: int) -> Response:
    """Revoke a token: the API refuses it from now on."""
    db = get_session()
    row = row_or_404(db, ApiToken, token_id)
    now = datetime.now(UTC)
    # Conditional, so that of two revocations at once only one is recorded.
    revoked = db.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if not updated_one_row(revoked):
        flash(_("Token {n} was already revoked.", n=token_id))
        return redirect(url_for("web.tokens"))
    before = {"user_id": row.user_id, "revoked_at": None}
    after = {"user_id": row.user_id, "revoked_at": now.isoformat()}
    record(db, actor(), now, "revoke", "api_token", row.id, before, after)
    owner = row.user.name
    db.commit()
    flash(_("Revoked token {n} of {owner}.", n=token_id, owner=owner))
    return redirect(url_for("web.tokens"))
