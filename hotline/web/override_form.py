"""The override form: "A covers for B from … to …", its defaults, its check by OverrideIn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pydantic import ValidationError

from .. import rotation as engine
from ..rotation.bounds import MAX_YEAR, MIN_YEAR, year_problem
from ..schemas.oncall import OverrideIn
from ..services.local_times import (
    LocalTime,
    Said,
    pass_words,
    read_local,
    saved_words,
    span_problem,
)
from .form_fields import (
    LOCAL_INPUT_FORMAT,
    Errors,
    field_errors,
    local_input,
    parse_local,
    whole_number,
)
from .language import web_text as _
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
    # Which pass of a repeated fall-back hour start or end means, as "<reading> first" or
    # "<reading> second": chosen on the page, or set when filled from a shift with an edge
    # there. It binds to the reading it was made for: a time changed since is unchosen.
    start_pass: str = ""
    end_pass: str = ""

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> OverrideForm:
        """Return the form from posted fields or a query string (`for` names B)."""
        text = {name: values.get(name, "").strip() for name in ("user", "tier", "start", "end")}
        for name in ("start", "end"):
            # The page sends a date and a 24-hour time apart; scripts may send one value.
            day, clock = values.get(f"{name}_date", ""), values.get(f"{name}_time", "")
            if not text[name] and (day or clock):
                text[name] = f"{day.strip()}T{clock.strip()}"
        passes = {
            f"{name}_pass": values.get(f"{name}_pass", "").strip() for name in ("start", "end")
        }
        return cls(**text, **passes, for_user=values.get("for", "").strip())

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
        self.start_pass = pass_of(shift.start, zone)
        self.end_pass = pass_of(shift.end, zone)
        return True

    def readings(self, zone: ZoneInfo) -> dict[str, LocalTime]:
        """Return the start and end typed (those that read as dates in range) as saved."""
        found = {}
        for name in ("start", "end"):
            reading = parse_local(getattr(self, name))
            if reading is not None and year_problem(reading) is None:
                found[name] = read_local(reading, zone, self.chosen(name, reading) == "second")
        return found

    def chosen(self, name: str, reading: datetime) -> str:
        """Return the pass chosen for start or end ("first", "second"), "" when none is."""
        chosen_for, _, which = getattr(self, f"{name}_pass").rpartition(" ")
        fits = which in ("first", "second") and parse_local(chosen_for) == reading
        return which if fits else ""

    def passes(self, zone: ZoneInfo) -> dict[str, dict[str, str]]:
        """Return, for a start or end in a repeated hour, its two passes in words and the choice."""
        found = {}
        for name, time in self.readings(zone).items():
            if time.passes is not None:
                typed = time.reading.strftime(LOCAL_INPUT_FORMAT)
                first, second = (pass_words(instant, zone) for instant in time.passes)
                chosen = self.chosen(name, time.reading)
                found[name] = {"typed": typed, "first": first, "second": second, "chosen": chosen}
        return found

    def unchosen(self, zone: ZoneInfo) -> Errors:
        """Return, per start or end in a repeated hour with no pass chosen, what to choose."""
        return {
            name: _("{twice}: choose which.", twice=say(time.twice))
            for name, time in self.readings(zone).items()
            if time.passes is not None and time.twice and not self.chosen(name, time.reading)
        }

    def dst_notes(self, zone: ZoneInfo) -> list[str]:
        """Return, in words, how a skipped or repeated local time is saved (none when plain)."""
        times = self.readings(zone)
        unchosen = self.unchosen(zone)
        notes: list[str] = [
            _(
                "{twice}: choose which before saving (this preview shows the first).",
                twice=say(time.twice),
            )
            if name in unchosen and time.twice
            else say(time.note)
            for name, time in times.items()
            if time.note
        ]
        if notes and len(times) == 2 and not span_problem(times["start"], times["end"], zone):
            notes.append(say(saved_words(times["start"], times["end"], zone)))
        return notes

    def check(self, zone: ZoneInfo) -> OverrideIn | Errors:
        """Return the override these fields describe, or an error message per form field."""
        errors: Errors = {}
        user_id, tier = whole_number(self.user), whole_number(self.tier)
        if user_id is None:
            errors["user"] = _("Choose who covers.")
        if tier is None:
            errors["tier"] = _("Enter a whole number.")
        times = self.readings(zone)
        for name in ("start", "end"):
            reading = parse_local(getattr(self, name))
            if reading is None:
                errors[name] = _("Enter a date and a 24-hour time, e.g. 18:30.")
            elif year_problem(reading) is not None:
                errors[name] = _(
                    "Enter a date between the years {first} and {last}.",
                    first=MIN_YEAR,
                    last=MAX_YEAR,
                )
        if len(times) == 2 and (problem := span_problem(times["start"], times["end"], zone)):
            errors["end"] = say(problem)
        if errors:
            return errors
        try:
            # Kept in the program's zone, so the schema checks the year as typed.
            instants = {name: time.instant.astimezone(zone) for name, time in times.items()}
            data = OverrideIn.model_validate({"user_id": user_id, "tier": tier, **instants})
        except ValidationError as error:
            return field_errors(error, form_field)
        # Then in UTC: two times held in one zone compare as readings, blind to the pass
        # (01:00 PDT to 01:00 PST, an hour, compared as no time at all).
        return data.model_copy(
            update={"start": data.start.astimezone(UTC), "end": data.end.astimezone(UTC)}
        )


def say(words: Said) -> Markup:
    """Return a sentence the local-time service wrote, from the web catalog."""
    blanks = {name: say(b) if isinstance(b, Said) else b for name, b in words.blanks}
    return _(words.sentence, **blanks)


def form_field(loc: tuple[Any, ...]) -> str:
    """Return the form field a schema error location points at."""
    name = str(loc[0]) if loc else "form"
    return FORM_FIELD.get(name, name)


def pass_of(instant: datetime, zone: ZoneInfo) -> str:
    """Return "<reading> first|second" for an instant in a repeated hour, else ""."""
    reading = local_input(instant, zone)
    local = parse_local(reading)
    if local is None or (passes := read_local(local, zone).passes) is None:
        return ""
    second = passes[1] == instant.replace(second=0, microsecond=0)
    return f"{reading} {'second' if second else 'first'}"


def cover_query(
    user_id: int | None, tier: int, start: datetime, end: datetime, zone: ZoneInfo
) -> dict[str, object]:
    """Return the override form's query to cover [start, end) ("find cover", "fill this gap").

    A time in a repeated hour names its pass: 01:30 alone could be either, and
    the cover would end an hour early or late.
    """
    query: dict[str, object] = {
        "for": user_id or "",
        "tier": tier,
        "start": local_input(start, zone),
        "end": local_input(end, zone),
    }
    for name, instant in (("start", start), ("end", end)):
        if which := pass_of(instant, zone):
            query[f"{name}_pass"] = which
    return query
