"""The override form: "A covers for B from … to …", its defaults, its check by OverrideIn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from .. import rotation as engine
from ..rotation.bounds import MAX_YEAR, MIN_YEAR, year_problem
from ..schemas.oncall import OverrideIn
from ..services.local_times import LocalTime, read_local, saved_words, span_problem
from .form_fields import Errors, field_errors, local_input, parse_local, whole_number
from .preview import next_shift

# Schema fields shown under another form field's name.
FORM_FIELD = {"user_id": "user"}


@dataclass
class OverrideForm:
    """The fields as typed: who covers, for whom, which tier, from and to (local times)."""

    user: str = ""
    for_user: str = ""
    tier: str = ""
    start: str = ""
    end: str = ""
    # The reading of start or end meant as the second pass of a repeated fall-back hour:
    # set when filled from a shift that has an edge there, kept while that time is kept.
    start_second: str = ""
    end_second: str = ""

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> OverrideForm:
        """Return the form from posted fields or a query string (`for` names B)."""
        text = {name: values.get(name, "").strip() for name in ("user", "tier", "start", "end")}
        for name in ("start", "end"):
            # The page sends a date and a 24-hour time apart; scripts may send one value.
            day, clock = values.get(f"{name}_date", ""), values.get(f"{name}_time", "")
            if not text[name] and (day or clock):
                text[name] = f"{day.strip()}T{clock.strip()}"
        seconds = {
            f"{name}_second": values.get(f"{name}_second", "").strip() for name in ("start", "end")
        }
        return cls(**text, **seconds, for_user=values.get("for", "").strip())

    def day_of(self, name: str) -> str:
        """Return the date part of the typed start or end, for the date field."""
        return self._parts(name)[0]

    def clock_of(self, name: str) -> str:
        """Return the time part of the typed start or end, for the 24-hour field."""
        return self._parts(name)[1][:5]

    def _parts(self, name: str) -> tuple[str, str]:
        typed: str = getattr(self, name)
        day, _, clock = typed.replace(" ", "T").partition("T")
        return day, clock

    @property
    def covered(self) -> int | None:
        """Return B, the person whose shift is covered, if one is chosen."""
        return whole_number(self.for_user) if self.for_user else None

    def fill_from_shift(self, program: engine.Program, now: datetime, zone: ZoneInfo) -> bool:
        """Set tier, start and end to B's current or next shift; tell whether B has one."""
        if self.covered is None:
            return False
        tier = whole_number(self.tier) if self.tier else None
        # The tier typed first; failing that, B's next shift on any tier.
        shift = next_shift(program, self.covered, tier, now)
        if shift is None and tier is not None:
            shift = next_shift(program, self.covered, None, now)
        if shift is None:
            return False
        self.tier = str(shift.tier)
        self.start, self.end = local_input(shift.start, zone), local_input(shift.end, zone)
        self.start_second = second_pass(shift.start, zone)
        self.end_second = second_pass(shift.end, zone)
        return True

    def readings(self, zone: ZoneInfo) -> dict[str, LocalTime]:
        """Return the start and end typed (those that read as dates in range) as saved."""
        found = {}
        for name in ("start", "end"):
            reading = parse_local(getattr(self, name))
            if reading is not None and year_problem(reading) is None:
                second = reading == parse_local(getattr(self, f"{name}_second"))
                found[name] = read_local(reading, zone, second)
        return found

    def dst_notes(self, zone: ZoneInfo) -> list[str]:
        """Return, in words, how a skipped or repeated local time is saved (none when plain)."""
        times = self.readings(zone)
        notes = [time.note for time in times.values() if time.note]
        if notes and len(times) == 2 and not span_problem(times["start"], times["end"], zone):
            notes.append(saved_words(times["start"], times["end"], zone))
        return notes

    def check(self, zone: ZoneInfo) -> OverrideIn | Errors:
        """Return the override these fields describe, or an error message per form field."""
        errors: Errors = {}
        user_id, tier = whole_number(self.user), whole_number(self.tier)
        if user_id is None:
            errors["user"] = "Choose who covers."
        if tier is None:
            errors["tier"] = "Enter a whole number."
        times = self.readings(zone)
        for name in ("start", "end"):
            reading = parse_local(getattr(self, name))
            if reading is None:
                errors[name] = "Enter a date and a 24-hour time, e.g. 18:30."
            elif year_problem(reading) is not None:
                errors[name] = f"Enter a date between the years {MIN_YEAR} and {MAX_YEAR}."
        if len(times) == 2 and (problem := span_problem(times["start"], times["end"], zone)):
            errors["end"] = problem
        if errors:
            return errors
        try:
            # Kept in the program's zone, so the schema checks the year as typed.
            instants = {name: time.instant.astimezone(zone) for name, time in times.items()}
            return OverrideIn.model_validate({"user_id": user_id, "tier": tier, **instants})
        except ValidationError as error:
            return field_errors(error, form_field)


def form_field(loc: tuple[Any, ...]) -> str:
    """Return the form field a schema error location points at."""
    name = str(loc[0]) if loc else "form"
    return FORM_FIELD.get(name, name)


def second_pass(instant: datetime, zone: ZoneInfo) -> str:
    """Return the instant's reading if it is the second pass of a repeated hour, else ""."""
    reading = local_input(instant, zone)
    local = parse_local(reading)
    if local is None:
        return ""
    first, later = read_local(local, zone).instant, read_local(local, zone, True).instant
    repeated = first != later
    return reading if repeated and later == instant.replace(second=0, microsecond=0) else ""


def cover_query(
    user_id: int | None, tier: int, start: datetime, end: datetime, zone: ZoneInfo
) -> dict[str, object]:
    """Return the override form's query to cover [start, end) ("find cover", "fill this gap").

    A time in the second pass of a repeated hour is named as such: read alone,
    01:30 is the first 01:30, and the cover would end an hour early.
    """
    query: dict[str, object] = {
        "for": user_id or "",
        "tier": tier,
        "start": local_input(start, zone),
        "end": local_input(end, zone),
    }
    for name, instant in (("start", start), ("end", end)):
        if second := second_pass(instant, zone):
            query[f"{name}_second"] = second
    return query
