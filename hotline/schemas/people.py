"""Users and officers as the interfaces accept and return them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from ..permissions import Role
from .common import Email, Name, Output, PhoneInput, PositiveId, kept_if_absent

Language = Literal["en", "es"]
# Officers key their badge on a phone keypad (SPEC §4.2, §5): digits only.
Badge = Annotated[str, Field(pattern=r"^[0-9]{1,20}$")]
Phone = Annotated[str, Field(min_length=1, max_length=40)]


class ProgramLanguage(PhoneInput):
    """An input whose absent `language` is the program's (HOTLINE_LANGUAGE, given as context)."""

    language: Language | None = Field(default=None, validate_default=True)

    @field_validator("language", mode="after")
    @classmethod
    def _program_default(cls, value: str | None, info: ValidationInfo) -> str:
        return value or str((info.context or {}).get("language", "en"))


class UserCreate(ProgramLanguage):
    """A new coordinator or supervisor."""

    name: Name
    email: Email
    phone: Phone
    role: Role
    active: bool = True


class UserPatch(PhoneInput):
    """Changes to a user; absent fields stay as they are."""

    name: Name | None = kept_if_absent()
    email: Email | None = kept_if_absent()
    phone: Phone | None = kept_if_absent()
    role: Role | None = kept_if_absent()
    active: bool | None = kept_if_absent()
    language: Language | None = kept_if_absent()


class UserOut(Output):
    """A user."""

    id: PositiveId
    name: str
    email: str
    phone: str
    role: Role
    active: bool
    language: Language
    created_at: datetime


class OfficerCreate(ProgramLanguage):
    """A new officer of the roster."""

    name: Name
    badge: Badge
    agency: Name
    phone: Phone


class OfficerPatch(PhoneInput):
    """Changes to an officer; absent fields stay as they are."""

    name: Name | None = kept_if_absent()
    badge: Badge | None = kept_if_absent()
    agency: Name | None = kept_if_absent()
    phone: Phone | None = kept_if_absent()
    language: Language | None = kept_if_absent()
    # False once the officer left the roster: phone and badge are then a stranger's.
    active: bool | None = kept_if_absent()


class OfficerOut(Output):
    """An officer."""

    id: PositiveId
    name: str
    badge: str
    agency: str
    phone: str
    language: Language
    active: bool
    created_at: datetime
