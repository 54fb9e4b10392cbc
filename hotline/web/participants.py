"""Participants in the web app: the caseload, one participant's record, the prosecutor's view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..db import get_session
from ..models import Consent, Contact, Officer, Participant, PlanEntry, Referral, User
from ..permissions import holders
from ..schemas.participants import ParticipantIn, ParticipantPatch
from ..services import participant_views as views
from ..services import participants
from ..services.errors import DomainError
from ..services.participant_match import suggest
from ..services.providers import list_providers
from . import bp
from .auth import current_user, requires, user_can
from .form_once import form_used, repeated_post
from .language import web_text
from .participant_forms import checked, form_values
from .people import actor
from .people_forms import Errors, domain_status, row_or_404

Page = tuple[str, int]
PARTICIPANT_FIELDS = ("name", "aliases", "date_of_birth", "case_manager_id")


def now() -> datetime:
    return datetime.now(UTC)


def caseload_rows(rows: list[Participant], at: datetime) -> list[dict[str, Any]]:
    """Return each participant with when they were last seen and what is planned, not started."""
    session = get_session()
    ids = [row.id for row in rows]
    seen: dict[int, datetime] = {}
    for model, column in ((Contact, Contact.at), (Referral, Referral.created_at)):
        query = select(model.participant_id, func.max(column)).where(model.participant_id.in_(ids))
        for participant_id, last in session.execute(query.group_by(model.participant_id)):
            if participant_id is not None and (
                participant_id not in seen or last > seen[participant_id]
            ):
                seen[participant_id] = last
    waiting = dict(
        session.execute(
            select(PlanEntry.participant_id, func.count())
            .where(PlanEntry.participant_id.in_(ids), PlanEntry.status == "planned")
            .group_by(PlanEntry.participant_id)
        ).all()
    )
    rows_out: list[dict[str, Any]] = [
        {"row": row, "seen": seen.get(row.id), "planned": waiting.get(row.id, 0)} for row in rows
    ]
    # Who has gone longest without being seen comes first: that is who to look for.
    rows_out.sort(key=lambda item: item["seen"] or datetime.min.replace(tzinfo=UTC))
    return rows_out


def case_managers() -> list[User]:
    """Return the active case managers, by name."""
    roles = holders("keep_caseload")
    statement = select(User).where(User.role.in_(roles), User.active.is_(True))
    return list(get_session().scalars(statement.order_by(User.name)))


def list_page(
    status: int = 200,
    form: dict[str, Any] | None = None,
    errors: Errors | None = None,
    matches: list[Participant] | None = None,
) -> Page:
    """Render the participants page: the caseload first for a case manager.

    `?status=exited` lists those who left instead, so one met again can be found
    and their page opened to record that they are back.
    """
    session, user, at = get_session(), current_user(), now()
    assert user is not None
    if not user_can("read_participants"):
        seen = views.prosecutor_list(session, actor(), at)
        session.commit()  # each disclosure stays recorded
        return render_template("prosecutor_view.html", participants=seen), status
    showing_exited = request.args.get("status") == "exited"
    rows = [] if showing_exited else participants.list_participants(session, status="active")
    mine = [row for row in rows if row.case_manager_id == user.id]
    return (
        render_template(
            "participants.html",
            caseload=caseload_rows(mine, at) if user_can("keep_caseload") else [],
            everyone=caseload_rows(rows, at),
            exited=participants.list_participants(session, status="exited")
            if showing_exited
            else None,
            exited_count=participants.count_participants(session, "exited"),
            managers=case_managers(),
            names={u.id: u.name for u in session.scalars(select(User))},
            form=form or {},
            errors=errors or {},
            matches=matches or [],
            now=at,
        ),
        status,
    )


@bp.get("/participants")
@requires("see_participants")
def participants_page() -> Page:
    """List participants (a prosecutor: only those whose consent lets them see)."""
    return list_page()


@bp.post("/participants")
@requires("write_participants")
def add_participant() -> Page | Response:
    """Add a participant by hand, once any likely match shown has been ruled out."""
    values = form_values(*PARTICIPANT_FIELDS)
    data, errors = checked(ParticipantIn, values)
    if data is None:
        return list_page(422, request_form(), errors)
    session = get_session()
    if form_used():  # a phone's retry: the one its first post added is no likely match
        return redirect(url_for("web.participants_page"))
    if not request.form.get("add_anyway"):
        # As the assessment does: who they may already be, before a second record of them.
        found = [row for row, _score in suggest(session, data.name, data.date_of_birth)]
        if found:
            return list_page(200, request_form(), matches=found)
    if repeated_post():
        return redirect(url_for("web.participants_page"))
    try:
        row = participants.create_participant(session, data, actor(), now())
    except DomainError as error:
        session.rollback()
        return list_page(domain_status(error, errors), request_form(), errors)
    session.commit()
    flash(web_text("Added {name}.", name=row.name))
    return redirect(url_for("web.participant", participant_id=row.id))


def request_form() -> dict[str, Any]:
    """Return the posted participant form as typed, to show it again."""
    return {name: request.form.get(name, "") for name in PARTICIPANT_FIELDS}


def record_page(row: Participant, status: int = 200, errors: Errors | None = None) -> Page:
    """Render one participant's whole record, with the forms the viewer may use."""
    session = get_session()
    detail = views.participant_detail(session, row)
    consents = session.scalars(select(Consent).where(Consent.participant_id == row.id))
    return (
        render_template(
            "participant.html",
            participant=row,
            detail=detail,
            # Expired, or given from a later day: listed, not revoked, and sharing nothing.
            in_force={c.id for c in consents if participants.is_current(c, now())},
            managers=case_managers(),
            providers=list_providers(session),
            officers=list(
                session.scalars(
                    select(Officer).where(Officer.active.is_(True)).order_by(Officer.name)
                )
            ),
            names={u.id: u.name for u in session.scalars(select(User))},
            errors=errors or {},
            # A refused form comes back as typed: `failed` names it, `typed` holds its values.
            failed=request.endpoint if errors else None,
            typed=request.form,
        ),
        status,
    )


