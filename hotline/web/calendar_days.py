"""The on-call calendar: whole local days, one line per tier, a named bar per shift.

A day is local midnight to local midnight, so a DST day is 23 or 25 hours and
its bars are sized by real time. Each person keeps one colour everywhere on the
page; the colour only repeats what the bar's name already says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .. import rotation as engine
from ..rotation.clock import first_instant_reading
from .timeline import local

# Eight colours that each keep white text above WCAG AA's 4.5:1 contrast.
PALETTE_SIZE = 8
HOURS_MARKED = (6, 12, 18)


@dataclass(frozen=True)
class DayBar:
    """One stretch of a tier within one day."""

    left: float  # percent of the day
    width: float
    user_id: int | None  # None: a gap
    name: str
    kind: str  # "rotation", "override" or "gap"
    colour: int  # index into the palette; -1 for a gap
    start: datetime
    end: datetime
    hours: str  # "08:00–20:00", local


@dataclass(frozen=True)
class DayTier:
    """One tier's bars on one day."""

    tier: int
    bars: list[DayBar]


@dataclass(frozen=True)
class Day:
    """One local day of the calendar."""

    day: date
    tiers: list[DayTier]
    now: float | None  # percent of the day where "now" is, on today only
    marks: list[tuple[float, str]]  # (percent, "06:00"): the hours marked on the line

    @property
    def has_gap(self) -> bool:
        """Tell whether nobody holds some tier for part of the day."""
        return any(bar.user_id is None for tier in self.tiers for bar in tier.bars)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """Return the instant (UTC) a local day starts: the first reading of 00:00."""
    # In UTC: two datetimes sharing a ZoneInfo subtract as wall readings (24 h on a 23 h day).
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_window(first: date, days: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the instants from the first day's midnight to the midnight after the last."""
    return midnight(first, zone), midnight(first + timedelta(days=days), zone)


def colours(segments: Sequence[engine.Segment], names: Mapping[int, str]) -> dict[int, int]:
    """Give each person on the calendar a palette colour, in name order."""
    people = sorted(
        {s.user_id for s in segments if s.user_id is not None},
        key=lambda user_id: (names.get(user_id, "?"), user_id),
    )
    return {user_id: index % PALETTE_SIZE for index, user_id in enumerate(people)}


def calendar(
    segments: Sequence[engine.Segment],
    first: date,
    days: int,
    names: Mapping[int, str],
    zone: ZoneInfo,
    now: datetime,
    palette: Mapping[int, int] | None = None,
) -> list[Day]:
    """Cut the schedule's segments into days and tiers, with names and colours."""
    palette = colours(segments, names) if palette is None else palette
    tiers = sorted({s.tier for s in segments})
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        start, end = midnight(day, zone), midnight(day + timedelta(days=1), zone)
        length = (end - start) / timedelta(seconds=1)

        def percent(instant: datetime, start: datetime = start, length: float = length) -> float:
            return round((instant - start) / timedelta(seconds=1) / length * 100, 3)

        lines = []
        for tier in tiers:
            bars = []
            for segment in segments:
                if segment.tier != tier or segment.end <= start or segment.start >= end:
                    continue
                piece_start, piece_end = max(segment.start, start), min(segment.end, end)
                user_id = segment.user_id
                bars.append(
                    DayBar(
                        left=round((piece_start - start) / timedelta(seconds=1) / length * 100, 3),
                        width=round(
                            (piece_end - piece_start) / timedelta(seconds=1) / length * 100, 3
                        ),
                        user_id=user_id,
                        name=names.get(user_id, "?") if user_id is not None else "",
                        kind=segment.source or "gap",
                        colour=palette.get(user_id, -1) if user_id is not None else -1,
                        start=piece_start,
                        end=piece_end,
                        hours=bar_hours(piece_start, piece_end, end, zone),
                    )
                )
            lines.append(DayTier(tier, bars))
        now_at = percent(now) if start <= now < end else None
        result.append(Day(day, lines, now_at, hour_marks(day, zone, percent)))
    return result


def bar_hours(start: datetime, end: datetime, day_end: datetime, zone: ZoneInfo) -> str:
    """Return a bar's local hours, "08:00–24:00", naming the pass of a repeated fall-back time."""
    until = "24:00" if end == day_end else local(end, zone, "%H:%M", name_pass=True)
    return f"{local(start, zone, '%H:%M', name_pass=True)}–{until}"


def hour_marks(
    day: date, zone: ZoneInfo, percent: Callable[[datetime], float]
) -> list[tuple[float, str]]:
    """Return the percent and label of the hours marked on a day's line."""
    # Where the clock reads them: on a 23- or 25-hour day, 12:00 is not half-way.
    return [
        (percent(first_instant_reading(datetime.combine(day, time(hour)), zone)), f"{hour:02d}:00")
        for hour in HOURS_MARKED
    ]


def calendar_context(
    segments: Sequence[engine.Segment],
    first: date,
    days: int,
    names: Mapping[int, str],
    zone: ZoneInfo,
    now: datetime,
) -> dict[str, Any]:
    """Return what `_calendar.html` needs: the days and the key of colours."""
    palette = colours(segments, names)
    return {
        "calendar_days": calendar(segments, first, days, names, zone, now, palette),
        "legend": [(names.get(user_id, "?"), colour) for user_id, colour in palette.items()],
    }
