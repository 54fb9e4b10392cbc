"""Plain, frozen values the on-call engine computes from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SHIFT_HOURS = 8760
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

Source = Literal["override", "rotation"]


def parse_hhmm(text: object) -> time:
    """Return the time of an "HH:MM" string or raise ValueError."""
    if not isinstance(text, str) or not (match := _HHMM.match(text)):
        raise ValueError(f"expected HH:MM, got {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Window:
    """A weekly stretch of local wall-clock time in which a rotation applies."""

    days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    start: time
    end: time

    @classmethod
    def from_dict(cls, raw: object) -> Window:
        """Build a window from its SPEC §3 JSON shape or raise ValueError."""
        if not isinstance(raw, dict) or set(raw) != {"days", "start", "end"}:
            raise ValueError('a window is {"days": [...], "start": "HH:MM", "end": "HH:MM"}')
        days = raw["days"]
        if not isinstance(days, list) or not days:
            raise ValueError("a window needs at least one day")
        if not all(isinstance(day, str) and day.lower() in DAY_NAMES for day in days):
            raise ValueError(f"window days are among {', '.join(DAY_NAMES)}")
        indexes = frozenset(DAY_NAMES.index(day.lower()) for day in days)
        return cls(indexes, parse_hhmm(raw["start"]), parse_hhmm(raw["end"]))

    def to_dict(self) -> dict[str, Any]:
        """Return the SPEC §3 JSON shape."""
        return {
            "days": [DAY_NAMES[day] for day in sorted(self.days)],
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
        }

    def contains(self, local: datetime) -> bool:
        """Tell whether a local wall-clock reading falls inside this window."""
        weekday, clock = local.weekday(), local.time()
        if self.start < self.end:
            return weekday in self.days and self.start <= clock < self.end
        # Crosses midnight (or is 24 h long): the small hours belong to the previous day.
        if weekday in self.days and clock >= self.start:
            return True
        return (weekday - 1) % 7 in self.days and clock < self.end


@dataclass(frozen=True)
class Rotation:
    """A tier's repeating hand-off between participants (SPEC §3)."""

    id: int
    tier: int
    start: datetime  # naive: a wall-clock reading in `timezone`
    shift_hours: int
    participants: tuple[int, ...]
    timezone: str = "UTC"
    priority: int = 0
    windows: tuple[Window, ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None:
            raise ValueError("a rotation's start is a naive local wall-clock reading")
        if not 1 <= self.shift_hours <= MAX_SHIFT_HOURS:
            raise ValueError(f"shift_hours must be 1..{MAX_SHIFT_HOURS}")
        if not self.participants:
            raise ValueError("a rotation needs at least one participant")
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))


@dataclass(frozen=True)
class Override:
    """Puts `user_id` on call for `tier` over the instants [start, end)."""

    id: int
    user_id: int
    tier: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Program:
    """Everything the engine needs: loaded once by a store, then only read."""

    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    inactive: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Assignment:
    """Who holds a tier at an instant, and why; `user_id` None is a gap."""

    user_id: int | None
    source: Source | None


GAP = Assignment(None, None)


@dataclass(frozen=True)
class Segment:
    """A maximal stretch [start, end) of one tier with one (user, source)."""

    tier: int
    start: datetime
    end: datetime
    user_id: int | None
    source: Source | None


@dataclass(frozen=True)
class TierOnCall:
    """A tier's assignment at an instant and the next instant it changes."""

    tier: int
    user_id: int | None
    source: Source | None
    until: datetime | None
