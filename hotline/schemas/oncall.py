"""Rotations, overrides, on-call and schedule answers as the interfaces see them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator

from ..rotation import DAY_NAMES, MAX_SHIFT_HOURS
from ..rotation.clock import is_zone_name
from .common import (
    IN_DIGITS,
    QUERY,
    Input,
    Instant,
    Name,
    Output,
    PositiveId,
    Tier,
    within_years,
)

DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
LOCAL_START_FORMAT = "%Y-%m-%dT%H:%M"
MAX_SCHEDULE_SPAN = timedelta(days=400)
assert len(DAY_NAMES) == 7


def _zone(name: str) -> str:
    if not is_zone_name(name):
        raise ValueError("not an IANA time zone name (e.g. America/Los_Angeles)")
    ZoneInfo(name)
    return name


def _local_start(text: str) -> str:
    try:
        start = datetime.strptime(text, LOCAL_START_FORMAT)
    except ValueError:  # its own words name strptime's format codes
        raise ValueError("not a real date and 24-hour time (00:00 to 23:59)") from None
    within_years(start)
    return text


def _program_zone_when_absent(value: object, info: ValidationInfo) -> object:
    # SPEC §2: HOTLINE_TIMEZONE is the default for rotations (the API passes it as context).
    if value is None and info.context and info.context.get("timezone"):
        return info.context["timezone"]
    return value


TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_zone)]
LocalStart = Annotated[
    str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"), AfterValidator(_local_start)
]


class WindowIn(Input):
    """A weekly window in the rotation's zone (SPEC §3)."""

    days: Annotated[list[DayName], Field(min_length=1, max_length=7)]
    start: HHMM
    end: HHMM


def _no_null_default(schema: dict[str, Any]) -> None:
    # A string with a null default is invalid OpenAPI: absent means the program's zone.
    schema.pop("default", None)


# A rotation's own fields, answered by GET: one read and sent back whole is no unknown field.
ROTATION_READ_ONLY = frozenset({"id", "created_at", "updated_at", "broken"})


class RotationIn(Input):
    """A whole rotation (POST creates, PUT replaces)."""

    name: Name
    tier: Tier
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0
    timezone: Annotated[
        TimeZoneName,
        BeforeValidator(_program_zone_when_absent),
        Field(validate_default=True, json_schema_extra=_no_null_default),
    ] = None  # type: ignore[assignment]  # filled from the context before it is checked
    start: LocalStart
    shift_hours: Annotated[int, Field(ge=1, le=MAX_SHIFT_HOURS)]
    participants: Annotated[list[PositiveId], Field(min_length=1, max_length=200)]
    windows: list[WindowIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="before")
    @classmethod
    def _without_its_own_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if key not in ROTATION_READ_ONLY}
        return data


class RotationOut(Output):
    """A rotation."""

    id: PositiveId
    name: str
    tier: int
    priority: int
    timezone: str
    start: str
    shift_hours: int
    participants: list[int]
    windows: list[WindowIn]
    broken: str | None = Field(
        default=None, description="why the engine cannot compute it (left out), or null"
    )
    created_at: datetime
    updated_at: datetime


class OverrideIn(Input):
    """An override: `user_id` covers `tier` over [start, end)."""

    user_id: PositiveId
    tier: Tier
    start: Instant
    end: Instant


class OverrideOut(Output):
    """An override."""

    id: PositiveId
    user_id: int
    tier: int
    start: datetime
    end: datetime
    created_at: datetime
    created_by: int | None


class OnCallQuery(Input):
    """`?at=`: the instant to answer for (default now)."""

    model_config = QUERY
    at: Instant | None = None


class ScheduleQuery(Input):
    """`?start=&end=&tier=`: a window of at most 400 days, one tier or all."""

    model_config = QUERY
    start: Instant | None = None
    end: Instant | None = None
    tier: Annotated[Tier, IN_DIGITS] | None = None


class OnCallUser(Output):
    """The person on call, as a caller would meet them."""

    id: int
    name: str
    phone: str


class TierAnswer(Output):
    """One tier's answer at an instant."""

    tier: int
    user: OnCallUser | None
    source: Literal["override", "rotation"] | None
    until: datetime | None


class OnCallOut(Output):
    """Who is on call at `at`, per tier, and the escalation chain's numbers."""

    at: datetime
    tiers: list[TierAnswer]
    chain: list[str]


class SegmentOut(Output):
    """One segment of the final schedule; a gap has null user and source."""

    tier: int
    start: datetime
    end: datetime
    user_id: int | None
    source: Literal["override", "rotation"] | None


class ScheduleOut(Output):
    """The final schedule of the asked tiers."""

    segments: list[SegmentOut]
