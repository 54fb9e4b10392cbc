"""Rotations: the list, the editor with its preview, and deletion (supervisors edit)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from .. import rotation as engine
from ..audit import Actor
from ..db import get_session
from ..jobs import check_coverage_if_changed
from ..models import Rotation, User
from ..permissions import can
from ..rotation import DAY_NAMES
from ..schemas.oncall import RotationIn
from ..services import oncall
from ..services.errors import Conflict, DomainError, NotFound
from . import bp, program_zone
from .auth import current_user, is_supervisor, login_required, requires
from .form_fields import Errors, people, whole_number
from .form_once import repeated_post
from .language import web_text as _
from .people_forms import row_or_404
from .preview import (
    PREVIEW_DAYS,
    Preview,
    engine_rotation,
    next_id,
    preview,
    segments_of,
    with_rotation,
    without_rotation,
)
from .rotation_form import (
    COMMON_ZONES,
    UNIT_NAMES,
    RotationForm,
    form_field,
    shift_words,
    window_words,
)

Page = str | tuple[str, int] | Response


@bp.get("/rotations")
@login_required
def rotations() -> str:
    """List every rotation by tier, with its people in order and its windows."""
    rows = (
        get_session()
        .scalars(
            select(Rotation)
            .options(selectinload(Rotation.participants))
            .order_by(Rotation.tier, Rotation.priority.desc(), Rotation.id)
        )
        .all()
    )
    return render_template(
        "rotations.html",
        rows=rows,
        broken={row.id: problem for row in rows if (problem := oncall.rotation_problem(row))},
        users=people(get_session()),
        shift_words=shift_words,
        window_words=window_words,
    )


@bp.route("/rotations/new", methods=["GET", "POST"])
@requires("edit_program")
def new_rotation() -> Page:
    """Create a rotation, previewing its tier's schedule first if asked."""
    return editor(None)


@bp.route("/rotations/<int:rotation_id>", methods=["GET", "POST"])
@login_required
def rotation(rotation_id: int) -> Page:
    """Show a rotation; let supervisors change it."""
    if request.method == "POST" and not is_supervisor():
        abort(403)
    return editor(stored(rotation_id))


@bp.route("/rotations/<int:rotation_id>/delete", methods=["GET", "POST"])
@requires("edit_program")
def delete_rotation(rotation_id: int) -> Page:
    """Delete a rotation after showing what its tier looks like without it."""
    row = stored(rotation_id)
    db = get_session()
    changed = None
    if request.method == "POST":
        now = datetime.now(UTC)
        user = current_user()
        assert user is not None
        try:
            oncall.delete_rotation(db, row.id, Actor(user.id, "web"), now, drawn_from_form())
        except NotFound:  # deleted by someone else since this request read it
            abort(404)
        except Conflict:  # changed since the confirmation was drawn: show it as it is now
            db.rollback()
            db.refresh(row)
            changed = _(
                "This rotation was changed since this page was opened: it is not deleted. "
                "Check it below, then delete it again if you still mean to."
            )
        else:
            db.commit()
            check_coverage_if_changed(current_app, db, now)
            flash(_("Rotation “{name}” deleted.", name=row.name))
            return redirect(url_for("web.rotations"))
    program = without_rotation(oncall.load_program(db), row.id)
    shown = render_template(
        "rotation_delete.html",
        row=row,
        preview=schedule_of(program, {row.tier}),
        drawn_from=oncall.rotation_version(row),
        changed=changed,
    )
    return (shown, 409) if changed else shown


def stored(rotation_id: int) -> Rotation:
    """Return the rotation of the address, or answer 404."""
    return row_or_404(get_session(), Rotation, rotation_id)


def editor(row: Rotation | None) -> Page:
    """Show the form, apply an edit button, preview, or save."""
    if request.method == "GET":
        form = RotationForm.of(row) if row else RotationForm.blank(*zone_and_today())
        return page(form, row, shown=None if row is None else current_schedule(row))
    form = RotationForm.from_request(request.form)
    action = request.form.get("action", "preview")
    users = people(get_session())
    callers = {user_id for user_id, user in users.items() if can(user, "take_calls")}
    if form.edit(action, request.form.get("add_participant", ""), callers):
        return page(form, row)
    checked = form.check()
    saving = action == "save" and isinstance(checked, RotationIn)
    # Named here: the service's refusal of someone off the phones says "user 4".
    if saving and (refused := form.off_the_phones(users) or not_added(users)):
        checked = {"participants": refused}
    if not isinstance(checked, RotationIn):
        return page(form, row, errors=checked), 422
    if action == "save":
        return save(form, row, checked)
    shown, idle = preview_of(checked, row)
    return page(form, row, shown=shown, previewing=True, idle=idle)


