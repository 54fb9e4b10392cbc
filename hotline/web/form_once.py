"""A web form counts once: each form drawn carries a one-time token (SPEC §9 forms).

A phone on a weak connection sends a form again when the first answer is slow;
the second post finds its token taken and changes nothing: no second charge,
override or note, no second text to a case manager. The token is stored with
the change, in the same transaction, so a post that failed leaves it unused.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import flash, request
from markupsafe import Markup
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db import get_session
from ..i18n import N_
from ..models import FormPost
from ..statements import insert_unless_present
from .auth import current_user
from .language import web_text

FIELD = "form_once"
# Long enough for any retry; the table holds only the last days' posts.
KEPT_FOR = timedelta(days=2)
ALREADY_SENT = N_("That form had been sent already: it was saved once, and nothing changed now.")


def form_once() -> Markup:
    """Return the hidden field that makes the form it is drawn in count once."""
    token = secrets.token_urlsafe(16)
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token)


def sent_before(session: Session, user_id: int, now: datetime) -> bool:
    """Tell whether this post's form was sent before (and say so); else count it as sent.

    A post without a token (a script, an older page) is taken as it comes.
    """
    token = request.form.get(FIELD, "")
    if not token or len(token) > 64:
        return False
    session.execute(delete(FormPost).where(FormPost.at < now - KEPT_FOR))
    values = {"user_id": user_id, "token": token, "at": now}
    if insert_unless_present(session, FormPost, values) is not None:
        return False
    flash(web_text(ALREADY_SENT))
    return True


def repeated_post() -> bool:
    """Tell whether the form just posted by the signed-in user was sent before."""
    user = current_user()
    return user is not None and sent_before(get_session(), user.id, datetime.now(UTC))


def form_used() -> bool:
    """Tell whether the form just posted was applied before (and say so), without counting it.

    For a post about to be refused: a retry is refused by its first post's own effect.
    """
    user, token = current_user(), request.form.get(FIELD, "")
    if user is None or not token or len(token) > 64:
        return False
    mine = (FormPost.user_id == user.id) & (FormPost.token == token)
    if get_session().scalar(select(FormPost.id).where(mine)) is None:
        return False
    flash(web_text(ALREADY_SENT))
    return True
