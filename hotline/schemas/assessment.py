"""The brief assessment as the API and the web form take it (SPEC §6, §8)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from .common import UNIQUE_ITEMS, Input, Output, each_once

Offense = Literal["possession", "subsistence_sale", "sex_work", "other", "none"]
Exclusion = Literal[
    "over_weight_limit",
    "dealing_above_subsistence",
    "exploitation_of_minors",
    "promoting_prostitution",
    "under_18",
    "violent_history",
]
Need = Literal[
    "substance_use", "mental_health", "housing", "medical", "food", "documents", "benefits", "other"
]
Risk = Literal["overdose", "self_harm", "medical_emergency"]
Disposition = Literal["accepted", "ineligible", "declined", "unable_to_contact"]
ShortText = Annotated[str, Field(max_length=100)]
# The vocabularies, once: forms and pages list these, the schema checks them.
OFFENSES: tuple[str, ...] = get_args(Offense)
NEEDS: tuple[str, ...] = get_args(Need)
RISKS: tuple[str, ...] = get_args(Risk)
DISPOSITIONS: tuple[str, ...] = get_args(Disposition)

# Self-reported answers as the form offers them, so that the reports count like with like.
# The API still takes other text (an agency's own categories); the reports keep it apart.
DECLINED_TO_SAY = "declined to say"
AGE_RANGES = ("18–24", "25–34", "35–44", "45–54", "55–64", "65 and over", DECLINED_TO_SAY)
GENDERS = ("woman", "man", "non-binary", "another gender", DECLINED_TO_SAY)
RACE_ETHNICITIES = (
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Hispanic or Latino",
    "Middle Eastern or North African",
    "Native Hawaiian or Pacific Islander",
    "White",
    "Multiracial",
    "Another race or ethnicity",
    DECLINED_TO_SAY,
)


class AssessmentIn(Input):
    """A brief assessment; 422 rules beyond types live in the service."""

    offense: Offense
    exclusions: Annotated[
        list[Exclusion],
        Field(max_length=6, json_schema_extra=UNIQUE_ITEMS),
        AfterValidator(each_once),
    ] = Field(default_factory=list)
    consent_confirmed: bool
    needs: Annotated[
        list[Need], Field(max_length=8, json_schema_extra=UNIQUE_ITEMS), AfterValidator(each_once)
    ] = Field(default_factory=list)
    risks: Annotated[
        list[Risk], Field(max_length=3, json_schema_extra=UNIQUE_ITEMS), AfterValidator(each_once)
    ] = Field(default_factory=list)
    services: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=300)]], Field(max_length=30)
    ] = Field(default_factory=list)
    disposition: Disposition
    age_range: ShortText | None = None
    gender: ShortText | None = None
    race_ethnicity: ShortText | None = None
    notes: Annotated[str, Field(max_length=10_000)] | None = None
    # With `accepted`: the participant this person already is (picked from the suggestions).
    participant_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


class AssessmentOut(Output):
    """A saved assessment version."""

    id: int
    offense: Offense
    exclusions: list[Exclusion]
    consent_confirmed: bool
    needs: list[Need]
    risks: list[Risk]
    services: list[str]
    disposition: Disposition
    age_range: str | None
    gender: str | None
    race_ethnicity: str | None
    notes: str | None
    completed_by: int
    completed_at: datetime


class AssessmentSaved(AssessmentOut):
    """A version just saved, with the participant an accepted referral now belongs to."""

    participant_id: int | None = Field(
        description="the participant the referral belongs to (accepted), else null"
    )
