"""Texts about referrals: coordinator alerts and the officer's status-only updates (SPEC §6)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import insert_unless_present
from ..messaging.outbox import queue_text
from ..messaging.segments import fit
from ..models import Officer, Referral, ReferralNotice
from .referrals import add_event

# The only words an officer ever reads about a referral's state: no clinical content.
OFFICER_STATUS_WORDS = {
    "received": "received",
    "notified": "received",
    "acknowledged": "with a coordinator",
    "assessed": "with a coordinator",
    "ineligible": "not accepted",
    "declined": "not accepted",
    "not_a_referral": "not accepted",
    "intake_completed": "intake completed",
    "intake_missed": "intake not completed",
}
TYPE_WORDS = {"arrest_diversion": "arrest diversion", "social_contact": "social contact"}


def officer_label(session: Session, referral: Referral) -> str:
    """Return how coordinators read the referring officer: name, or unverified badge/number."""
    if referral.officer_id is not None:
        officer = session.get_one(Officer, referral.officer_id)
        name = (
            officer.name
            if officer.name.lower().startswith("officer")
            else f"Officer {officer.name}"
        )
        return f"{name} ({officer.agency}) {officer.phone}"
    badge = f"badge {referral.badge}, " if referral.badge else ""
    return f"unverified caller ({badge}{referral.officer_phone or 'no number'})"


def coordinator_alert(session: Session, referral: Referral) -> str:
    """Return the alert about a new referral; the ACK line comes first so it is never cut."""
    kind = TYPE_WORDS.get(referral.type or "", "referral")
    if referral.offense:
        kind += f", {referral.offense.replace('_', ' ')}"
    who = officer_label(session, referral)
    head = (
        f"LEAD #{referral.id}: reply ACK {referral.id} to take it. {kind.capitalize()} from {who}."
    )
    details = f" {referral.participant_name or ''} at {referral.location or 'unknown place'}."
    return fit(head, details)


class Recipient(NamedTuple):
    """A user to text, and whether their number opted out (read with them)."""

    id: int
    phone: str
    opted_out: bool


def notify_user(
    session: Session,
    referral: Referral,
    user: Recipient,
    kind: str,
    now: datetime,
    sender: str | None,
    body: str | None = None,
) -> bool:
    """Text a user about a referral once; return False when they had been told already."""
    values = {"referral_id": referral.id, "user_id": user.id, "at": now, "kind": kind}
    if insert_unless_present(session, ReferralNotice, values) is None:
        return False
    queue_text(
        session,
        sender=sender,
        to=user.phone,
        body=body or coordinator_alert(session, referral),
        now=now,
        referral_id=referral.id,
        opted_out=user.opted_out,
    )
    if referral.status == "received":
        referral.status = "notified"
    add_event(
        session, referral.id, "notified", "system", now, detail={"user_id": user.id, "kind": kind}
    )
    return True


def notified_users(session: Session, referral_id: int) -> list[int]:
    """Return the users texted about a referral, in the order they were."""
    return list(
        session.scalars(
            select(ReferralNotice.user_id)
            .where(ReferralNotice.referral_id == referral_id)
            .order_by(ReferralNotice.id)
        )
    )


def tell_officer(
    session: Session, referral: Referral, now: datetime, sender: str | None, extra: str = ""
) -> None:
    """Text the referring officer the referral's status in the fixed words, nothing more."""
    if not referral.officer_phone:
        return
    words = OFFICER_STATUS_WORDS[referral.status]
    body = f"LEAD #{referral.id}: {words}{extra}."  # extra: e.g. ", Ana Diaz" (GSM-safe)
    queue_text(
        session,
        sender=sender,
        to=referral.officer_phone,
        body=body,
        now=now,
        referral_id=referral.id,
    )
