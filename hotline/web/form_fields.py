"""Read HTML form values for the on-call pages, and map schema errors back to form fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..digits import signed_number
from ..i18n import N_
from ..models import User
from .language import web_text

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL

# Plain words for the schema's messages, by pydantic error type.
PLAIN_MESSAGES = {
    "missing": N_("Required."),
    "string_too_short": N_("Required."),
    "too_short": N_("Choose at least one."),
    "string_pattern_mismatch": N_("Use the form shown (e.g. 08:00)."),
    "int_type": N_("Enter a whole number."),
    "literal_error": N_("Choose one of the listed values."),
}

Errors = dict[str, str]


def whole_number(text: str) -> int | None:
    """Return the integer a form field holds, or None."""
    return signed_number(text.strip())


def field_errors(error: ValidationError, field_of: Callable[[tuple[Any, ...]], str]) -> Errors:
    """Return the first plain message of each form field a validation error names."""
    found: Errors = {}
    for problem in error.errors():
        field = field_of(tuple(problem["loc"]))
        plain = PLAIN_MESSAGES.get(problem["type"])
        message = web_text(plain) if plain else problem["msg"]
        message = message.removeprefix("Value error, ")
        found.setdefault(field, message[:1].upper() + message[1:])
    return found


def parse_local(text: str) -> datetime | None:
    """Return the naive local reading of a datetime-local value, or None."""
    try:
        reading = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    # "18.30" (a phone's number pad has no colon) reads as 18:00 and 0.3 s: not 18:30.
    if reading.tzinfo is not None or reading.microsecond:
        return None
    return reading.replace(second=0)


def local_input(instant: datetime, zone: ZoneInfo) -> str:
    """Return an instant as a datetime-local value in the program's zone."""
    return instant.astimezone(zone).strftime(LOCAL_INPUT_FORMAT)


def people(session: Session) -> dict[int, User]:
    """Return every user by id, in name order."""
    return {user.id: user for user in session.scalars(select(User).order_by(User.name, User.id))}
