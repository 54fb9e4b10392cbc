"""Record every change with who, when, through what, before and after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from .models import AuditEvent
from .statements import table_of

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
    event = _event(actor, now, action, entity, entity_id, before, after)
    session.connection().execute(AUDIT_INSERT, event)


def record_many(
    session: Session,
    actor: Actor,
    now: datetime,
    action: str,
    entity: str,
    changes: Sequence[tuple[int, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """Write one audit event per (entity_id, before, after), in a single statement."""
    if changes:
        events = [_event(actor, now, action, entity, *change) for change in changes]
        session.connection().execute(AUDIT_INSERT, events)


def _event(
    actor: Actor,
    now: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    """Return an audit event's row."""
    return {
        "at": now,
        "actor_id": actor.user_id,
        "channel": actor.channel,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }
