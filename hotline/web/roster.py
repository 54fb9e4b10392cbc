"""The officer roster on /people: add one officer, import a CSV, correct an entry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..db import get_session
from ..models import Officer
from ..schemas.people import OfficerCreate, OfficerPatch
from ..services import people, roster_import
from ..services.errors import DomainError
from . import bp
from .auth import login_required, requires
from .form_once import repeated_post
from .language import web_text as _
from .people import AT_THE_TOP, Page, actor, people_page
from .people_forms import (
    changed_on_the_page,
    check,
    commit_or_conflict,
    domain_status,
    drawn_on_the_page,
    row_or_404,
    sentence,
)

OFFICER_FIELDS = ("name", "badge", "agency", "phone", "language")


def officer_form() -> dict[str, str]:
    """Return the posted officer fields, as typed."""
    form = {name: request.form.get(name, "") for name in OFFICER_FIELDS}
    if not form["language"]:
        del form["language"]  # the program's when new, unchanged when edited
    return form


@bp.post("/people/officers")
@requires("edit_program")
def add_officer() -> Page | Response:
    """Add an officer to the roster."""
    values = officer_form()
    data, errors = check(OfficerCreate, dict(values))
    if data is None:
        return people_page(422, officer_form=values, officer_errors=errors)
    if repeated_post():  # a phone's retry: the officer is there, not a "badge already used"
        return redirect(url_for("web.people"))
    db = get_session()
    try:
        row = people.create_officer(db, data, actor(), datetime.now(UTC))
        name = row.name
        clash = commit_or_conflict(db, "badge")
        if clash is not None:
            raise clash
    except DomainError as error:
        db.rollback()
        status = domain_status(error, errors)
        return people_page(status, officer_form=values, officer_errors=errors)
    flash(_("Added Officer {name}.", name=name))
    return redirect(url_for("web.people", _anchor=AT_THE_TOP))


@bp.post("/people/officers/import")
@requires("edit_program")
def import_officers() -> Page | Response:
    """Import a roster CSV (name,badge,agency,phone): keep the good rows, list the bad."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return people_page(422, import_error=_("Choose a CSV file to import."))
    try:
        text = roster_import.roster_text(upload.read())
    except DomainError as error:
        return people_page(422, import_error=sentence(error.message))
    if repeated_post():  # a phone's retry: every row would be refused as already used
        return redirect(url_for("web.people"))
    db = get_session()
    region = current_app.config["HOTLINE_DEFAULT_REGION"]
    language = current_app.config["HOTLINE_LANGUAGE"]
    report = roster_import.import_officers(db, text, region, actor(), datetime.now(UTC), language)
    db.commit()
    added = report.imported or report.reactivated
    return people_page(200 if added or not report.errors else 422, import_report=report)


def officer_or_404(officer_id: int) -> Officer:
    """Return an officer or end the request with 404."""
    return row_or_404(get_session(), Officer, officer_id)


def officer_page(row: Officer, status: int = 200, **context: Any) -> Page:
    """Render one officer's page, with the edit form for supervisors."""
    page: dict[str, Any] = {"form": {n: getattr(row, n) for n in OFFICER_FIELDS}, "errors": {}}
    page.update(context)
    return render_template("officer.html", officer=row, **page), status


@bp.get("/people/officers/<int:officer_id>")
@login_required
def officer(officer_id: int) -> Page:
    """Show one officer of the roster (editable by supervisors)."""
    return officer_page(officer_or_404(officer_id))


@bp.post("/people/officers/<int:officer_id>")
@requires("edit_program")
def edit_officer(officer_id: int) -> Page | Response:
    """Correct an officer's name, badge, agency or phone."""
    row = officer_or_404(officer_id)
    values = officer_form()
    data, errors = check(OfficerPatch, dict(values))
    if data is None:
        return officer_page(row, 422, form=values, errors=errors)
    if repeated_post():  # a phone's retry: the first was saved, not "nothing changed"
        return redirect(url_for("web.people"))
    db = get_session()
    current = people.officer_fields(row)
    drawn = drawn_on_the_page(OFFICER_FIELDS)  # so a stale page never undoes a newer change
    changed = changed_on_the_page(data.model_dump(exclude_unset=True), current, drawn)
    try:
        if changed:
            patch = OfficerPatch.model_construct(**changed)
            people.update_officer(db, row.id, patch, actor(), datetime.now(UTC))
        clash = commit_or_conflict(db, "badge")
        if clash is not None:
            raise clash
    except DomainError as error:
        db.rollback()
        status = domain_status(error, errors)
        return officer_page(officer_or_404(officer_id), status, form=values, errors=errors)
    flash(
        _("Saved Officer {name}.", name=row.name)
        if changed
        else _("Nothing changed for {name}.", name=row.name)
    )
    return redirect(url_for("web.people"))


def set_on_roster(officer_id: int, active: bool) -> Page | Response:
    """Take an officer off the roster, or put them back, and say so."""
    row = officer_or_404(officer_id)
    name = row.name
    if row.active != active:
        db = get_session()
        patch = OfficerPatch(active=active)
        try:
            people.update_officer(db, row.id, patch, actor(), datetime.now(UTC))
        except DomainError as error:  # their phone was handed on: give them another first
            db.rollback()
            errors: dict[str, str] = {}
            status = domain_status(error, errors)
            return officer_page(officer_or_404(officer_id), status, errors=errors)
        db.commit()
    flash(
        _("{name} is on the roster.", name=name)
        if active
        else _("{name} left the roster: their phone and badge now name nobody.", name=name)
    )
    return redirect(url_for("web.people"))


@bp.post("/people/officers/<int:officer_id>/deactivate")
@requires("edit_program")
def deactivate_officer(officer_id: int) -> Page | Response:
    """Take an officer who left off the roster: their phone and badge are a stranger's."""
    return set_on_roster(officer_id, False)


@bp.post("/people/officers/<int:officer_id>/reactivate")
@requires("edit_program")
def reactivate_officer(officer_id: int) -> Page | Response:
    """Put an officer back on the roster."""
    return set_on_roster(officer_id, True)
