"""Lay schedule segments out as a timeline: positions in percent, labels in local time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import rotation as engine
from ..services.local_times import shown_twice
from .language import web_text as _
from .words import source_word


@dataclass(frozen=True)
class Bar:
    """One segment drawn on a tier's line."""

    left: float
    width: float
    label: str
    kind: str  # "gap", "rotation" or "override"
    start: datetime
    end: datetime
    user_id: int | None


@dataclass(frozen=True)
class Line:
    """One tier's segments over the window."""

    tier: int
    bars: list[Bar]


# A date without its year is read as this year's: other years say theirs.
THIS_YEAR_DAY = "%a %m/%d"
OTHER_YEAR_DAY = "%a %m/%d/%Y"


def day_pattern(year: int, this_year: int | None) -> str:
    """Return how a day is written: without its year when it is this year's."""
    return THIS_YEAR_DAY if this_year is None or year == this_year else OTHER_YEAR_DAY


def local_day(stamp: str | None, zone: ZoneInfo) -> str:
    """Return the program's date of an instant stored as ISO text (a record's dumped field)."""
    if not stamp:
        return "—"
    try:
        return datetime.fromisoformat(stamp).astimezone(zone).date().isoformat()
    except (ValueError, OverflowError):  # show what is stored rather than fail the page
        return stamp[:10]


def end_of_day(day: str, zone: ZoneInfo) -> str:
    """Return the last second of a typed date in the program's zone, or the text if no date."""
    try:
        return datetime.combine(date.fromisoformat(day), time(23, 59, 59), zone).isoformat()
    except ValueError:
        return day  # the form's check names it


def local(
    instant: datetime | None,
    zone: ZoneInfo,
    pattern: str | None = None,
    this_year: int | None = None,
    name_pass: bool = False,
) -> str:
    """Format an instant in the program's zone (with its year unless it is `this_year`).

    Pass the program's current year as `this_year` where the reader may meet another
    year's date (a rotation begun in 2020, a shift ending next January): it says its year.
    A time the clocks show twice (the hour repeated at fall-back) says which
    pass it is, with the zone's abbreviation: 01:00 PDT, then 01:00 PST; a
    `pattern` of the caller's does so with `name_pass` (not a form's value).
    """
    if instant is None:
        return "—"
    try:
        reading = instant.astimezone(zone)
        if pattern is None:
            pattern = day_pattern(reading.year, this_year) + " %H:%M"
            if shown_twice(reading):
                pattern += " %Z"
        elif name_pass and shown_twice(reading):
            pattern += " %Z"
        return reading.strftime(pattern)
    except OverflowError:  # a broken stored instant at the edge of time: show it as stored
        return instant.isoformat(timespec="minutes")


def age_words(age: timedelta) -> str:
    """Return an age in plain words: "under 1 min", "45 min", "2 h 10 min", "3 days"."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 1:
        return _("under 1 min")
    if minutes < 60:
        return _("{n} min", n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return _("{hours} h {n} min", hours=hours, n=rest) if rest else _("{n} h", n=hours)
    days = hours // 24
    return _("{n} day", n=days) if days == 1 else _("{n} days", n=days)


def lines(
    segments: list[engine.Segment],
    start: datetime,
    end: datetime,
    names: Mapping[int, str],
    zone: ZoneInfo,
    this_year: int,
    ends: Mapping[int, datetime | None] | None = None,
    begins: Mapping[tuple[int, datetime], datetime] | None = None,
) -> list[Line]:
    """Group segments by tier into lines of bars sized by their share of the window.

    `ends` gives, by tier, when a stretch cut at `end` really ends: its words say
    that, not the window's end (None: "until further notice"). `begins` gives, by
    (tier, start), when a stretch cut at the window's start really began.
    """
    span = (end - start) / timedelta(seconds=1)
    by_tier: dict[int, list[Bar]] = {}
    for segment in segments:
        left = (segment.start - start) / timedelta(seconds=1) / span * 100
        width = (segment.end - segment.start) / timedelta(seconds=1) / span * 100
        began = (begins or {}).get((segment.tier, segment.start), segment.start)
        since = local(began, zone, this_year=this_year)
        until = until_words(segment, end, zone, this_year, ends)
        kind = segment.source or "gap"
        if segment.user_id is None:
            label = _("GAP: nobody, {since} – {until}", since=since, until=until)
        else:
            who = names.get(segment.user_id, "?")
            label = _(
                "{name} ({kind}), {since} – {until}",
                name=who,
                kind=source_word(kind),
                since=since,
                until=until,
            )
        by_tier.setdefault(segment.tier, []).append(
            Bar(
                round(left, 3),
                round(width, 3),
                label,
                kind,
                segment.start,
                segment.end,
                segment.user_id,
            )
        )
    return [Line(tier, bars) for tier, bars in sorted(by_tier.items())]


def until_words(
    segment: engine.Segment,
    end: datetime,
    zone: ZoneInfo,
    this_year: int,
    ends: Mapping[int, datetime | None] | None,
) -> str:
    """Return when a stretch ends, in words: its real end even when the window cuts it."""
    if ends is None or segment.end != end or segment.tier not in ends:
        return local(segment.end, zone, this_year=this_year)
    real = ends[segment.tier]
    return _("until further notice") if real is None else local(real, zone, this_year=this_year)


def day_marks(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[float, str]]:
    """Return (percent, label) of each local midnight in the window, for the ruler."""
    span = (end - start) / timedelta(seconds=1)
    marks = []
    day = start.astimezone(zone).date() + timedelta(days=1)
    while (midnight := datetime.combine(day, time(0), tzinfo=zone)) < end:
        marks.append(
            # Short ("Thu 4"): seven of them share a phone's width without overlapping.
            ((midnight - start) / timedelta(seconds=1) / span * 100, f"{midnight:%a} {day.day}")
        )
        day += timedelta(days=1)
    return marks
