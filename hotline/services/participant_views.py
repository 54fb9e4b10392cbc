"""What each reader sees of a participant: the whole record, or the prosecutor's status view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..models import AuditEvent, Charge, Consent, Contact, Participant, PlanEntry, Referral
from ..schemas.participants import ChargeOut, ConsentOut, PlanEntryOut, ReferralBrief
from .errors import NotFound
from .participants import acting_case_manager, get_participant, is_current


def _rows(session: Session, model: Any, participant_id: int) -> list[Any]:
    return list(
        session.scalars(
            select(model).where(model.participant_id == participant_id).order_by(model.id)
        )
    )


def _dump(schema: Any, rows: list[Any]) -> list[dict[str, Any]]:
    return [schema.model_validate(row).model_dump(mode="json") for row in rows]


def participant_detail(session: Session, row: Participant) -> dict[str, Any]:
    """Return the whole record: referrals, consents, plan, charges and one timeline."""
    referrals = _rows(session, Referral, row.id)
    consents = _rows(session, Consent, row.id)
    plan = _rows(session, PlanEntry, row.id)
    charges = _rows(session, Charge, row.id)
    contacts = _rows(session, Contact, row.id)
    timeline = (
        [
            {"at": r.created_at, "kind": "referral", "detail": {"id": r.id, "type": r.type}}
            for r in referrals
        ]
        + [{"at": c.given_at, "kind": "consent", "detail": {"scope": c.scope}} for c in consents]
        + [
            {"at": c.revoked_at, "kind": "consent_revoked", "detail": {"scope": c.scope}}
            for c in consents
            if c.revoked_at is not None
        ]
        + plan_timeline(session, row.id, plan)
        + [
            {
                "at": c.recorded_at,
                "kind": "charge",
                # What the case manager's text sends them to read (never in the text itself).
                "detail": {"date": c.date.isoformat(), "description": c.description},
            }
            for c in charges
        ]
        + [
            {
                "at": c.at,
                "kind": "contact",
                "detail": {"channel": c.channel, "disclosed": c.disclosed},
            }
            for c in contacts
        ]
    )
    return {
        "id": row.id,
        "name": row.name,
        "aliases": row.aliases,
        "date_of_birth": row.date_of_birth,
        "status": row.status,
        "case_manager_id": row.case_manager_id,
        "created_at": row.created_at,
        "referrals": _dump(ReferralBrief, referrals),
        "consents": _dump(ConsentOut, consents),
        "plan": _dump(PlanEntryOut, plan),
        "charges": _dump(ChargeOut, charges),
        "timeline": sorted(timeline, key=lambda entry: entry["at"]),
    }


def plan_timeline(
    session: Session, participant_id: int, plan: list[PlanEntry]
) -> list[dict[str, Any]]:
    """Return each plan entry as added, then each change to it when it was made (SPEC §6).

    The audit log holds every plan change (`plan` rows: before and after); an
    entry with no audit row of its adding shows its status as it is now.
    """
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity == "participant",
            AuditEvent.entity_id == participant_id,
            AuditEvent.action == "plan",
        )
        .order_by(AuditEvent.id)
    )
    added: dict[object, str] = {}
    changes: list[dict[str, Any]] = []
    for event in events:
        after = event.after or {}
        if event.before is None:
            added[after.get("id")] = str(after.get("status"))
        else:
            detail = {"need": after.get("need"), "status": after.get("status")}
            changes.append({"at": event.at, "kind": "plan", "detail": detail})
    return [
        {
            "at": p.created_at,
            "kind": "plan",
            "detail": {"need": p.need, "status": added.get(p.id, p.status)},
        }
        for p in plan
    ] + changes


def prosecutor_may_see(session: Session, row: Participant, now: datetime) -> bool:
    """Tell whether a prosecutor may see the participant: active, with a current consent."""
    return bool(in_prosecutor_view(session, [row], now))


def in_prosecutor_view(
    session: Session, rows: list[Participant], now: datetime
) -> list[Participant]:
    """Return those of `rows` a prosecutor may see at `now`, in order, with one read."""
    active = [row for row in rows if row.status == "active"]
    if not active:
        return []
    consents = session.scalars(
        select(Consent)
        .join(Participant, Participant.id == Consent.participant_id)
        .where(Consent.scope == "prosecutor", Participant.status == "active")
    )
    consented = {consent.participant_id for consent in consents if is_current(consent, now)}
    return [row for row in active if row.id in consented]


def prosecutor_participants(session: Session, now: datetime) -> list[Participant]:
    """Return the participants a prosecutor may see, by name."""
    rows = session.scalars(
        select(Participant).where(Participant.status == "active").order_by(Participant.name)
    )
    return in_prosecutor_view(session, list(rows), now)


def prosecutor_view(
    session: Session, participant_id: int, actor: Actor, now: datetime
) -> dict[str, Any]:
    """Return status only, never clinical content; a participant outside the view is 404."""
    row = get_participant(session, participant_id)
    if not prosecutor_may_see(session, row, now):
        raise NotFound(f"no participant with id {participant_id}")
    return disclosed_to_prosecutor(session, row, actor, now)


def prosecutor_list(
    session: Session, actor: Actor, now: datetime, chosen: list[Participant] | None = None
) -> list[dict[str, Any]]:
    """Return the prosecutor's view of everyone in it at `now` (or of those `chosen`, in order).

    Each disclosure is recorded. Chosen once: a consent revoked while the cards
    are drawn must not turn the whole list into a 404 naming that person.
    """
    # A filter's answer is narrowed to the view.
    seen = (
        prosecutor_participants(session, now)
        if chosen is None
        else in_prosecutor_view(session, chosen, now)
    )
    return [disclosed_to_prosecutor(session, row, actor, now) for row in seen]


def disclosed_to_prosecutor(
    session: Session, row: Participant, actor: Actor, now: datetime
) -> dict[str, Any]:
    """Record that the prosecutor is shown a participant, and return what they are shown."""
    record(session, actor, now, "disclose", "participant", row.id, None, {"to": "prosecutor"})
    return prosecutor_fields(session, row)


def prosecutor_fields(session: Session, row: Participant) -> dict[str, Any]:
    """Return the prosecutor's fields of one participant."""
    manager = acting_case_manager(session, row)
    arrests = [r for r in _rows(session, Referral, row.id) if r.type == "arrest_diversion"]
    return {
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "case_manager": (
            {"id": manager.id, "name": manager.name, "phone": manager.phone} if manager else None
        ),
        "referrals": _dump(ReferralBrief, arrests),
        "charges": _dump(ChargeOut, _rows(session, Charge, row.id)),
    }
