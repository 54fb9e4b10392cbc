"""The service plan and the charges a prosecutor coordinates with it (SPEC §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..messaging.notices import ChargeRecorded, notify
from ..messaging.recipients import SUPERVISOR_RECIPIENTS, USER_RECIPIENT, Recipient
from ..models import Charge, Participant, PlanEntry, User
from ..permissions import can
from ..schemas.participants import ChargeIn, PlanEntryIn, PlanEntryOut, PlanEntryPatch
from .errors import FieldInvalid, NotFound
from .participants import acting_case_manager, get_participant, require_near_today
from .providers import require_provider

DATE_FIELDS = ("started_on", "ended_on")


def plan_fields(row: PlanEntry) -> dict[str, Any]:
    """Return a plan entry as the API and the audit log show it."""
    return PlanEntryOut.model_validate(row).model_dump(mode="json")


def plan_audit(row: PlanEntry) -> dict[str, Any]:
    """Return what the audit log keeps of a plan entry: no note text."""
    return {**plan_fields(row), "note": "written" if row.note else None}


def add_plan_entry(
    session: Session, participant_id: int, data: PlanEntryIn, actor: Actor, now: datetime
) -> PlanEntry:
    """Add one need to the participant's service plan."""
    get_participant(session, participant_id)
    require_provider(session, data.provider_id, "provider_id")
    for field in DATE_FIELDS:
        require_near_today(getattr(data, field), field, now)
    row = PlanEntry(
        participant_id=participant_id, **data.model_dump(), created_at=now, updated_at=now
    )
    session.add(row)
    session.flush()
    record(session, actor, now, "plan", "participant", participant_id, None, plan_audit(row))
    return row


def update_plan_entry(
    session: Session,
    participant_id: int,
    entry_id: int,
    data: PlanEntryPatch,
    actor: Actor,
    now: datetime,
) -> PlanEntry:
    """Change a plan entry's given fields (null clears the provider, dates or note)."""
    row = session.get(PlanEntry, entry_id)
    if row is None or row.participant_id != participant_id:
        raise NotFound(f"no plan entry {entry_id} of participant {participant_id}")
    before, was = plan_audit(row), plan_fields(row)
    for required in ("need", "status"):
        if required in data.model_fields_set and getattr(data, required) is None:
            raise FieldInvalid("may not be null", required)
    if "provider_id" in data.model_fields_set and data.provider_id != row.provider_id:
        require_provider(session, data.provider_id, "provider_id")
    for name in data.model_fields_set:
        if name in DATE_FIELDS and getattr(data, name) != getattr(row, name):
            require_near_today(getattr(data, name), name, now)
        setattr(row, name, getattr(data, name))
    if row.started_on and row.ended_on and row.ended_on < row.started_on:
        raise FieldInvalid("ended_on is before started_on", "ended_on")
    if plan_fields(row) == was:  # nothing changed: nothing happened to the plan
        return row
    row.updated_at = now
    record(session, actor, now, "plan", "participant", participant_id, before, plan_audit(row))
    return row


def add_charge(
    session: Session,
    participant_id: int,
    data: ChargeIn,
    actor: Actor,
    now: datetime,
    sender: str | None,
) -> Charge:
    """Record a pending charge and text the participant's case manager at once."""
    participant = get_participant(session, participant_id)
    require_near_today(data.date, "date", now)
    row = Charge(
        participant_id=participant_id,
        date=data.date,
        description=data.description,
        recorded_by=actor.user_id,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session, actor, now, "charge", "participant", participant_id, None, {"date": str(data.date)}
    )
    recorder = session.get(User, actor.user_id) if actor.user_id is not None else None
    notice = ChargeRecorded(participant_id, data.date, can(recorder, "prosecutor_view"))
    for reader in charge_readers(session, participant):
        notify(session, notice, reader, sender=sender, now=now, opted_out=reader.opted_out)
    return row


def charge_readers(session: Session, participant: Participant) -> list[Recipient]:
    """Return who coordinates a new charge: the case manager, else every active supervisor.

    A case manager who left, or moved to another role, is not texted.
    """
    if (manager := acting_case_manager(session, participant)) is not None:
        return [Recipient(*session.execute(USER_RECIPIENT, {"user_id": manager.id}).one())]
    return [Recipient(*row) for row in session.execute(SUPERVISOR_RECIPIENTS)]
