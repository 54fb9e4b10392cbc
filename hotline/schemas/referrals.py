"""Referrals, calls and messages as the API returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ..models.messages import MessageStatus
from ..models.referrals import Status
from .assessment import AssessmentOut
from .common import IN_DIGITS, QUERY, Input, Instant, Name, Output

Channel = Literal["voice", "sms", "web", "api", "cli", "system"]


class ReferralOut(Output):
    """A referral (SPEC §8)."""

    id: int
    channel: Literal["voice", "sms", "web"]
    type: Literal["arrest_diversion", "social_contact"] | None
    offense: Literal["possession", "subsistence_sale", "sex_work", "other"] | None
    status: Status
    officer_id: int | None
    badge: str | None
    officer_phone: str | None
    participant_name: str | None
    location: str | None
    consent_at: datetime | None
    consent_by: int | None
    created_at: datetime
    acknowledged_by: int | None
    acknowledged_at: datetime | None
    call_outcome: Literal["answered", "voicemail", "abandoned"] | None
    answered_by: int | None
    recording_url: str | None


class EventOut(Output):
    """One event of a referral's timeline."""

    at: datetime
    kind: str
    actor_id: int | None
    channel: Channel
    detail: dict[str, Any] | None


class ReferralDetailOut(ReferralOut):
    """A referral with its timeline and its latest assessment."""

    events: list[EventOut]
    assessment: AssessmentOut | None
    assessment_versions: int


class ReferralQuery(Input):
    """`?status=&since=`."""

    model_config = QUERY
    status: Status | None = None
    since: Instant | None = None


class LegOut(Output):
    """One dialled step of a call."""

    number: str
    user_id: int | None
    outcome: Literal["accepted", "declined", "no-answer", "busy", "failed", "canceled"] | None
    at: datetime


class CallOut(Output):
    """A call to the hotline with its legs (SPEC §8)."""

    id: int
    call_sid: str
    from_: str = Field(alias="from")
    to: str
    officer_id: int | None
    status: str
    call_outcome: Literal["answered", "voicemail", "abandoned"] | None
    answered_by: int | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration: int | None
    recording_url: str | None
    recording_duration: int | None
    referral_id: int | None
    legs: list[LegOut]


class SinceQuery(Input):
    """`?since=`."""

    model_config = QUERY
    since: Instant | None = None


class MessageOut(Output):
    """One text in or out (SPEC §8)."""

    id: int
    direction: Literal["in", "out"]
    from_: str = Field(alias="from")
    to: str
    body: str | None
    status: MessageStatus
    message_sid: str | None
    referral_id: int | None
    created_at: datetime
    # What it costs: SMS segments, and GSM-7 or UCS-2 (an accent outside GSM-7 makes UCS-2).
    segments: int
    encoding: Literal["GSM-7", "UCS-2"]


def _plus_unescaped(value: Any) -> Any:
    """Put back the '+' of `?phone=+44…` written unescaped: the query string reads it as a space."""
    if isinstance(value, str) and value[:1] == " " and value.lstrip()[:1].isdigit():
        return "+" + value.lstrip()
    return value


class MessageQuery(Input):
    """`?phone=&since=&after_id=`."""

    model_config = QUERY
    phone: Annotated[str, BeforeValidator(_plus_unescaped)] | None = Field(
        default=None, max_length=40
    )
    since: Instant | None = None
    after_id: Annotated[int, Field(ge=0, le=2**31 - 1), IN_DIGITS] | None = None


ReferralType = Literal["arrest_diversion", "social_contact"]
ReferralOffense = Literal["possession", "subsistence_sale", "sex_work", "other"]


class ReferralCompletionIn(Input):
    """`PATCH /referrals/<id>`: the fields a call leaves blank; null or absent means unchanged."""

    type: ReferralType | None = None
    offense: ReferralOffense | None = None
    participant_name: Name | None = None
    location: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    consent: bool | None = None
