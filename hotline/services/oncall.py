"""Rotations and overrides: change them with an audit trail; who is on call, the schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .. import rotation as engine
from ..audit import Actor, record, snapshot
from ..models import Override, Rotation, RotationParticipant, User
from ..permissions import ROLE_WORDS, holders
from ..schemas.oncall import LOCAL_START_FORMAT, OverrideIn, OverrideOut, RotationIn
from ..statements import updated_one_row
from .errors import Conflict, FieldInvalid, NotFound
from .program_cache import bump_revision

# Re-exported: the program is loaded through this module by most callers.
from .program_store import BrokenRow as BrokenRow
from .program_store import broken_rows as broken_rows
from .program_store import load_program as load_program
from .program_store import read_program as read_program
from .program_store import readable_window
from .program_store import rotation_problem as rotation_problem


def rotation_fields(row: Rotation) -> dict[str, Any]:
    """Return a rotation as the API shows it (and the audit log keeps it)."""
    return {
        "id": row.id,
        "name": row.name,
        "tier": row.tier,
        "priority": row.priority,
        "timezone": row.timezone,
        "start": engine.format_local(row.start_local),
        "shift_hours": row.shift_hours,
        "participants": [p.user_id for p in row.participants],
        "windows": list(row.windows),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def rotation_json(row: Rotation) -> dict[str, Any]:
    """Return a rotation as the API shows it: its fields, and why it is broken (or null)."""
    fields = rotation_fields(row)
    # A hand-edited window the schema cannot show is left out; `broken` names it.
    fields["windows"] = [w for w in fields["windows"] if readable_window(w)]
    return {**fields, "broken": rotation_problem(row)}


def override_fields(row: Override) -> dict[str, Any]:
    """Return an override as the API shows it (OverrideOut)."""
    return OverrideOut.model_validate(row).model_dump()


def _require_users(session: Session, ids: list[int], field: str) -> None:
    """Refuse an unknown user, or one whose role does not take calls (a case manager, say)."""
    roles = dict(session.execute(select(User.id, User.role).where(User.id.in_(set(ids)))).all())
    for index, user_id in enumerate(ids):
        name = f"{field}.{index}" if field == "participants" else field
        if user_id not in roles:
            raise FieldInvalid(f"no user with id {user_id}", name)
        if roles[user_id] not in holders("take_calls"):
            raise FieldInvalid(
                f"user {user_id} is a {ROLE_WORDS[roles[user_id]]}: only coordinators and "
                "supervisors go on call",
                name,
            )


def _apply(session: Session, row: Rotation, data: RotationIn) -> None:
    _require_users(session, data.participants, "participants")
    row.name = data.name
    row.tier = data.tier
    row.priority = data.priority
    row.timezone = data.timezone
    row.start_local = datetime.strptime(data.start, LOCAL_START_FORMAT)
    row.shift_hours = data.shift_hours
    row.windows = [w.model_dump() for w in data.windows]
    row.participants = [
        RotationParticipant(position=i, user_id=user_id)
        for i, user_id in enumerate(data.participants)
    ]


def get_rotation(session: Session, rotation_id: int) -> Rotation:
    """Return a rotation or raise NotFound."""
    row = session.get(Rotation, rotation_id)
    if row is None:
        raise NotFound(f"no rotation with id {rotation_id}")
    return row


COVERAGE_CHANGED = "coverage_changed"


def mark_coverage_changed(session: Session) -> None:
    """Bump the program's revision and check coverage for new gaps once committed."""
    bump_revision(session)
    session.info[COVERAGE_CHANGED] = True


def create_rotation(session: Session, data: RotationIn, actor: Actor, now: datetime) -> Rotation:
    """Create a rotation."""
    row = Rotation(created_at=now, updated_at=now)
    _apply(session, row, data)
    session.add(row)
    session.flush()
    record(session, actor, now, "create", "rotation", row.id, None, snapshot(rotation_fields(row)))
    mark_coverage_changed(session)
    return row


def rotation_version(row: Rotation) -> str:
    """Return what tells one saved version of a rotation from the next: when it was saved.

    The web's editor carries it as `drawn_from`, the API as the ETag; `replace_rotation`
    takes it back as `drawn_from`.
    """
    return row.updated_at.isoformat()


def replace_rotation(
    session: Session,
    rotation_id: int,
    data: RotationIn,
    actor: Actor,
    now: datetime,
    drawn_from: datetime | None = None,
) -> Rotation:
    """Replace every field of a rotation.

    `drawn_from` is when the version its author edited was saved: if another was
    saved since, even a moment ago, nothing changes and the Conflict says so.
    """
    row = _claim_rotation(session, rotation_id, drawn_from)
    before = snapshot(rotation_fields(row))
    _apply(session, row, data)
    row.updated_at = now
    session.flush()
    record(
        session, actor, now, "update", "rotation", row.id, before, snapshot(rotation_fields(row))
    )
    mark_coverage_changed(session)
    return row


