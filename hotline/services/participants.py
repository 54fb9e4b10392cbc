"""Participants: who they are, who manages them, and what may be shared (SPEC §6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..models import Consent, Participant, User
from ..permissions import can
from ..schemas.participants import ConsentIn, ParticipantIn, ParticipantPatch
from ..statements import updated_one_row
from .errors import Conflict, FieldInvalid, NotFound

# A birth date is from 1900 to today; plan, charge and consent dates lie near today (README).
EARLIEST_BIRTH = date(1900, 1, 1)
DAYS_BACK, DAYS_AHEAD = 3653, 731  # ten years before today, two years after it
# Where the day starts first (UTC+14): no birth date that is today somewhere is refused.
EARLIEST_ZONE = timedelta(hours=14)


def require_birth_date(value: date | None, now: datetime) -> None:
    """Refuse a birth date before 1900 or still to come (422 naming `date_of_birth`)."""
    if value is None:
        return
    if value < EARLIEST_BIRTH:
        raise FieldInvalid("a birth date must be in 1900 or later", "date_of_birth")
    if value > (now.astimezone(UTC) + EARLIEST_ZONE).date():
        raise FieldInvalid("a birth date cannot be after today", "date_of_birth")


def require_near_today(value: date | None, field: str, now: datetime) -> None:
    """Refuse a plan, charge or consent date over ten years before today or two after (422)."""
    if value is None:
        return
    if (
        not now.date() - timedelta(days=DAYS_BACK)
        <= value
        <= now.date() + timedelta(days=DAYS_AHEAD)
    ):
        raise FieldInvalid(
            "must be within ten years before today and two years after it (a typo in the year?)",
            field,
        )


def participant_audit(row: Participant) -> dict[str, Any]:
    """Return what the audit log keeps of a participant: no name, alias or birth date."""
    return {
        "status": row.status,
        "case_manager_id": row.case_manager_id,
        "name": "written",
        "aliases": len(row.aliases),
        "date_of_birth": "written" if row.date_of_birth else None,
    }


def get_participant(session: Session, participant_id: int) -> Participant:
    """Return a participant or raise NotFound."""
    row = session.get(Participant, participant_id)
    if row is None:
        raise NotFound(f"no participant with id {participant_id}")
    return row


def require_case_manager(session: Session, user_id: int | None) -> None:
    """Refuse a case_manager_id that is not an active case manager (422)."""
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is None or not can(user, "keep_caseload"):
        raise FieldInvalid(f"user {user_id} is not an active case manager", "case_manager_id")


def acting_case_manager(session: Session, participant: Participant) -> User | None:
    """Return the participant's case manager while they still keep a caseload, else None.

    One who left, or moved to another role, is neither named nor texted: the
    phone on record may be someone else's by now, or nobody's work.
    """
    if participant.case_manager_id is None:
        return None
    user = session.get(User, participant.case_manager_id)
    return user if can(user, "keep_caseload") else None


def list_participants(
    session: Session, case_manager_id: int | None = None, status: str | None = None
) -> list[Participant]:
    """Return participants by name, optionally one case manager's or one status."""
    statement = select(Participant).order_by(Participant.name, Participant.id)
    if case_manager_id is not None:
        statement = statement.where(Participant.case_manager_id == case_manager_id)
    if status is not None:
        statement = statement.where(Participant.status == status)
    return list(session.scalars(statement))


def count_participants(session: Session, status: str) -> int:
    """Return how many participants have `status`."""
    statement = select(func.count()).select_from(Participant).where(Participant.status == status)
    return session.scalar(statement) or 0


def create_participant(
    session: Session, data: ParticipantIn, actor: Actor, now: datetime
) -> Participant:
    """Add a participant."""
    require_case_manager(session, data.case_manager_id)
    require_birth_date(data.date_of_birth, now)
    row = Participant(**data.model_dump(), created_at=now, created_by=actor.user_id)
    if row.status == "exited":  # added as already gone: retention counts from now
        row.exited_at = now
    session.add(row)
    session.flush()
    record(session, actor, now, "create", "participant", row.id, None, participant_audit(row))
    return row


def update_participant(
    session: Session, participant_id: int, data: ParticipantPatch, actor: Actor, now: datetime
) -> Participant:
    """Change a participant's given fields (null clears the birth date or the case manager)."""
    row = get_participant(session, participant_id)
    before, was = participant_audit(row), identity(row)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name not in ("date_of_birth", "case_manager_id"):
            raise FieldInvalid("may not be null", name)
        if name == "case_manager_id" and value != row.case_manager_id:
            # One who left stays on a record sent back unchanged, as the web form keeps them.
            require_case_manager(session, value)
        if name == "date_of_birth" and value != row.date_of_birth:
            require_birth_date(value, now)  # one stored before, sent back unchanged, stays
        if name == "status" and value != row.status:
            row.exited_at = now if value == "exited" else None  # retention counts from here
        setattr(row, name, value)
    if identity(row) != was:  # a record sent back as it was changes nothing
        after = participant_audit(row)
        # The log keeps no name, alias or birth date: one put for another says it changed.
        for index, field in enumerate(IDENTIFYING):
            if identity(row)[index] != was[index] and after[field] == before[field]:
                after[field] = "changed"
        record(session, actor, now, "update", "participant", row.id, before, after)
    return row


