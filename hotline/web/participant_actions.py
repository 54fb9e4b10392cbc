"""The participant page's forms: consents, the service plan, charges and officers' contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..db import get_session
from ..digits import ascii_number
from ..i18n import N_
from ..models import Officer, Participant, PlanEntry
from ..schemas.participants import ChargeIn, ConsentIn, PlanEntryIn, PlanEntryPatch
from ..services import participant_views as views
from ..services import participants, service_plan
from ..services.errors import DomainError
from ..services.recontact import Disclosed, contact_with
from . import bp, program_zone
from .auth import current_user, requires, user_can
from .form_once import form_used, repeated_post
from .language import web_text
from .participant_forms import checked, form_values
from .participants import Page, record_page
from .people import actor
from .people_forms import domain_status, row_or_404
from .timeline import end_of_day
from .words import word

ONE = "/participants/<int:participant_id>"
# The date a plan entry's status sets, when the form gives none.
PLAN_DATES = {"started": "started_on", "completed": "ended_on", "stopped": "ended_on"}
MAX_ID_DIGITS = 9  # a row id; a longer number names nobody (and overflows the database's integer)


def participant_or_404(participant_id: int) -> Participant:
    """Return the participant or end the request with 404."""
    return row_or_404(get_session(), Participant, participant_id)


def back(row: Participant, message: str) -> Response:
    """Commit, say what was done, and show the participant again."""
    get_session().commit()
    flash(message)
    return redirect(url_for("web.participant", participant_id=row.id))


@bp.post(ONE + "/consents")
@requires("write_participants")
def add_consent(participant_id: int) -> Page | Response:
    """Record a consent to share, given now (or on the date given), maybe until a date."""
    row = participant_or_404(participant_id)
    values = form_values("scope", "expires_at")
    if "expires_at" in values:
        values["expires_at"] = end_of_day(values["expires_at"], program_zone())
    data, errors = checked(ConsentIn, values)
    if data is None:
        return record_page(row, 422, errors)
    if repeated_post():
        return redirect(url_for("web.participant", participant_id=row.id))
    try:
        participants.add_consent(
            get_session(), row.id, data, actor(), datetime.now(UTC), program_zone()
        )
    except DomainError as error:
        get_session().rollback()
        return record_page(row, domain_status(error, errors), errors)
    return back(row, web_text("Consent recorded."))


@bp.post(ONE + "/consents/<int:consent_id>/revoke")
@requires("write_participants")
def revoke_consent(participant_id: int, consent_id: int) -> Page | Response:
    """Revoke a consent: it stops holding now; its record stays."""
    row = participant_or_404(participant_id)
    if repeated_post():  # a phone's retry: revoked by its first post
        return redirect(url_for("web.participant", participant_id=row.id))
    try:
        participants.revoke_consent(get_session(), row.id, consent_id, actor(), datetime.now(UTC))
    except DomainError as error:
        get_session().rollback()
        errors: dict[str, str] = {}
        return record_page(row, domain_status(error, errors), errors)
    return back(row, web_text("Consent revoked."))


@bp.post(ONE + "/plan")
@requires("write_participants")
def add_plan_entry(participant_id: int) -> Page | Response:
    """Add one need to the service plan."""
    row = participant_or_404(participant_id)
    data, errors = checked(
        PlanEntryIn, form_values("need", "provider_id", "status", "started_on", "note")
    )
    if data is None:
        return record_page(row, 422, errors)
    if repeated_post():
        return redirect(url_for("web.participant", participant_id=row.id))
    try:
        service_plan.add_plan_entry(get_session(), row.id, data, actor(), datetime.now(UTC))
    except DomainError as error:
        get_session().rollback()
        return record_page(row, domain_status(error, errors), errors)
    return back(row, web_text("Added to the plan."))


PLAN_MOVED = N_("this plan entry is {status} now: someone changed it after this page was drawn.")


@bp.post(ONE + "/plan/<int:entry_id>")
@requires("write_participants")
def update_plan_entry(participant_id: int, entry_id: int) -> Page | Response:
    """Move a plan entry on: its status, and the date that goes with it."""
    row = participant_or_404(participant_id)
    values = form_values("status", "started_on", "ended_on")
    # "Mark started" and "Mark completed" send the status alone: the day is today's,
    # unless the entry has its date already.
    entry = get_session().get(PlanEntry, entry_id)
    if entry is None or entry.participant_id != row.id:
        abort(404)  # not even another participant's entry's status is told
    seen = request.form.get("from_status")
    if seen and entry.status != seen:  # moved on since the page was drawn
        if form_used():  # by this very button: a phone's retry of it
            return redirect(url_for("web.participant", participant_id=row.id))
        moved = web_text(PLAN_MOVED, status=word(entry.status))
        return record_page(row, 409, {"form": moved})
    field = PLAN_DATES.get(values.get("status", ""))
    today = datetime.now(UTC).astimezone(program_zone()).date()
    if field is not None and getattr(entry, field) is None:
        values.setdefault(field, today.isoformat())
    # Started or completed today, it began by today: a start still to come was only the
    # plan's guess, and keeping it would refuse the button with a date this page cannot edit.
    planned = entry.started_on
    by_button = values.get("status") in ("started", "completed") and "started_on" not in values
    if by_button and planned is not None and planned > today:
        values["started_on"] = today.isoformat()
    else:
        planned = None
    # Completed today, it ended today: an end still to come was the plan's guess too.
    expected = entry.ended_on
    ends_later = expected is not None and expected > today and "ended_on" not in values
    if values.get("status") == "completed" and ends_later:
        values["ended_on"] = today.isoformat()
    else:
        expected = None
    data, errors = checked(PlanEntryPatch, values)
    if data is None:
        return record_page(row, 422, errors)
    if repeated_post():
        return redirect(url_for("web.participant", participant_id=row.id))
    try:
        service_plan.update_plan_entry(
            get_session(), row.id, entry_id, data, actor(), datetime.now(UTC)
        )
    except DomainError as error:
        get_session().rollback()
        return record_page(row, domain_status(error, errors), errors)
    return back(row, plan_updated(planned, expected))


def plan_updated(start: date | None, end: date | None) -> str:
    """Say the plan was updated, and which dates still to come became today."""
    if start is not None and end is not None:
        return web_text(
            "Plan updated; its start date, {start}, and its end date, {end}, were still "
            "to come: both are today now.",
            start=start.isoformat(),
            end=end.isoformat(),
        )
    if start is not None:
        return web_text(
            "Plan updated; its start date, {day}, was still to come: it is today now.",
            day=start.isoformat(),
        )
    if end is not None:
        return web_text(
            "Plan updated; its end date, {day}, was still to come: it is today now.",
            day=end.isoformat(),
        )
    return web_text("Plan updated.")


@bp.post(ONE + "/charges")
@requires("record_charge")
def add_charge(participant_id: int) -> Page | Response:
    """Record a pending charge; the case manager is texted at once."""
    row = participant_or_404(participant_id)
    at = datetime.now(UTC)
    if not user_can("read_participants") and not views.prosecutor_may_see(get_session(), row, at):
        abort(404)  # outside the prosecutor's view: it does not exist for them
    data, errors = checked(ChargeIn, form_values("date", "description"))
    if data is None:
        return charge_refused(row, 422, errors, at)
    if repeated_post():
        return redirect(url_for("web.participant", participant_id=row.id))
    sender = current_app.config.get("HOTLINE_NUMBER")
    try:
        service_plan.add_charge(get_session(), row.id, data, actor(), at, sender)
    except DomainError as error:  # a date far from today: a typo in the year
        get_session().rollback()
        return charge_refused(row, domain_status(error, errors), errors, at)
    readers = service_plan.charge_readers(get_session(), row)
    if readers and readers[0].id == row.case_manager_id:
        if readers[0].opted_out:  # they texted STOP: the text was logged, not sent
            return back(
                row,
                web_text(
                    "Charge recorded; the case manager's phone is opted out of texts: "
                    "call them at {phone}.",
                    phone=readers[0].phone,
                ),
            )
        return back(row, web_text("Charge recorded; the case manager was texted."))
    return back(
        row, web_text("Charge recorded; with no case manager now, the supervisors were texted.")
    )


def charge_refused(row: Participant, status: int, errors: dict[str, str], at: datetime) -> Page:
    """Show the charge form again as typed, on the reader's page, with why it was refused."""
    if user_can("read_participants"):
        return record_page(row, status, errors)
    seen = views.prosecutor_view(get_session(), row.id, actor(), at)
    get_session().commit()  # the view is a disclosure: it stays recorded
    page = render_template("prosecutor_view.html", participants=[seen], one=True, errors=errors)
    return page, status


