"""Participants, consents, the service plan, providers and charges as the API sees them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, RootModel, ValidationInfo, field_validator

from ..models.participants import ConsentScope, ParticipantStatus, PlanStatus
from .assessment import Need
from .common import (
    QUERY,
    UNIQUE_ITEMS,
    Input,
    Instant,
    Name,
    Output,
    PhoneInput,
    PositiveId,
    each_once,
    kept_if_absent,
)

Alias = Name  # another name the person goes by, held to the same rule
Aliases = Annotated[list[Alias], Field(max_length=20)]
Description = Annotated[str, Field(min_length=1, max_length=500)]
Note = Annotated[str, Field(max_length=2000)]
Phone = Annotated[str, Field(min_length=1, max_length=40)]
Needs = Annotated[list[Need], Field(json_schema_extra=UNIQUE_ITEMS), AfterValidator(each_once)]


class ProviderIn(PhoneInput):
    """A new provider of the directory."""

    name: Name
    phone: Phone | None = None
    needs: Needs = Field(default_factory=list)
    active: bool = True


class ProviderPatch(PhoneInput):
    """Changes to a provider; absent fields stay as they are."""

    name: Name | None = kept_if_absent()
    phone: Phone | None = None
    needs: Needs | None = kept_if_absent()
    active: bool | None = kept_if_absent()


class ProviderOut(Output):
    """A provider."""

    id: PositiveId
    name: str
    phone: str | None
    needs: list[str]
    active: bool


class ParticipantIn(Input):
    """A new participant."""

    name: Name
    aliases: Aliases = Field(default_factory=list)
    date_of_birth: date | None = None
    status: ParticipantStatus = "active"
    case_manager_id: PositiveId | None = None


class ParticipantPatch(Input):
    """Changes to a participant; absent fields stay as they are (null clears the optional)."""

    name: Name | None = kept_if_absent()
    aliases: Aliases | None = kept_if_absent()
    date_of_birth: date | None = None
    status: ParticipantStatus | None = kept_if_absent()
    case_manager_id: PositiveId | None = None


class ConsentIn(Input):
    """Consent to share, by scope, from now (or `given_at`) until `expires_at` if given."""

    scope: ConsentScope
    given_at: Instant | None = None
    expires_at: Instant | None = None


class ConsentOut(Output):
    """A consent record; revoked ones are kept."""

    id: PositiveId
    scope: str
    given_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class PlanEntryIn(Input):
    """One need of the service plan."""

    need: Need
    provider_id: PositiveId | None = None
    status: PlanStatus = "planned"
    started_on: date | None = None
    ended_on: date | None = None
    note: Note | None = None

    @field_validator("ended_on", mode="after")
    @classmethod
    def _in_order(cls, value: date | None, info: ValidationInfo) -> date | None:
        # A field validator, not a model one: the 422 names `ended_on` (SPEC §8).
        started_on = info.data.get("started_on")
        if started_on and value and value < started_on:
            raise ValueError("ended_on is before started_on")
        return value


class PlanEntryPatch(Input):
    """Changes to a plan entry; absent fields stay as they are."""

    need: Need | None = kept_if_absent()
    provider_id: PositiveId | None = None
    status: PlanStatus | None = kept_if_absent()
    started_on: date | None = None
    ended_on: date | None = None
    note: Note | None = None


class PlanEntryOut(Output):
    """A plan entry."""

    id: PositiveId
    need: str
    provider_id: int | None
    status: str
    started_on: date | None
    ended_on: date | None
    note: str | None
    updated_at: datetime


class ChargeIn(Input):
    """A pending charge a prosecutor records."""

    date: date
    description: Description


class ChargeOut(Output):
    """A charge."""

    id: PositiveId
    date: date
    description: str
    recorded_by: int | None
    recorded_at: datetime


class CaseManagerOut(Output):
    """Who to call about a participant."""

    id: PositiveId
    name: str
    phone: str


class ReferralBrief(Output):
    """A participant's referral as anyone who may see the participant sees it."""

    id: PositiveId
    created_at: datetime
    type: str | None


class ParticipantOut(Output):
    """A participant."""

    id: PositiveId
    name: str
    aliases: list[str]
    date_of_birth: date | None
    status: str
    case_manager_id: int | None
    created_at: datetime


class TimelineEntry(Output):
    """One dated thing in a participant's life in the program."""

    at: datetime
    kind: str
    detail: dict[str, object]


class ParticipantDetailOut(ParticipantOut):
    """A participant with referrals, consents, plan, charges and timeline."""

    referrals: list[ReferralBrief]
    consents: list[ConsentOut]
    plan: list[PlanEntryOut]
    charges: list[ChargeOut]
    timeline: list[TimelineEntry]


class ProsecutorParticipantOut(Output):
    """What a prosecutor may see: status only, never clinical content (SPEC §6, §8)."""

    id: PositiveId
    name: str
    status: str
    case_manager: CaseManagerOut | None
    referrals: list[ReferralBrief]
    charges: list[ChargeOut]


class ParticipantSeen(RootModel[ParticipantDetailOut | ProsecutorParticipantOut]):
    """A participant as its reader may see it: the whole record, or the prosecutor's view."""


class ParticipantSeenList(BaseModel):
    """Participants as their reader may see them."""

    items: list[ParticipantDetailOut | ProsecutorParticipantOut]


class ParticipantQuery(Input):
    """`?match=&date_of_birth=`: who a person may already be; `?case_manager_id=&status=`."""

    model_config = QUERY

    match: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    date_of_birth: date | None = None
    case_manager_id: Annotated[str, Field(pattern=r"^[0-9]{1,9}$")] | None = None
    status: ParticipantStatus | None = None