# The first fields of `identity`, which the audit log keeps only as written or not.
IDENTIFYING = ("name", "aliases", "date_of_birth")


def identity(row: Participant) -> tuple[Any, ...]:
    """Return the fields a participant's update may change, to tell whether one did."""
    return (row.name, list(row.aliases), row.date_of_birth, row.status, row.case_manager_id)


def is_current(consent: Consent, now: datetime) -> bool:
    """Tell whether a consent holds at `now`: given, not expired, not revoked."""
    return (
        consent.given_at <= now
        and consent.revoked_at is None
        and (consent.expires_at is None or now < consent.expires_at)
    )


def has_consent(session: Session, participant_id: int, scope: str, now: datetime) -> bool:
    """Tell whether the participant has a current consent of `scope`."""
    rows = session.scalars(
        select(Consent).where(Consent.participant_id == participant_id, Consent.scope == scope)
    )
    return any(is_current(row, now) for row in rows)


def consent_fields(row: Consent) -> dict[str, Any]:
    """Return a consent as the API and the audit log show it."""
    return {
        "id": row.id,
        "scope": row.scope,
        "given_at": row.given_at.isoformat(),
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def add_consent(
    session: Session,
    participant_id: int,
    data: ConsentIn,
    actor: Actor,
    now: datetime,
    zone: ZoneInfo,
) -> Consent:
    """Record a consent to share, from `given_at` (default now); a clash names days in `zone`."""
    # Locked: of two recordings at once, the second sees the first and is refused.
    found = session.get(Participant, participant_id, with_for_update=True, populate_existing=True)
    if found is None:
        raise NotFound(f"no participant with id {participant_id}")
    # Stored and answered in UTC, whatever offset the instants came with.
    given_at = (data.given_at or now).astimezone(UTC)
    require_near_today(given_at.date(), "given_at", now)  # given "2099" would never hold
    expires_at = data.expires_at.astimezone(UTC) if data.expires_at is not None else None
    if expires_at is not None and expires_at <= given_at:
        raise FieldInvalid("expires_at must be after given_at", "expires_at")
    for other in unrevoked(session, participant_id, data.scope):
        # Two at once would leave one holding after "the" consent is revoked.
        if (expires_at is None or other.given_at < expires_at) and (
            other.expires_at is None or given_at < other.expires_at
        ):
            # The program's days, as the page typed them: a last second is the next day in UTC.
            raise Conflict(
                f"consent {other.id} of this scope is in force for that time already "
                f"(given {other.given_at.astimezone(zone):%Y-%m-%d}"
                + (
                    f", until {other.expires_at.astimezone(zone):%Y-%m-%d}"
                    if other.expires_at
                    else ""
                )
                + "). Revoke it first, or give the new one from the day it ends",
                "scope",
            )
    row = Consent(
        participant_id=participant_id,
        scope=data.scope,
        given_at=given_at,
        expires_at=expires_at,
        recorded_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    record(session, actor, now, "consent", "participant", participant_id, None, consent_fields(row))
    return row


def unrevoked(session: Session, participant_id: int, scope: str) -> list[Consent]:
    """Return the participant's consents of `scope` not revoked, expired ones included."""
    return list(
        session.scalars(
            select(Consent)
            .where(
                Consent.participant_id == participant_id,
                Consent.scope == scope,
                Consent.revoked_at.is_(None),
            )
            .order_by(Consent.id)
        )
    )


def revoke_consent(
    session: Session, participant_id: int, consent_id: int, actor: Actor, now: datetime
) -> Consent:
    """Revoke a consent; one not yet ended takes every other of its scope yet to end with it.

    Revoking one in force (or still to come) is the person withdrawing it; revoking
    one that had ended is tidying the record, and leaves the one in force alone.
    """
    row = session.get(Consent, consent_id)
    if row is None or row.participant_id != participant_id:
        raise NotFound(f"no consent {consent_id} of participant {participant_id}")
    had_ended = row.expires_at is not None and row.expires_at <= now
    if not revoke_one(session, row, actor, now):
        raise Conflict(f"consent {consent_id} was revoked already")
    if had_ended:
        return row
    # An older version let a second one be recorded beside it, or one given from a later day.
    for other in unrevoked(session, participant_id, row.scope):
        if other.expires_at is None or now < other.expires_at:
            revoke_one(session, other, actor, now)  # one revoked meanwhile is left as it is
    return row


def revoke_one(session: Session, row: Consent, actor: Actor, now: datetime) -> bool:
    """Revoke one consent, audited; tell whether it was not revoked already."""
    consent_id, participant_id = row.id, row.participant_id
    before = consent_fields(row)
    # One conditional UPDATE: of two revocations at once, the second finds it revoked.
    revoked = session.execute(
        update(Consent)
        .where(Consent.id == consent_id, Consent.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if not updated_one_row(revoked):
        return False
    session.refresh(row)
    record(
        session,
        actor,
        now,
        "revoke_consent",
        "participant",
        participant_id,
        before,
        consent_fields(row),
    )
    return True
