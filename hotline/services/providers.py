"""The program's directory of treatment and service providers (SPEC §6, §8 `/providers`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit import Actor, record, snapshot
from ..models import Provider
from ..schemas.participants import ProviderIn, ProviderOut, ProviderPatch
from .errors import FieldInvalid, NotFound


def provider_fields(row: Provider) -> dict[str, Any]:
    """Return a provider as the API and the audit log show it."""
    return ProviderOut.model_validate(row).model_dump(mode="json")


def list_providers(session: Session, need: str | None = None) -> list[Provider]:
    """Return the providers by name, those serving `need` only when it is given."""
    # In name order whatever the case: by the letters' codes, as SQLite sorts, "iCare
    # Clinic" came after "Zeta" (and PostgreSQL's collation put it first).
    by_name = (func.lower(Provider.name), Provider.name, Provider.id)
    rows = session.scalars(select(Provider).order_by(*by_name)).all()
    return [row for row in rows if need is None or need in row.needs]


def get_provider(session: Session, provider_id: int) -> Provider:
    """Return a provider or raise NotFound."""
    row = session.get(Provider, provider_id)
    if row is None:
        raise NotFound(f"no provider with id {provider_id}")
    return row


def require_provider(session: Session, provider_id: int | None, field: str) -> None:
    """Refuse an unknown or inactive provider inside a body (422 naming the field).

    An inactive provider stays in the directory for the entries that had them,
    but takes no new ones (the web form does not offer them either).
    """
    if provider_id is None:
        return
    row = session.get(Provider, provider_id)
    if row is None:
        raise FieldInvalid(f"no provider with id {provider_id}", field)
    if not row.active:
        raise FieldInvalid(f"provider {provider_id} is inactive", field)


def create_provider(session: Session, data: ProviderIn, actor: Actor, now: datetime) -> Provider:
    """Add a provider to the directory."""
    row = Provider(**data.model_dump(), created_at=now)
    session.add(row)
    session.flush()
    record(session, actor, now, "create", "provider", row.id, None, snapshot(provider_fields(row)))
    return row


def update_provider(
    session: Session, provider_id: int, data: ProviderPatch, actor: Actor, now: datetime
) -> Provider:
    """Change a provider's given fields."""
    row = get_provider(session, provider_id)
    before = snapshot(provider_fields(row))
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name != "phone":
            raise FieldInvalid("may not be null", name)
        setattr(row, name, value)
    after = snapshot(provider_fields(row))
    if after == before:  # sent back as it was: nothing happened to the directory
        return row
    record(session, actor, now, "update", "provider", row.id, before, after)
    return row
