"""People: coordinators and supervisors, with the officer roster and API tokens beside them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ..audit import Actor
from ..db import get_session
from ..jobs import check_coverage_if_changed
from ..models import Officer, Rotation, RotationParticipant, User
from ..permissions import can, holders
from ..schemas.people import UserCreate, UserPatch
from ..services import people
from ..services.departed_holders import open_held_by
from ..services.errors import DomainError
from ..services.second_factor import reset_factor
from . import bp
from .auth import current_user, login_required, requires, start_session
from .form_once import repeated_post
from .language import web_text as _
from .people_forms import (
    Errors,
    changed_on_the_page,
    check,
    commit_or_conflict,
    domain_status,
    drawn_on_the_page,
    password_hash,
    row_or_404,
    sentence,
)

Page = tuple[str, int]
USER_FIELDS = ("name", "email", "phone", "role", "language")
# Where a page opens after a form below the fold was saved: at its top, where "Added …" is said.
# Without a place of its own the redirect keeps the form's (#add-person), at the emptied form.
AT_THE_TOP = "main"


def actor() -> Actor:
    """Return the signed-in user as the audit actor of a web change."""
    user = current_user()
    return Actor(user.id if user else None, "web")


def gap_risks(session: Session) -> dict[int, list[str]]:
    """Return the rotations each person who takes no calls is still listed in, by user id.

    Deactivated, or moved to a role that is not on call: either way their turns are gaps.
    """
    rows = session.execute(
        select(RotationParticipant.user_id, Rotation.name)
        .join(Rotation, Rotation.id == RotationParticipant.rotation_id)
        .join(User, User.id == RotationParticipant.user_id)
        .where(or_(User.active.is_(False), User.role.not_in(holders("take_calls"))))
        .distinct()
    )
    risks: dict[int, list[str]] = defaultdict(list)
    for user_id, name in rows:
        risks[user_id].append(name)
    return {user_id: sorted(names) for user_id, names in risks.items()}


def people_page(status: int = 200, **context: Any) -> Page:
    """Render /people; `context` carries a form's values and errors back to it."""
    db = get_session()
    page: dict[str, Any] = {
        "user_form": {"role": "coordinator"},
        "user_errors": {},
        "officer_form": {},
        "officer_errors": {},
        "import_report": None,
        "import_error": None,
    }
    page.update(context)
    return render_template(
        "people.html",
        users=db.scalars(select(User).order_by(User.active.desc(), User.name, User.id)).all(),
        officers=db.scalars(select(Officer).order_by(Officer.name, Officer.id)).all(),
        gap_risks=gap_risks(db),
        **page,
    ), status


def user_form() -> dict[str, str]:
    """Return the posted user fields, as typed."""
    form = {name: request.form.get(name, "") for name in USER_FIELDS}
    if not form["language"]:
        del form["language"]  # the program's when new, unchanged when edited
    return form


def commit_user_change(db: Session, errors: Errors) -> int | None:
    """Commit a user change, then check coverage; return an error status on a late clash."""
    clash = commit_or_conflict(db, "email")
    if clash is not None:
        return domain_status(clash, errors)
    check_coverage_if_changed(current_app, db, datetime.now(UTC))
    return None


def left_to_take(db: Session, row: User, could_work: bool) -> str:
    """Say how many open referrals someone who just stopped working referrals holds, if any."""
    held = 0 if not could_work or can(row, "work_referrals") else open_held_by(db, row.id)
    if held == 0:
        return ""
    if held == 1:
        return " " + _(
            "They held 1 open referral: it is listed on the dashboard for someone to take over."
        )
    return " " + _(
        "They held {count} open referrals: these are listed on the dashboard for someone to "
        "take over.",
        count=held,
    )


@bp.get("/people", endpoint="people")
@login_required
def people_list() -> Page:
    """List coordinators, supervisors and officers."""
    return people_page()


@bp.post("/people/users")
@requires("edit_program")
def add_user() -> Page | Response:
    """Add a coordinator or supervisor."""
    values = user_form()
    data, errors = check(UserCreate, dict(values))
    hashed = password_hash(request.form.get("password", ""), errors)
    if data is None or errors:
        return people_page(422, user_form=values, user_errors=errors)
    if repeated_post():  # a phone's retry: the person is there, not an "email already used"
        return redirect(url_for("web.people", _anchor=AT_THE_TOP))
    db = get_session()
    try:
        row = people.create_user(db, data, actor(), datetime.now(UTC), hashed)
    except DomainError as error:
        db.rollback()
        return people_page(domain_status(error, errors), user_form=values, user_errors=errors)
    name = row.name
    status = commit_user_change(db, errors)
    if status is not None:
        return people_page(status, user_form=values, user_errors=errors)
    flash(_("Added {name}.", name=name))
    return redirect(url_for("web.people", _anchor=AT_THE_TOP))


