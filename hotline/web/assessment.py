"""The brief assessment form: the same schema and rules as the API (SPEC §6, §8)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ..audit import Actor
from ..db import get_session
from ..digits import ascii_number
from ..models import CLOSED_STATUSES, Assessment, Officer, Referral, User
from ..schemas.assessment import (
    AGE_RANGES,
    DISPOSITIONS,
    GENDERS,
    NEEDS,
    OFFENSES,
    RACE_ETHNICITIES,
    RISKS,
    AssessmentIn,
)
from ..services.assessments import latest_assessment, record_assessment
from ..services.errors import Conflict, DomainError
from ..services.participant_match import suggest
from ..services.people import first_error
from . import bp
from .assessment_words import EXCLUSION_WORDS
from .auth import current_user, requires, user_can
from .form_once import repeated_post
from .language import web_text as _
from .words import word


def why_not_assessable(referral: Referral) -> str | None:
    """Return why the viewer cannot save an assessment of `referral`, or None when they can."""
    if not user_can("work_referrals"):
        return _("Only coordinators and supervisors save an assessment.")
    if referral.status in CLOSED_STATUSES:
        return _(
            "#{n} is closed ({status}): its assessment can no longer change.",
            n=referral.id,
            status=word(referral.status),
        )
    return None


def known_offense(referral: Referral) -> str:
    """Return the offence the referral already tells: a social contact's is none; "" if unknown."""
    if referral.offense:
        return referral.offense
    return "none" if referral.type == "social_contact" else ""


def form_values() -> dict[str, Any]:
    """Read the posted form into the API's field shapes."""
    form = request.form
    optional = {
        key: (form.get(key) or "").strip() or None
        for key in ("age_range", "gender", "race_ethnicity", "notes")
    }
    return {
        "offense": form.get("offense", ""),
        "exclusions": form.getlist("exclusions"),
        "consent_confirmed": form.get("consent_confirmed") == "yes",
        "needs": form.getlist("needs"),
        "risks": form.getlist("risks"),
        "services": [
            line.strip() for line in form.get("services", "").splitlines() if line.strip()
        ],
        "disposition": form.get("disposition", ""),
        # The participant the coordinator picked from the suggestions; none: a new one.
        "participant_id": ascii_number(form.get("participant_id", "")),
        **optional,
    }


@bp.route("/referrals/<int:referral_id>/assessment", methods=["GET", "POST"])
@requires("read_referrals")
def assessment(referral_id: int) -> str | Response | tuple[str, int]:
    """Show or save the brief assessment; saving again keeps the earlier version."""
    session = get_session()
    referral = session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    latest, versions = latest_assessment(session, referral.id)
    # No offence preselected that nobody gave: the coordinator chooses, as for the disposition.
    values: dict[str, Any] = {"offense": known_offense(referral)}
    if latest is not None:
        values = {key: getattr(latest, key, None) for key in AssessmentIn.model_fields}
    errors: dict[str, str] = {}
    status = 422
    # The version the form was drawn from: a refused save keeps the one it was opened at,
    # so fixing an answer cannot save over a version someone saved meanwhile unseen.
    seen = versions
    if request.method == "POST":
        if not user_can("work_referrals"):
            abort(403)
        values = form_values()
        posted = ascii_number(request.form.get("version", ""))
        seen = versions if posted is None else posted
        user = current_user()
        assert user is not None
        try:
            if not values["disposition"]:  # no default: the coordinator chooses one
                raise DomainError(_("Choose a disposition."), "disposition")
            if not values["offense"]:
                raise DomainError(_("Choose the offence (none if there was none)."), "offense")
            data = AssessmentIn.model_validate(values)
            if repeated_post():  # a phone's retry: saved once, not refused as stale
                return redirect(url_for("web.referral", referral_id=referral.id))
            record_assessment(
                session,
                referral.id,
                data,
                Actor(user.id, "web"),
                datetime.now(UTC),
                current_app.config["HOTLINE_NUMBER"],
                after_version=posted,
            )
            session.commit()
        except ValidationError as error:
            field, message = first_error(error)
            errors[(field or "form").split(".")[0]] = message
        except Conflict as error:
            session.rollback()
            latest, versions = latest_assessment(session, referral.id)
            seen = versions  # said below: saving again is knowingly over it
            errors["form"] = (
                _stale_words(session, latest)
                if error.field == "version"
                # Closed meanwhile: the status in words, as the page says it, not its code.
                else _("Nothing was saved:") + " " + (why_not_assessable(referral) or error.message)
            )
            status = 409
        except DomainError as error:
            session.rollback()
            errors[error.field or "form"] = error.message
        else:
            urgent = {"self_harm", "medical_emergency"} & set(values["risks"])
            if urgent:
                flash(_("Assessment saved. Immediate risk: call 911 now if you have not."))
            else:
                flash(_("Assessment saved."))
            return redirect(url_for("web.referral", referral_id=referral.id))
    page = render_template(
        "assessment.html",
        referral=referral,
        values=values,
        errors=errors,
        # The form is drawn to read, without Save, where saving would be refused.
        refusal=why_not_assessable(referral),
        versions=versions,
        seen=seen,
        needs=NEEDS,
        risks=RISKS,
        offenses=OFFENSES,
        dispositions=DISPOSITIONS,
        exclusions=EXCLUSION_WORDS,
        choices={"age_range": AGE_RANGES, "gender": GENDERS, "race_ethnicity": RACE_ETHNICITIES},
        officer=session.get(Officer, referral.officer_id) if referral.officer_id else None,
        # Who this person may already be (SPEC §6): the coordinator picks, or a new one is made.
        suggestions=suggest(session, referral.participant_name)
        if referral.participant_name and referral.participant_id is None
        else [],
    )
    return (page, status) if errors else page


def _stale_words(session: Session, latest: Assessment | None) -> str:
    """Say who saved the assessment while this form was open, and what to do now."""
    author = session.get(User, latest.completed_by) if latest is not None else None
    return _(
        "Version {version} was saved meanwhile by {name}: nothing of yours was saved. "
        "Your answers are below: check them against it, then save again.",
        version=latest.version if latest is not None else 0,
        name=author.name if author is not None else _("someone"),
    )
