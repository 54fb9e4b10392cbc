"""A brute-force reading of SPEC §3, minute by minute, to check the engine against.

It shares no code with hotline.rotation: hand-offs come from the running
maximum of the local clock ("the first instant at which the clock reads that
time or later"), windows from their written definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class RefRotation:
    """A rotation as raw SPEC fields."""

    id: int
    tier: int
    timezone: str
    start: datetime
    shift_hours: int
    participants: list[int]
    priority: int = 0
    windows: list[dict[str, object]] = field(default_factory=list)


@dataclass
class RefOverride:
    """An override as raw SPEC fields."""

    id: int
    user_id: int
    tier: int
    start: datetime
    end: datetime


def minutes(start: datetime, end: datetime) -> list[datetime]:
    """Return every whole minute in [start, end)."""
    count = int((end - start) / MINUTE)
    return [start + i * MINUTE for i in range(count)]


def in_window(window: dict[str, object], reading: datetime) -> bool:
    """Tell whether a wall-clock reading lies in a window, straight from SPEC §3."""
    start = datetime.strptime(str(window["start"]), "%H:%M").time()
    end = datetime.strptime(str(window["end"]), "%H:%M").time()
    for day in (reading.date(), reading.date() - timedelta(days=1)):
        if DAYS[day.weekday()] not in window["days"]:  # type: ignore[operator]
            continue
        opens = datetime.combine(day, start)
        closes = datetime.combine(day, end) + (timedelta(days=1) if end <= start else timedelta())
        if opens <= reading < closes:
            return True
    return False


def rotation_cover(
    rotation: RefRotation, grid: list[datetime], inactive: set[int]
) -> list[int | None]:
    """Return who the rotation covers at each minute of the grid."""
    zone = ZoneInfo(rotation.timezone)
    # Seed the clock's high-water mark from a day before the grid.
    high = max(
        (
            m.astimezone(zone).replace(tzinfo=None)
            for m in minutes(grid[0] - timedelta(days=1), grid[0])
        ),
    )
    shift = timedelta(hours=rotation.shift_hours)
    covers: list[int | None] = []
    for instant in grid:
        reading = instant.astimezone(zone).replace(tzinfo=None)
        high = max(high, reading)
        if high < rotation.start:
            covers.append(None)
            continue
        k = (high - rotation.start) // shift
        person: int | None = rotation.participants[k % len(rotation.participants)]
        if person in inactive:
            person = None
        if rotation.windows and not any(in_window(w, reading) for w in rotation.windows):
            person = None
        covers.append(person)
    return covers


def reference_schedule(
    rotations: list[RefRotation],
    overrides: list[RefOverride],
    inactive: set[int],
    tier: int,
    grid: list[datetime],
) -> list[tuple[int | None, str | None]]:
    """Return (user, source) of the tier at each minute of the grid."""
    tier_rotations = sorted(
        (r for r in rotations if r.tier == tier), key=lambda r: (-r.priority, r.id)
    )
    covers = [rotation_cover(r, grid, inactive) for r in tier_rotations]
    answers: list[tuple[int | None, str | None]] = []
    for index, instant in enumerate(grid):
        applying = [
            o
            for o in overrides
            if o.tier == tier and o.start <= instant < o.end and o.user_id not in inactive
        ]
        if applying:
            answers.append((max(applying, key=lambda o: o.id).user_id, "override"))
            continue
        person = next((c[index] for c in covers if c[index] is not None), None)
        answers.append((person, "rotation") if person is not None else (None, None))
    return answers


def utc(*args: int) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
