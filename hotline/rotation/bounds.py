"""The years the engine computes in, and what makes a stored rotation or override uncomputable.

SPEC §2 accepts instants between the years 1900 and 2200. Inputs are checked
against these bounds where they are parsed; rows that reached the database
some other way (an older version, a hand edit) are checked again when the
program is loaded, so one of them never stops the rest from being computed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .handoff import handoff_instant
from .model import Override, Rotation

MIN_YEAR = 1900
MAX_YEAR = 2200
YEARS_MESSAGE = f"must be between the years {MIN_YEAR} and {MAX_YEAR}"
# A stored instant is UTC: one typed at the bounds in another offset may lie up to a day past.
_OFFSET_SLACK = timedelta(days=1)
EARLIEST_STORED = datetime(MIN_YEAR, 1, 1, tzinfo=UTC) - _OFFSET_SLACK
LATEST_STORED = datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC) + _OFFSET_SLACK


def year_problem(value: datetime) -> str | None:
    """Return why a datetime (as written, in its own offset) is out of bounds, or None."""
    if MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    return f"{format_local(value.replace(tzinfo=None))} is outside the years {MIN_YEAR}–{MAX_YEAR}"


def format_local(value: datetime) -> str:
    """Return a naive local reading as YYYY-MM-DDTHH:MM, always with a 4-digit year."""
    return value.isoformat(timespec="minutes")


def rotation_problem(rotation: Rotation) -> str | None:
    """Return why the engine cannot compute a rotation, or None when it can."""
    if (problem := year_problem(rotation.start)) is not None:
        return f"start {problem}"
    try:
        handoff_instant(rotation, 0)
    except (OverflowError, ValueError) as error:
        return f"its first hand-off cannot be computed ({error})"
    return None


def override_problem(override: Override) -> str | None:
    """Return why the engine cannot compute an override, or None when it can."""
    for name, value in (("start", override.start), ("end", override.end)):
        if value.tzinfo is None:
            return f"{name} has no time zone"
        if not EARLIEST_STORED <= value < LATEST_STORED:
            return f"{name} {year_problem(value)}"  # past the slack, the year itself is out
    if override.end <= override.start:
        return "its end is not after its start"
    return None