@bp.post(ONE + "/contacts")
@requires("work_referrals")
def record_contact(participant_id: int) -> Page | Response:
    """Record that an officer met the participant (told to the coordinator on a call)."""
    row = participant_or_404(participant_id)
    officer_id = request.form.get("officer_id", "")
    officer_number = ascii_number(officer_id, MAX_ID_DIGITS)
    officer = get_session().get(Officer, officer_number) if officer_number is not None else None
    # One who left the roster is told nothing and tells nobody, as their texted CONTACT is.
    if officer is None or not officer.active:
        return record_page(row, 422, {"officer_id": web_text("Choose the officer.")})
    if repeated_post():
        return redirect(url_for("web.participant", participant_id=row.id))
    user = current_user()
    config = current_app.config
    outcome = contact_with(
        get_session(),
        row,
        officer,
        datetime.now(UTC),
        "web",
        config.get("HOTLINE_NUMBER"),
        config["HOTLINE_TIMEZONE"],
        recorded_by=user.id if user else None,
    )
    if isinstance(outcome, Disclosed):
        message = web_text(
            "Contact recorded. The officer may be told: case manager {name}, {phone}.",
            name=outcome.case_manager,
            phone=outcome.phone,
        )
    else:
        message = web_text(
            "Contact recorded. Tell the officer only: no LEAD match; call the hotline to refer."
        )
    return back(row, message)
