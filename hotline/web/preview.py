"""What-if schedules: the program as it would be with an unsaved rotation or override."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .. import rotation as engine
from ..schemas.oncall import LOCAL_START_FORMAT, RotationIn
from .timeline import Line, day_marks, lines

PREVIEW_DAYS = 28


@dataclass(frozen=True)
class Preview:
    """Some tiers' final schedule over a window, laid out for `_timeline.html`."""

    start: datetime
    end: datetime
    lines: list[Line]
    marks: list[tuple[float, str]]
    gaps: list[engine.Segment]


def segments_of(
    program: engine.Program, tiers: Iterable[int], start: datetime, end: datetime
) -> list[engine.Segment]:
    """Return the final schedule of some tiers over [start, end)."""
    return [s for t in sorted(set(tiers)) for s in engine.final_schedule(program, t, start, end)]


def ruler(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[float, str]]:
    """Return the day marks of a timeline, labelled only on Mondays past a week's span."""
    marks = day_marks(start, end, zone)
    if end - start <= timedelta(days=8):
        return marks
    first = start.astimezone(zone).date() + timedelta(days=1)
    return [
        (left, label if (first + timedelta(days=index)).weekday() == 0 else "")
        for index, (left, label) in enumerate(marks)
    ]


def preview(
    program: engine.Program,
    tiers: Iterable[int],
    start: datetime,
    end: datetime,
    names: Mapping[int, str],
    zone: ZoneInfo,
    this_year: int,
) -> Preview:
    """Return the final schedule of `tiers` over [start, end), gaps listed apart."""
    segments = segments_of(program, tiers, start, end)
    return Preview(
        start,
        end,
        lines(segments, start, end, names, zone, this_year),
        ruler(start, end, zone),
        [s for s in segments if s.user_id is None],
    )


def engine_rotation(data: RotationIn, rotation_id: int) -> engine.Rotation:
    """Return the engine's value of a rotation not yet saved."""
    return engine.Rotation(
        id=rotation_id,
        tier=data.tier,
        start=datetime.strptime(data.start, LOCAL_START_FORMAT),
        shift_hours=data.shift_hours,
        participants=tuple(data.participants),
        timezone=data.timezone,
        priority=data.priority,
        windows=tuple(engine.Window.from_dict(w.model_dump()) for w in data.windows),
    )


def next_id(program: engine.Program) -> int:
    """Return an id above every rotation's and override's, as a new row would get."""
    ids = [r.id for r in program.rotations] + [o.id for o in program.overrides]
    return max(ids, default=0) + 1


def with_rotation(program: engine.Program, rotation: engine.Rotation) -> engine.Program:
    """Return the program with `rotation` saved (replacing the one of its id, if any)."""
    others = tuple(r for r in program.rotations if r.id != rotation.id)
    return dataclasses.replace(program, rotations=(*others, rotation))


def without_rotation(program: engine.Program, rotation_id: int) -> engine.Program:
    """Return the program with one rotation deleted."""
    kept = tuple(r for r in program.rotations if r.id != rotation_id)
    return dataclasses.replace(program, rotations=kept)


def with_override(
    program: engine.Program, user_id: int, tier: int, start: datetime, end: datetime
) -> engine.Program:
    """Return the program with a new override, created after every other one."""
    override = engine.Override(next_id(program), user_id, tier, start, end)
    return dataclasses.replace(program, overrides=(*program.overrides, override))


def next_shift(
    program: engine.Program, user_id: int, tier: int | None, now: datetime
) -> engine.Segment | None:
    """Return a person's current or next on-call segment within 28 days (of one tier or any)."""
    end = now + timedelta(days=PREVIEW_DAYS)
    tiers = [tier] if tier is not None else engine.schedule_tiers(program, now, end)
    theirs = [
        segment
        for t in tiers
        for segment in engine.final_schedule(program, t, now, end)
        if segment.user_id == user_id
    ]
    return min(theirs, key=lambda s: (s.start, s.tier), default=None)


@dataclass(frozen=True)
class OverridePreview:
    """A tier around an unsaved override: as it is, as it would be, and what it overlaps."""

    before: Preview
    after: Preview
    clashes: list[engine.Override]
    covered: bool  # whether the person covered for holds the tier at some point of the span
    clipped: bool  # whether the span was cut to its first 28 days
    idle: bool  # whether the person covering holds the tier throughout already


def override_preview(
    program: engine.Program,
    covering: engine.Override,
    covered_user: int | None,
    names: Mapping[int, str],
    zone: ZoneInfo,
    this_year: int,
) -> OverridePreview:
    """Return the override's tier from a day before it to a day after, without and with it."""
    limit = covering.start + timedelta(days=PREVIEW_DAYS)
    start, end = covering.start - timedelta(days=1), min(covering.end, limit) + timedelta(days=1)
    tier = [covering.tier]
    before = preview(program, tier, start, end, names, zone, this_year)
    changed = with_override(program, covering.user_id, covering.tier, covering.start, covering.end)
    clashes = [
        o
        for o in program.overrides
        if o.tier == covering.tier and o.start < covering.end and o.end > covering.start
    ]
    held = any(
        segment.user_id == covered_user and segment.start < covering.end
        for segment in engine.final_schedule(program, covering.tier, covering.start, end)
    )
    shown_span = engine.final_schedule(
        program, covering.tier, covering.start, min(covering.end, limit)
    )
    idle = all(segment.user_id == covering.user_id for segment in shown_span)
    after = preview(changed, tier, start, end, names, zone, this_year)
    return OverridePreview(before, after, clashes, held, covering.end > limit, idle)