def save(form: RotationForm, row: Rotation | None, data: RotationIn) -> Page:
    """Create or replace the rotation, then check coverage for new gaps."""
    db = get_session()
    now = datetime.now(UTC)
    user = current_user()
    assert user is not None
    actor = Actor(user.id, "web")
    if repeated_post():
        target = url_for("web.rotation", rotation_id=row.id) if row else url_for("web.rotations")
        return redirect(target)
    seen = drawn_from_form()
    try:
        if row is None:
            saved = oncall.create_rotation(db, data, actor, now)
        else:
            saved = oncall.replace_rotation(db, row.id, data, actor, now, seen)
    except NotFound:  # deleted by someone else since this request read it: not recreated
        db.rollback()
        abort(404)
    except Conflict as error:
        db.rollback()
        if error.field != "drawn_from":
            return page(form, row, errors={"form": error.message}), 409
        assert row is not None
        db.refresh(row)
        changed = _(
            "This rotation was changed since this page was opened: your edits are below, "
            "not saved. Check them against it (open it in another tab), then save again."
        )
        return page(
            form, row, errors={"form": changed}, drawn_from=oncall.rotation_version(row)
        ), 409
    except DomainError as error:
        db.rollback()
        field = form_field(tuple((error.field or "form").split(".")))
        return page(form, row, errors={field: error.message}), 422
    db.commit()
    check_coverage_if_changed(current_app, db, now)
    flash(_("Rotation “{name}” saved.", name=saved.name))
    return redirect(url_for("web.rotation", rotation_id=saved.id))


def not_added(users: Mapping[int, User]) -> str | None:
    """Return why a person chosen under "Add participant", but not added, holds a save back."""
    chosen = users.get(whole_number(request.form.get("add_participant", "")) or 0)
    if chosen is None:
        return None
    return _(
        "{name} is chosen under Add participant but not added: press Add, or choose "
        "“— choose a person —” to leave them out.",
        name=chosen.name,
    )


def drawn_from_form() -> datetime | None:
    """Return the saved version the posted editor was drawn from, if it says."""
    try:
        drawn = datetime.fromisoformat(request.form.get("drawn_from", ""))
    except ValueError:  # none (a script's post), or not a time: saved as it comes
        return None
    return drawn if drawn.tzinfo is not None else None


def zone_and_today() -> tuple[str, date]:
    """Return the program's zone name and today's date there."""
    zone = program_zone()
    return zone.key, datetime.now(zone).date()


def schedule_of(program: engine.Program, tiers: set[int]) -> Preview:
    """Return the next 28 days of some tiers of a (what-if) program."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    names = {user_id: user.name for user_id, user in people(get_session()).items()}
    zone = program_zone()
    end = now + timedelta(days=PREVIEW_DAYS)
    return preview(program, tiers, now, end, names, zone, now.astimezone(zone).year)


def current_schedule(row: Rotation) -> Preview:
    """Return the rotation's tier over the next 28 days as saved."""
    return schedule_of(oncall.load_program(get_session()), {row.tier})


def preview_of(data: RotationIn, row: Rotation | None) -> tuple[Preview, bool]:
    """Return the tier's next 28 days with this rotation saved, and whether it adds nothing."""
    program = oncall.load_program(get_session())
    rotation_id = row.id if row is not None else next_id(program)
    tiers = {data.tier} | ({row.tier} if row is not None else set())
    changed = with_rotation(program, engine_rotation(data, rotation_id))
    shown = schedule_of(changed, tiers)
    without = without_rotation(program, rotation_id)
    idle = segments_of(changed, tiers, shown.start, shown.end) == segments_of(
        without, tiers, shown.start, shown.end
    )
    return shown, idle


def page(
    form: RotationForm,
    row: Rotation | None,
    *,
    errors: Errors | None = None,
    shown: Preview | None = None,
    previewing: bool = False,
    idle: bool = False,
    drawn_from: str | None = None,
) -> str:
    """Render the editor (or, for coordinators, the rotation read-only).

    `drawn_from` is the saved version the edits started from, carried through
    the editor's own round trips (preview, up, add) to the save.
    """
    if drawn_from is None:
        drawn_from = request.form.get("drawn_from", "") if request.method == "POST" else ""
        drawn_from = drawn_from or (oncall.rotation_version(row) if row is not None else "")
    zones: list[tuple[str, str]] = [(zone, _(words)) for zone, words in COMMON_ZONES]
    if form.timezone and form.timezone not in dict(zones):
        zones.append((form.timezone, form.timezone))
    return render_template(
        "rotation.html",
        form=form,
        row=row,
        broken=oncall.rotation_problem(row) if row is not None else None,
        drawn_from=drawn_from,
        errors=errors or {},
        shown=shown,
        previewing=previewing,
        idle=idle,
        users=people(get_session()),
        zones=zones,
        units={unit: _(words) for unit, words in UNIT_NAMES.items()},
        day_names=DAY_NAMES,
        shift_words=shift_words,
        window_words=window_words,
    )
