"""The rotation editor's form: its fields, its edit buttons, and its check against RotationIn."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from ..i18n import N_
from ..models import Rotation, User
from ..permissions import holders
from ..rotation import DAY_NAMES, MAX_SHIFT_HOURS
from ..schemas.oncall import RotationIn
from ..services.program_store import readable_window
from .form_fields import Errors, field_errors, whole_number
from .language import web_text as _
from .words import role_word

UNIT_HOURS = {"hours": 1, "days": 24, "weeks": 168}
# Each unit as the form's unit box offers it.
UNIT_NAMES = {"hours": N_("hours"), "days": N_("days"), "weeks": N_("weeks")}
# A length in each unit, one and more than one.
UNIT_WORDS = {
    "hours": (N_("{n} hour"), N_("{n} hours")),
    "days": (N_("{n} day"), N_("{n} days")),
    "weeks": (N_("{n} week"), N_("{n} weeks")),
}
COMMON_ZONES = (
    ("America/New_York", N_("Eastern")),
    ("America/Chicago", N_("Central")),
    ("America/Denver", N_("Mountain")),
    ("America/Phoenix", N_("Arizona (no DST)")),
    ("America/Los_Angeles", N_("Pacific")),
    ("America/Anchorage", N_("Alaska")),
    ("Pacific/Honolulu", N_("Hawaii")),
    ("America/Puerto_Rico", N_("Puerto Rico")),
)
TEXT_FIELDS: tuple[str, ...] = ("name", "tier", "priority", "timezone", "timezone_other")
TEXT_FIELDS += ("start_date", "start_time", "shift_length", "shift_unit")
# What to say when a list is empty or wrong, by (the end of) the form field's name.
EMPTY_LIST = {
    "participants": N_("Add at least one participant."),
    "days": N_("Choose at least one day."),
}
# Schema fields shown under another form field's name.
FORM_FIELD = {"shift_hours": "shift_length", "participants": "participants", "windows": "windows"}


@dataclass
class WindowRow:
    """One weekly window as typed: checked days, start and end times."""

    days: list[str] = field(default_factory=list)
    start: str = "08:00"
    end: str = "17:00"


@dataclass
class RotationForm:
    """Every field of the editor as the browser sent it, before any checking."""

    name: str = ""
    tier: str = "1"
    priority: str = "0"
    timezone: str = ""
    timezone_other: str = ""
    start_date: str = ""
    start_time: str = "08:00"
    shift_length: str = "1"
    shift_unit: str = "days"
    windows: list[WindowRow] = field(default_factory=list)
    participants: list[int] = field(default_factory=list)

    @classmethod
    def blank(cls, zone: str, today: date) -> RotationForm:
        """Return the form of a new rotation: daily 08:00 hand-offs from today."""
        return cls(timezone=zone, start_date=today.isoformat())

    @classmethod
    def of(cls, row: Rotation) -> RotationForm:
        """Return the form showing a stored rotation."""
        unit = next(u for u in ("weeks", "days", "hours") if row.shift_hours % UNIT_HOURS[u] == 0)
        return cls(
            name=row.name,
            tier=str(row.tier),
            priority=str(row.priority),
            timezone=row.timezone,
            start_date=row.start_local.date().isoformat(),
            start_time=row.start_local.strftime("%H:%M"),
            shift_length=str(row.shift_hours // UNIT_HOURS[unit]),
            shift_unit=unit,
            windows=[
                WindowRow(list(w["days"]), w["start"], w["end"])
                for w in row.windows
                if readable_window(w)  # a hand-edited one is dropped: saving mends the row
            ],
            participants=[p.user_id for p in row.participants],
        )

    @classmethod
    def from_request(cls, form: MultiDict[str, str]) -> RotationForm:
        """Return the form as posted."""
        count = whole_number(form.get("window_count", "0")) or 0
        windows = [
            WindowRow(
                [d for d in form.getlist(f"window-{i}-days") if d in DAY_NAMES],
                form.get(f"window-{i}-start", ""),
                form.get(f"window-{i}-end", ""),
            )
            for i in range(min(max(count, 0), 50))
        ]
        participants = [
            number
            for text in form.getlist("participant")
            if (number := whole_number(text)) is not None and number > 0
        ]
        text = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
        return cls(**text, windows=windows, participants=participants)

    @property
    def zone(self) -> str:
        """Return the zone chosen: the typed one when given, else the listed one."""
        return self.timezone_other or self.timezone

    def edit(self, action: str, added: str, users: Container[int]) -> bool:
        """Apply an edit button (reorder, add, remove); tell whether `action` was one."""
        verb, _, index_text = action.partition(":")
        index = whole_number(index_text) if index_text else None
        rows = self.participants
        if verb == "add-participant":
            user_id = whole_number(added)
            if user_id is not None and user_id in users:
                rows.append(user_id)
        elif verb == "add-window":
            self.windows.append(WindowRow())
        elif index is None:
            return False
        elif verb == "up" and 0 < index < len(rows):
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
        elif verb == "down" and 0 <= index < len(rows) - 1:
            rows[index], rows[index + 1] = rows[index + 1], rows[index]
        elif verb == "remove" and 0 <= index < len(rows):
            del rows[index]
        elif verb == "remove-window" and 0 <= index < len(self.windows):
            del self.windows[index]
        elif verb not in ("up", "down", "remove", "remove-window"):
            return False
        return True

    def off_the_phones(self, users: Mapping[int, User]) -> str | None:
        """Return, naming them, why a participant who no longer takes calls cannot be saved."""
        for user_id in self.participants:
            user = users.get(user_id)
            if user is not None and user.role not in holders("take_calls"):
                return _(
                    "{name} is a {role} now: only coordinators and supervisors go on call. "
                    "Remove them to save.",
                    name=user.name,
                    role=role_word(user.role),
                )
        return None

    def check(self) -> RotationIn | Errors:
        """Return the rotation these fields describe, or an error message per form field."""
        errors: Errors = {}
        numbers: dict[str, Any] = {}
        for name in ("tier", "priority", "shift_length"):
            numbers[name] = whole_number(getattr(self, name))
            if numbers[name] is None:
                errors[name] = _("Enter a whole number.")
        if self.shift_unit not in UNIT_HOURS:
            errors["shift_length"] = _("Choose hours, days or weeks.")
        elif (numbers["shift_length"] or 0) * UNIT_HOURS[self.shift_unit] > MAX_SHIFT_HOURS:
            # In the units typed: the schema's limit is in hours, which nobody typed.
            errors["shift_length"] = _(
                "A shift lasts at most 365 days (52 weeks and a day, {most} hours):"
                " {typed} is longer.",
                most=MAX_SHIFT_HOURS,
                typed=length_words(numbers["shift_length"], self.shift_unit),
            )
        if not self.start_date or not self.start_time:
            errors["start"] = _("Enter the date and time of the first hand-off.")
        values = {
            "name": self.name,
            "tier": numbers["tier"] if numbers["tier"] is not None else self.tier,
            "priority": numbers["priority"] if numbers["priority"] is not None else self.priority,
            "timezone": self.zone,
            "start": f"{self.start_date}T{self.start_time[:5]}",
            "shift_hours": (numbers["shift_length"] or 0) * UNIT_HOURS.get(self.shift_unit, 1),
            "participants": self.participants,
            "windows": [
                {"days": w.days, "start": w.start[:5], "end": w.end[:5]} for w in self.windows
            ],
        }
        try:
            data = RotationIn.model_validate(values)
        except ValidationError as error:
            for name, message in field_errors(error, form_field).items():
                empty = EMPTY_LIST.get(name.split("-")[-1])
                errors.setdefault(name, _(empty) if empty else message)
            return errors
        return errors or data


def form_field(loc: tuple[Any, ...]) -> str:
    """Return the form field a schema error location points at."""
    if not loc:
        return "form"
    if loc[0] == "windows" and len(loc) >= 3:
        return f"window-{loc[1]}-{loc[2]}"
    return FORM_FIELD.get(str(loc[0]), str(loc[0]))


def shift_words(hours: int) -> str:
    """Return a shift length in words, e.g. "1 day" or "36 hours"."""
    unit = next(u for u in ("weeks", "days", "hours") if hours % UNIT_HOURS[u] == 0)
    return length_words(hours // UNIT_HOURS[unit], unit)


def length_words(count: int, unit: str) -> str:
    """Return a count of hours, days or weeks in words, e.g. "1 day" or "3 weeks"."""
    one, more = UNIT_WORDS[unit]
    return _(one if count == 1 else more, n=count)


def window_words(window: dict[str, Any]) -> str:
    """Return a weekly window in words, e.g. "Mon Tue 08:00–17:00"."""
    if not readable_window(window):
        return _("(unreadable window)")
    days = " ".join(day.capitalize() for day in DAY_NAMES if day in window["days"])
    if window["start"] == window["end"]:
        return _("{days} all day from {start}", days=days, start=window["start"])
    return f"{days} {window['start']}–{window['end']}"
