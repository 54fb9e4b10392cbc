"""Record every change with who, when, through what, before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .db import table_of
from .models import AuditEvent

# Built once: an audit row is written at once by Core, not kept in the session for a flush.
AUDIT_INSERT = insert(table_of(AuditEvent))

Channel = Literal["api", "cli", "web", "sms", "voice", "system"]


def snapshot(fields: dict[str, Any]) -> dict[str, Any]:
    """Return resource fields as JSON-ready values for the before/after of an event."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}


@dataclass(frozen=True)
class Actor:
    """Who makes a change and through which channel; `user_id` None for the system or CLI."""

    user_id: int | None
    channel: Channel


def record(
    session: Session,
    actor: Actor,
    now: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write one audit event in the session's transaction (committed with the change itself)."""
    values = {
        "at": now,
        "actor_id": actor.user_id,
        "channel": actor.channel,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }
    session.connection().execute(AUDIT_INSERT, values)
