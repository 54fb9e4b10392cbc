"""Complete an open referral's blank or wrong fields (SPEC §6 "Completing a referral")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import Actor, record, snapshot
from ..i18n import N_
from ..models import CLOSED_STATUSES, Referral
from ..schemas.referrals import ReferralCompletionIn
from .errors import Conflict, FieldInvalid
from .referrals import add_event, get_referral, hold_referral

TEXT_FIELDS = ("type", "offense", "participant_name", "location")
# N_: the referral page and the simulator translate them (web.pot).
MISSING_WORDS = {
    "type": N_("type"),
    "offense": N_("offense"),
    "participant_name": N_("participant name"),
    "location": N_("location"),
    "consent": N_("consent"),
}


def next_to_complete(session: Session) -> Referral | None:
    """Return the newest open call referral that still lacks something (the tours' next step)."""
    statement = (
        select(Referral)
        .where(Referral.channel == "voice", Referral.status.not_in(CLOSED_STATUSES))
        .order_by(Referral.id.desc())
        .limit(20)
    )
    return next((row for row in session.scalars(statement) if missing_fields(row)), None)


def missing_fields(referral: Referral) -> list[str]:
    """Return what a referral still lacks, in form order; offense only for arrest diversions."""
    missing = [
        name
        for name in TEXT_FIELDS
        if getattr(referral, name) is None
        and (name != "offense" or referral.type == "arrest_diversion")
    ]
    if referral.consent_at is None:
        missing.append("consent")
    return missing


def new_values(referral: Referral, data: ReferralCompletionIn) -> dict[str, Any]:
    """Return the field values after `data`, or raise FieldInvalid naming the bad field."""
    if data.consent is False:
        # Consent is confirmed here, never withdrawn: withdrawing it is the participant's
        # consent record (SPEC §6 "Consent to share"), not a blank on the referral.
        raise FieldInvalid("consent can only be confirmed (true) here", "consent")
    values = {name: getattr(referral, name) for name in TEXT_FIELDS}
    values.update({k: v for k in TEXT_FIELDS if (v := getattr(data, k)) is not None})
    if values["type"] != "arrest_diversion":
        if data.offense is not None:
            # As in the officers' SMS intake: only an arrest diversion has an offense.
            raise FieldInvalid("only an arrest diversion has an offense", "offense")
        values["offense"] = None
    return values


def complete_referral(
    session: Session, referral_id: int, data: ReferralCompletionIn, actor: Actor, now: datetime
) -> Referral:
    """Set the given fields of an open referral; each change is an event and audited."""
    # Held: the page may have read it before another worker closed it.
    referral = hold_referral(session, referral_id) or get_referral(session, referral_id)
    if referral.status in CLOSED_STATUSES:
        status = referral.status.replace("_", " ")
        raise Conflict(f"#{referral.id} is closed ({status}): it cannot be changed")
    values = new_values(referral, data)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        if getattr(referral, name) != value:
            before[name], after[name] = getattr(referral, name), value
            setattr(referral, name, value)
    if data.consent and referral.consent_at is None:
        before.update(consent_at=None, consent_by=None)
        after.update(consent_at=now, consent_by=actor.user_id)
        referral.consent_at, referral.consent_by = now, actor.user_id
    if not after:
        return referral
    session.flush()
    for name in (n for n in (*TEXT_FIELDS, "consent_at") if n in after):
        field = "consent" if name == "consent_at" else name
        detail = {"field": field, "before": before[name], "after": after[name]}
        if field == "consent":
            detail = {"field": "consent", "before": None, "after": True}
        add_event(
            session, referral.id, "completed", actor.channel, now, actor.user_id, detail=detail
        )
    audited_before, audited_after = snapshot(_unnamed(before)), snapshot(_unnamed(after))
    record(session, actor, now, "complete", "referral", referral.id, audited_before, audited_after)
    return referral


# Retention erases a referral's name and place, but never the audit log: the log keeps
# only whether they were written, as it does for an assessment's notes.
IDENTIFYING = ("participant_name", "location")


def _unnamed(values: dict[str, Any]) -> dict[str, Any]:
    """Return changed values with the participant's name and place as written: yes or no."""
    return {
        (f"{key}_written" if key in IDENTIFYING else key): (
            value is not None if key in IDENTIFYING else value
        )
        for key, value in values.items()
    }
