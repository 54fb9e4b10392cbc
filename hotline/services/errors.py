"""Domain errors that every interface (API, CLI, web) turns into its own words."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; `field` names the offending input, if any."""

    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldInvalid(DomainError):
    """A field fails validation, an unknown id inside a body included (422)."""

    code = "invalid"


class Conflict(DomainError):
    """A clash with other rows: a uniqueness clash, or removing the last supervisor (409)."""

    code = "conflict"


class NotFound(DomainError):
    """No such resource (404)."""

    code = "not_found"
