"""The referral page's completion form: what a call left blank (SPEC §6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from ..audit import Actor
from ..db import get_session
from ..i18n import N_
from ..models import CLOSED_STATUSES, Referral, User
from ..permissions import can
from ..schemas.referrals import ReferralCompletionIn
from ..services.completion import MISSING_WORDS, complete_referral, missing_fields
from ..services.errors import DomainError
from ..services.people import first_error
from . import bp
from .auth import current_user, requires
from .language import web_text as _
from .referrals import referral as referral_page

TYPES = {"arrest_diversion": N_("Arrest diversion"), "social_contact": N_("Social contact")}
OFFENSES = {
    "possession": N_("Possession"),
    "subsistence_sale": N_("Subsistence sale"),
    "sex_work": N_("Sex work"),
    "other": N_("Other low-level"),
}


def may_complete(user: User | None, referral: Referral) -> bool:
    """Return whether `user` may complete `referral` now: staff who take calls, while open."""
    return can(user, "work_referrals") and referral.status not in CLOSED_STATUSES


def completion_for(referral: Referral) -> dict[str, Any]:
    """Return what the completion partial shows: may the viewer fill it in, what is missing."""
    missing = missing_fields(referral)
    return {
        "allowed": may_complete(current_user(), referral),
        "missing": [_(MISSING_WORDS[name]) for name in missing],
        "values": getattr(g, "completion_values", None) or {},
        "errors": getattr(g, "completion_errors", None) or {},
        "types": {key: _(words) for key, words in TYPES.items()},
        "offenses": {key: _(words) for key, words in OFFENSES.items()},
    }


@bp.app_context_processor
def completion_context() -> dict[str, Any]:
    """Let the referral page's partial ask for its form state."""
    return {"completion_for": completion_for}


def form_values() -> dict[str, Any]:
    """Read the posted form into the API's field shapes; blanks mean unchanged."""
    form = request.form
    values: dict[str, Any] = {
        key: (form.get(key) or "").strip() or None
        for key in ("type", "offense", "participant_name", "location")
    }
    if values["type"] == "social_contact":
        # A left-over offense radio must not block a switch to social contact at 3 a.m.:
        # the service clears the offense of a social contact anyway.
        values["offense"] = None
    values["consent"] = True if form.get("consent") == "yes" else None
    return values


@bp.post("/referrals/<int:referral_id>/completion")
@requires("work_referrals")
def complete(referral_id: int) -> Response | tuple[str, int]:
    """Save the completion form; on a bad value show the page again with the error."""
    session = get_session()
    referral = session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    user = current_user()
    assert user is not None
    values = form_values()
    try:
        data = ReferralCompletionIn.model_validate(values)
        complete_referral(session, referral.id, data, Actor(user.id, "web"), datetime.now(UTC))
        session.commit()
    except ValidationError as error:
        field, message = first_error(error)
        g.completion_errors = {(field or "form").split(".")[0]: message}
    except DomainError as error:
        session.rollback()
        g.completion_errors = {error.field or "form": error.message}
    else:
        flash(_("#{n} saved.", n=referral.id))
        return redirect(url_for("web.referral", referral_id=referral.id))
    g.completion_values = values
    return referral_page(referral.id), 422