def _claim_rotation(session: Session, rotation_id: int, drawn_from: datetime | None) -> Rotation:
    """Lock a rotation and return it as it is: NotFound if gone, Conflict if not `drawn_from`."""
    # Read without the lock, one deleted meanwhile was written to (or deleted again) as if
    # it stood: a 500, or a second deletion in the audit log. Nothing changes yet: `before`
    # keeps the version as it was saved.
    version = () if drawn_from is None else (Rotation.updated_at == drawn_from,)
    claimed = session.execute(
        update(Rotation)
        .where(Rotation.id == rotation_id, *version)
        .values(updated_at=Rotation.updated_at)
        .execution_options(synchronize_session=False)
    )
    if not updated_one_row(claimed):
        if session.scalar(select(Rotation.id).where(Rotation.id == rotation_id)) is None:
            raise NotFound(f"no rotation with id {rotation_id}")  # deleted meanwhile
        raise Conflict("the rotation was changed since this version", "drawn_from")
    row = get_rotation(session, rotation_id)
    session.refresh(row)  # as it stands, now that it is held
    return row


def delete_rotation(
    session: Session,
    rotation_id: int,
    actor: Actor,
    now: datetime,
    drawn_from: datetime | None = None,
) -> None:
    """Delete a rotation (only as version `drawn_from`, if given: else Conflict)."""
    row = _claim_rotation(session, rotation_id, drawn_from)
    record(session, actor, now, "delete", "rotation", row.id, snapshot(rotation_fields(row)), None)
    session.delete(row)
    session.flush()
    mark_coverage_changed(session)


def create_override(session: Session, data: OverrideIn, actor: Actor, now: datetime) -> Override:
    """Create an override."""
    if data.end.astimezone(UTC) <= data.start.astimezone(UTC):
        raise FieldInvalid("end must be after start", "end")
    _require_users(session, [data.user_id], "user_id")
    row = Override(
        user_id=data.user_id,
        tier=data.tier,
        start=data.start.astimezone(UTC),
        end=data.end.astimezone(UTC),
        created_at=now,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(session, actor, now, "create", "override", row.id, None, snapshot(override_fields(row)))
    mark_coverage_changed(session)
    return row


def delete_override(session: Session, override_id: int, actor: Actor, now: datetime) -> None:
    """Delete an override."""
    row = session.get(Override, override_id)
    if row is None:
        raise NotFound(f"no override with id {override_id}")
    before = snapshot(override_fields(row))
    # Deleted by one statement that says whether it found the row: another supervisor's
    # delete of the same override meanwhile is then this one's 404, not a second deletion.
    deleted = session.execute(delete(Override).where(Override.id == override_id))
    if not updated_one_row(deleted):
        raise NotFound(f"no override with id {override_id}")
    record(session, actor, now, "delete", "override", override_id, before, None)
    mark_coverage_changed(session)


def chain_steps(
    people: list[int], phones: dict[int, str], fallback: list[str], caller: str | None = None
) -> list[dict[str, Any]]:
    """Return the chain's steps to dial: each number once, the people then the fallbacks.

    The `caller`'s own number is passed over: a coordinator on call who calls the
    hotline from their phone cannot take the call, and ringing it costs a step.
    """
    steps: list[dict[str, Any]] = []
    candidates = [(phones[user_id], user_id) for user_id in people]
    for number, user_id in [*candidates, *((number, None) for number in fallback)]:
        if number != caller and all(step["number"] != number for step in steps):
            steps.append({"number": number, "user_id": user_id})
    return steps


def who_is_on_call(session: Session, at: datetime, fallback_numbers: list[str]) -> dict[str, Any]:
    """Return SPEC §8's on-call answer: each tier's person and until when, and the chain."""
    program = load_program(session)
    answers = engine.on_call(program, at)
    chain_ids = engine.escalation_chain(program, at)
    wanted = {a.user_id for a in answers if a.user_id is not None} | set(chain_ids)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}
    tiers = [
        {
            "tier": answer.tier,
            "user": None
            if answer.user_id is None
            else {
                "id": answer.user_id,
                "name": users[answer.user_id].name,
                "phone": users[answer.user_id].phone,
            },
            "source": answer.source,
            "until": answer.until,
        }
        for answer in answers
    ]
    phones = {user_id: users[user_id].phone for user_id in chain_ids}
    chain = [step["number"] for step in chain_steps(chain_ids, phones, fallback_numbers)]
    return {"at": at, "tiers": tiers, "chain": chain}


def on_call_until(session: Session, user_id: int, tier: int, at: datetime) -> datetime | None:
    """Return when the person stops being on call for the tier from `at`, None when not on call.

    None too when nothing changes within 366 days (SPEC §8's `until`).
    """
    for answer in engine.on_call(load_program(session), at):
        if answer.tier == tier and answer.user_id == user_id:
            return answer.until
    return None


def schedule_segments(
    session: Session, start: datetime, end: datetime, tier: int | None, *, primary: bool = False
) -> list[engine.Segment]:
    """Return the final schedule over [start, end) of one tier, or of every tier in use.

    With `primary`, tier 1 is shown even when nothing is on it: it is then one gap,
    as `coverage-gaps` tells supervisors, not a tier left out of the picture.
    """
    program = load_program(session)
    tiers = [tier] if tier is not None else engine.schedule_tiers(program, start, end)
    if primary and tier is None:
        tiers = sorted({1, *tiers})
    return [s for t in tiers for s in engine.final_schedule(program, t, start, end)]


def true_ends(
    session: Session, segments: list[engine.Segment], end: datetime
) -> dict[int, datetime | None]:
    """Return when each tier's stretch cut at `end` really ends (None: not within 366 days)."""
    program = load_program(session)
    just_before = end - timedelta(microseconds=1)
    return {
        s.tier: engine.next_change(program, s.tier, just_before) for s in segments if s.end == end
    }