def unchanged_on_the_page(names: tuple[str, ...]) -> list[str]:
    """Return the posted fields left as the page showed them (its `was_` twins say how)."""
    form = request.form
    return [
        name
        for name in names
        if f"was_{name}" in form
        and form.get(name, "").strip() == form.get(f"was_{name}", "").strip()
    ]


@bp.get("/participants/<int:participant_id>")
@requires("see_participants")
def participant(participant_id: int) -> Page:
    """Show a participant: the whole record, or to a prosecutor the status-only view."""
    session = get_session()
    if not user_can("read_participants"):
        try:
            seen = views.prosecutor_view(session, participant_id, actor(), now())
        except DomainError:
            abort(404)
        session.commit()
        return render_template("prosecutor_view.html", participants=[seen], one=True), 200
    return record_page(row_or_404(session, Participant, participant_id))


@bp.post("/participants/<int:participant_id>")
@requires("write_participants")
def edit_participant(participant_id: int) -> Page | Response:
    """Change a participant's name, aliases, birth date, status or case manager."""
    session = get_session()
    row = row_or_404(session, Participant, participant_id)
    values = form_values(*PARTICIPANT_FIELDS, "status")
    values.setdefault("case_manager_id", None)  # "nobody" clears it
    values.setdefault("date_of_birth", None)
    for name in unchanged_on_the_page((*PARTICIPANT_FIELDS, "status")):
        values.pop(name, None)  # someone may have changed it since: theirs stands
    data, errors = checked(ParticipantPatch, values)
    if data is None:
        return record_page(row, 422, errors)
    try:
        participants.update_participant(session, row.id, data, actor(), now())
    except DomainError as error:
        session.rollback()
        return record_page(row, domain_status(error, errors), errors)
    session.commit()
    flash(web_text("Saved."))
    return redirect(url_for("web.participant", participant_id=row.id))
