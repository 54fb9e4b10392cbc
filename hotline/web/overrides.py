"""Overrides: "A covers for B from … to …" with a preview, the list, deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import rotation as engine
from ..audit import Actor
from ..db import get_session
from ..jobs import check_coverage_if_changed
from ..models import Override
from ..schemas.oncall import OverrideIn
from ..services import oncall
from ..services.errors import DomainError, NotFound
from ..services.program_store import override_problem
from . import bp, program_zone
from .auth import current_user, is_supervisor, login_required, requires
from .form_fields import Errors, local_input, people
from .form_once import repeated_post
from .language import web_text as _
from .override_form import OverrideForm, form_field
from .preview import OverridePreview, next_id, override_preview
from .timeline import local

Page = str | tuple[str, int] | Response


@bp.route("/overrides", methods=["GET", "POST"])
@login_required
def overrides() -> Page:
    """List current and upcoming overrides; let supervisors preview and add one."""
    if request.method == "POST" and not is_supervisor():
        abort(403)
    zone = program_zone()
    now = datetime.now(UTC)
    program = oncall.load_program(get_session())
    if request.method == "GET":
        form = OverrideForm.from_values(request.args)
        note = None
        if not (form.start and form.end) and form.covered is not None:
            note = None if form.fill_from_shift(program, now, zone) else no_shift(form)
        form.tier = form.tier or "1"
        form.start = form.start or local_input(now, zone)
        return page(form, note=note)
    form = OverrideForm.from_values(request.form)
    action = request.form.get("action", "preview")
    if action == "fill":
        filled = form.fill_from_shift(program, now, zone)
        return page(form, note=None if filled else no_shift(form))
    checked = form.check(zone)
    if not isinstance(checked, OverrideIn):
        return page(form, errors=checked), 422
    if action == "save":
        # 01:30 the night clocks go back is two instants an hour apart: the supervisor says which.
        if unchosen := form.unchosen(zone):
            return page(form, errors=unchosen), 422
        return save(form, checked, now)
    covering = engine.Override(
        next_id(program), checked.user_id, checked.tier, checked.start, checked.end
    )
    this_year = now.astimezone(zone).year
    shown = override_preview(program, covering, form.covered, names(), zone, this_year)
    return page(form, shown=shown, cautions=cautions(form, checked, program, shown, now), now=now)


@bp.post("/overrides/<int:override_id>/delete")
@requires("edit_program")
def delete_override(override_id: int) -> Response:
    """Delete an override."""
    db = get_session()
    now = datetime.now(UTC)
    user = current_user()
    assert user is not None
    try:
        oncall.delete_override(db, override_id, Actor(user.id, "web"), now)
    except NotFound:
        abort(404)
    db.commit()
    check_coverage_if_changed(current_app, db, now)
    flash(_("Override deleted."))
    return redirect(url_for("web.overrides"))


def save(form: OverrideForm, data: OverrideIn, now: datetime) -> Page:
    """Create the override, then check coverage for new gaps."""
    db = get_session()
    user = current_user()
    assert user is not None
    if repeated_post():
        return redirect(url_for("web.overrides"))
    try:
        oncall.create_override(db, data, Actor(user.id, "web"), now)
    except DomainError as error:
        db.rollback()
        return page(form, errors={form_field((error.field or "form",)): error.message}), 422
    db.commit()
    check_coverage_if_changed(current_app, db, now)
    who = names()
    zone = program_zone()
    notes = "".join(f"{note} " for note in form.dst_notes(zone))
    span = {
        "who": who.get(data.user_id, "?"),
        "tier": data.tier,
        "start": local(data.start, zone, this_year=now.astimezone(zone).year),
        "end": local(data.end, zone, this_year=now.astimezone(zone).year),
    }
    if form.covered:
        saved = _(
            "Override saved: {who} covers tier {tier} for {other} from {start} to {end}.",
            other=who.get(form.covered, "?"),
            **span,
        )
    else:
        saved = _("Override saved: {who} covers tier {tier} from {start} to {end}.", **span)
    if data.end <= now:  # saved without a preview: the caution the preview gives, after
        saved += " " + _("This span is over: the override changes nothing from now on.")
    flash(notes + saved)
    return redirect(url_for("web.overrides"))


def cautions(
    form: OverrideForm,
    data: OverrideIn,
    program: engine.Program,
    shown: OverridePreview,
    now: datetime,
) -> list[str]:
    """Return what a supervisor should know before saving this override."""
    who = names()
    found = form.dst_notes(program_zone())
    if data.user_id in program.inactive:
        inactive = who.get(data.user_id, "?")
        found.append(_("{name} is inactive: the override would not apply.", name=inactive))
    if shown.idle:  # "who covers" chosen as the one covered for, say
        found.append(
            _(
                "{name} is already on call on tier {tier} throughout this span: "
                "nobody would change.",
                name=who.get(data.user_id, "?"),
                tier=data.tier,
            )
        )
    if form.covered is not None and not shown.covered:
        covered = who.get(form.covered, "?")
        found.append(
            _(
                "{name} is not on call on tier {tier} at any time in this span.",
                name=covered,
                tier=data.tier,
            )
        )
    if data.end <= now:
        found.append(_("This span is over: the override would change nothing from now on."))
    return found


def names() -> dict[int, str]:
    """Return every user's name by id."""
    return {user_id: user.name for user_id, user in people(get_session()).items()}


def no_shift(form: OverrideForm) -> str:
    """Say that B has no shift to cover soon."""
    who = names().get(form.covered or 0)
    if who is None:
        return _("That person has no on-call shift in the next 28 days: enter the times yourself.")
    return _("{name} has no on-call shift in the next 28 days: enter the times yourself.", name=who)


# "Covers for" names who the override replaces over the next four weeks of it.
COVERS_HORIZON = timedelta(days=28)


def page(
    form: OverrideForm,
    *,
    errors: Errors | None = None,
    note: str | None = None,
    shown: OverridePreview | None = None,
    cautions: list[str] | None = None,
    now: datetime | None = None,
) -> str:
    """Render the overrides page."""
    now = now or datetime.now(UTC)
    rows = list(
        get_session().scalars(
            select(Override).where(Override.end > now).order_by(Override.start, Override.id)
        )
    )
    program = oncall.load_program(get_session())
    horizon = now + COVERS_HORIZON
    return render_template(
        "overrides.html",
        covers={row.id: engine.covered_for(program, row.id, now, horizon) for row in rows},
        broken={row.id: problem for row in rows if (problem := override_problem(row))},
        form=form,
        passes=form.passes(program_zone()),
        errors=errors or {},
        note=note,
        shown=shown,
        cautions=cautions or [],
        rows=rows,
        users=people(get_session()),
        now=now,
    )
