"""Audit rows for the work done on a referral: ACKs, status changes, assessments (SPEC §9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import Actor, Channel, record, snapshot
from ..models import Referral

SYSTEM = Actor(None, "system")


def actor_of(user_id: int | None, channel: str) -> Actor:
    """Return the actor of a change made by a user (or nobody) through a channel."""
    return Actor(user_id, cast(Channel, channel))


def status_now(session: Session, referral_id: int) -> str | None:
    """Return a referral's stored status, read before a guarded update changes it."""
    return session.scalar(select(Referral.status).where(Referral.id == referral_id))


def audit_ack(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    before: str | None,
    held_by: int | None = None,
    after: str = "acknowledged",
) -> None:
    """Record that a person took a referral, with the status and holder it had.

    Its holder already (their `unable_to_contact` assessment took it), they change
    only its status: the log must not say it was nobody's until now. Taken over from
    someone gone, it keeps its status (`after`) but for `received`/`notified`.
    """
    record(
        session,
        actor,
        now,
        "acknowledge",
        "referral",
        referral_id,
        {"status": before, "acknowledged_by": held_by},
        {"status": after, "acknowledged_by": actor.user_id},
    )


def audit_status(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    before: str | None,
    after: str,
    /,
    *,
    was_also: dict[str, Any] | None = None,
    **also: Any,
) -> None:
    """Record a referral's status change; `also` adds what came with it (a reason, a holder).

    `was_also` gives the earlier values of those that had one (the participant it left).
    """
    was = {"status": before} | dict.fromkeys(also) | (was_also or {})
    record(session, actor, now, "status", "referral", referral_id, was, {"status": after, **also})


def audit_assessment(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    filed: tuple[int | None, int | None] = (None, None),
) -> None:
    """Record one assessment version against the one before it (consent included).

    `filed` is the participant the referral belonged to before and after this version:
    the coordinator's pick (or a new participant, or none once not accepted) is logged
    by number, never by name.
    """
    if filed != (None, None):
        if before is not None:
            before = before | {"participant_id": filed[0]}
        after = after | {"participant_id": filed[1]}
    record(
        session,
        actor,
        now,
        "assess",
        "referral",
        referral_id,
        _without_notes(before) if before is not None else None,
        _without_notes(after),
    )


def _without_notes(fields: dict[str, Any]) -> dict[str, Any]:
    """Keep only whether notes and services were written: free text may name the
    participant, and retention erases it from the timeline but never from the audit log."""
    kept = {k: v for k, v in fields.items() if k not in ("notes", "services")}
    written = {"notes_written": bool(fields.get("notes"))}
    if "services" in fields:
        written["services_written"] = bool(fields["services"])
    return snapshot(kept | written)


def audit_consent(session: Session, actor: Actor, now: datetime, referral: Referral) -> None:
    """Record a referral created with the officer's consent, as the intake recorded it."""
    after = {"status": referral.status, "type": referral.type, "consent_at": referral.consent_at}
    record(session, actor, now, "create", "referral", referral.id, None, snapshot(after))