def person_page(row: User, status: int = 200, **context: Any) -> Page:
    """Render one user's page, with the edit form for supervisors."""
    form = {name: getattr(row, name) for name in USER_FIELDS}
    form["active"] = row.active
    page: dict[str, Any] = {"form": form, "errors": {}}
    page.update(context)
    risks = gap_risks(get_session()).get(row.id, [])
    return render_template("person.html", person=row, risks=risks, **page), status


def user_or_404(user_id: int) -> User:
    """Return a user or end the request with 404."""
    return row_or_404(get_session(), User, user_id)


@bp.get("/people/users/<int:user_id>")
@login_required
def user(user_id: int) -> Page:
    """Show one coordinator or supervisor (editable by supervisors)."""
    return person_page(user_or_404(user_id))


@bp.post("/people/users/<int:user_id>")
@requires("edit_program")
def edit_user(user_id: int) -> Page | Response:
    """Change a user's name, email, phone, role, active flag or password."""
    row = user_or_404(user_id)
    values: dict[str, Any] = user_form()
    values["active"] = request.form.get("active") == "on"
    data, errors = check(UserPatch, dict(values))
    hashed = password_hash(request.form.get("password", ""), errors)
    for field_name, problem in people.own_lockout(people.user_fields(row), values, actor()).items():
        errors[field_name] = sentence(problem)
    if data is None or errors:
        return person_page(row, 422, form=values, errors=errors)
    if repeated_post():  # a phone's retry: the first was saved, not "nothing changed"
        return redirect(url_for("web.people"))
    db = get_session()
    now = datetime.now(UTC)
    could_work = can(row, "work_referrals")
    current = people.user_fields(row)
    changed = changed_on_the_page(
        data.model_dump(exclude_unset=True), current, drawn_on_the_page(USER_FIELDS)
    )
    try:
        if changed:
            people.update_user(db, row.id, UserPatch.model_construct(**changed), actor(), now)
    except DomainError as error:
        db.rollback()
        return person_page(row, domain_status(error, errors), form=values, errors=errors)
    if hashed is not None:
        people.set_password(db, row, hashed, actor(), now)
    name = row.name
    status = commit_user_change(db, errors)
    if status is not None:
        return person_page(user_or_404(user_id), status, form=values, errors=errors)
    if hashed is not None and user_id == actor().user_id:
        start_session(user_or_404(user_id))  # a new password ends the other sessions, not this one
    flash(
        _("Saved {name}.", name=name) + left_to_take(db, row, could_work)
        if changed or hashed
        else _("Nothing changed for {name}.", name=name)
    )
    return redirect(url_for("web.people"))


def set_active(user_id: int, active: bool) -> Response:
    """Deactivate or reactivate a user, then check coverage for new gaps."""
    row = user_or_404(user_id)
    if row.active == active:
        flash(
            _("{name} is already active.", name=row.name)
            if active
            else _("{name} is already inactive.", name=row.name)
        )
    else:
        db = get_session()
        name, could_work = row.name, can(row, "work_referrals")
        try:
            people.update_user(db, row.id, UserPatch(active=active), actor(), datetime.now(UTC))
        except DomainError as error:
            db.rollback()
            flash(_("{name} was not changed: {why}.", name=name, why=error.message))
            return redirect(url_for("web.people"))
        commit_user_change(db, {})
        flash(
            _("Reactivated {name}.", name=name)
            if active
            else _("Deactivated {name}.", name=name) + left_to_take(db, row, could_work)
        )
    return redirect(url_for("web.people"))


@bp.post("/people/users/<int:user_id>/deactivate")
@requires("edit_program")
def deactivate_user(user_id: int) -> Response:
    """Take a user off every rotation's turns and out of sign-in."""
    return set_active(user_id, False)


@bp.post("/people/users/<int:user_id>/reactivate")
@requires("edit_program")
def reactivate_user(user_id: int) -> Response:
    """Let a deactivated user be on call and sign in again."""
    return set_active(user_id, True)


@bp.post("/people/users/<int:user_id>/reset-mfa")
@requires("edit_program")
def reset_second_factor(user_id: int) -> Response:
    """Remove a user's second factor (a lost phone): they enrol again at sign-in; audited."""
    row = user_or_404(user_id)
    db = get_session()
    reset_factor(db, row, actor(), datetime.now(UTC))
    db.commit()
    flash(_("{name} sets up a new second factor at their next sign-in.", name=row.name))
    return redirect(url_for("web.user", user_id=row.id))


# The officer roster and API tokens live on /people too; importing registers their routes.
from . import roster, tokens  # noqa: E402, F401
