"""Validation pieces shared by the API, the CLI and the web forms."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
)
from pydantic.functional_validators import field_validator
from pydantic_core import PydanticCustomError

from ..phones import parse_phone
from ..plain_text import has_unspeakable, visible_name
from ..rotation.bounds import YEARS_MESSAGE, year_problem

# Strict: a string is not an integer and a float is not a tier (SPEC §8 "wrong types").
STRICT = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


def _as_it_looks(value: Any) -> Any:
    """Return a typed name without its invisible characters; refuse a control character."""
    if not isinstance(value, str):
        return value  # the type's own check refuses it
    name = visible_name(value)
    if any(unicodedata.category(char) == "Cc" for char in name):
        # Refused, not dropped: "Jo\x0bDoe" from a sheet was two words, and a guess misspells.
        raise ValueError("must not contain a control character (a tab copied from a sheet?)")
    return name


# A person's (or agency's, rotation's) name: the same rule for the API, forms, CLI and
# roster import, so one that is empty once its invisible characters go is refused.
Name = Annotated[str, Field(min_length=1, max_length=200), BeforeValidator(_as_it_looks)]
PositiveId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Tier = Annotated[int, Field(ge=1, le=100)]


def _email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise ValueError("not an email address")
    return value.lower()


# The error type of an instant outside the years the engine computes (SPEC §2).
OUT_OF_YEARS = "out_of_years"


def within_years(value: datetime) -> datetime:
    """Return `value`, or raise the out-of-years error naming the field's bound."""
    if year_problem(value) is not None:
        raise PydanticCustomError(OUT_OF_YEARS, YEARS_MESSAGE)
    return value


# ISO 8601 begins with the year: a bare number, which pydantic would read as seconds since
# 1970 ("20261210" a day in 1970), is refused. Lax inside, for a checked text to be parsed.
_ISO_START = re.compile(r"\s*\d{4}-")
ISO_MESSAGE = "must be an ISO 8601 date and time with an offset, e.g. 2026-03-09T08:00:00-08:00"


def iso_text(value: Any) -> Any:
    """Return `value`, or refuse anything but a datetime or a text beginning as ISO 8601 does."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "Input should be a valid datetime")
    if not _ISO_START.match(value):
        raise PydanticCustomError("datetime_from_number", ISO_MESSAGE)
    return value


Instant = Annotated[
    AwareDatetime, Strict(False), BeforeValidator(iso_text), AfterValidator(within_years)
]


def each_once(values: list[Any]) -> list[Any]:
    """Return `values`, or refuse one listed twice: a subset (needs, risks…) names each once."""
    seen: list[Any] = []
    for value in values:
        if value in seen:
            raise ValueError(f"lists {value} twice: name each value once")
        seen.append(value)
    return values


# What `each_once` checks, as the OpenAPI document says it.
UNIQUE_ITEMS: dict[str, Any] = {"uniqueItems": True}

Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]


def _offers_no_null(schema: dict[str, Any]) -> None:
    # A PATCH refuses null where absent is how a field stays (422 "may not be null"):
    # the document offers only the field's own type, with no null default.
    (kind,) = [kind for kind in schema.pop("anyOf") if kind != {"type": "null"}]
    schema.pop("default", None)
    schema.update(kind)


def kept_if_absent() -> Any:
    """Return the default of a PATCH field that absence keeps and null may not clear."""
    return Field(default=None, json_schema_extra=_offers_no_null)


class Input(BaseModel):
    """A request body: strict types, no unknown fields, no NUL or control characters."""

    model_config = STRICT

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text, and TwiML (XML) cannot carry control
        # characters: refuse them here, with the field named, rather than fail at the
        # database with a 500 or leave a call whose whisper Twilio cannot read.
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain a NUL character")
        if any(isinstance(text, str) and has_unspeakable(text) for text in texts):
            raise ValueError("must not contain a control character (a tab copied from a sheet?)")
        return value


# A query string: the same checks, but its values arrive as text ("42", "1990-05-01").
QUERY = Input.model_config | {"strict": False}
_DIGITS = re.compile(r"[0-9]+")


def _digits_only(value: Any) -> Any:
    """Refuse a query's number not written in digits alone (lax parsing reads "1.0" as 1)."""
    if isinstance(value, str) and not _DIGITS.fullmatch(value.strip()):
        raise PydanticCustomError("whole_number", "Input should be a whole number, in digits")
    return value


# On a query's whole number: "1.0" or "1_0" is refused, not read quietly as 1 or 10.
IN_DIGITS = BeforeValidator(_digits_only)


class Output(BaseModel):
    """A resource as the API returns it."""

    model_config = ConfigDict(from_attributes=True)


class PhoneInput(Input):
    """An input with a `phone` parsed to E.164 in the region given as context."""

    @field_validator("phone", mode="after", check_fields=False)
    @classmethod
    def _e164(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        context = info.context or {}
        number = parse_phone(value, context.get("region", "US"))
        if number == context.get("hotline_number"):
            # Dialled in a chain or a callback, the hotline would take its own call (as a
            # fallback number that is the hotline's is refused at start).
            raise ValueError(
                "this is the hotline's own number: a call put through to it rings the hotline "
                "again; give their own phone"
            )
        return number


def validation_context(config: Any) -> dict[str, Any]:
    """Return what validators need from the app's settings."""
    return {
        "region": config.get("HOTLINE_DEFAULT_REGION", "US"),
        "hotline_number": config.get("HOTLINE_NUMBER"),
        "language": config.get("HOTLINE_LANGUAGE", "en"),
        "timezone": config.get("HOTLINE_TIMEZONE", "America/Los_Angeles"),
    }
