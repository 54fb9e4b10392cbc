"""Record a brief assessment and move the referral on (SPEC §6, §8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import Actor
from ..models import CLOSED_STATUSES, Assessment, User
from ..permissions import can
from ..schemas.assessment import AssessmentIn, AssessmentOut
from .alerts import OFFICER_STATUS, tell_officer, tell_others_taken
from .enrolment import enrol
from .errors import Conflict, FieldInvalid
from .referral_audit import audit_assessment, audit_status
from .referrals import add_event, get_referral, hold_referral

STATUS_AFTER = {"accepted": "assessed", "ineligible": "ineligible", "declined": "declined"}


def assessment_fields(row: Assessment) -> dict[str, Any]:
    """Return an assessment as the API shows it: what AssessmentOut says, read off the row."""
    return AssessmentOut.model_validate(row).model_dump()


def version_fields(row: Assessment) -> dict[str, Any]:
    """Return what an assessment version says, for the audit log's before and after."""
    said = assessment_fields(row)
    for kept_apart in ("id", "completed_by", "completed_at"):
        said.pop(kept_apart)
    return {"version": row.version} | said


def latest_assessment(session: Session, referral_id: int) -> tuple[Assessment | None, int]:
    """Return the newest assessment of a referral and how many versions it has."""
    rows = session.scalars(
        select(Assessment)
        .where(Assessment.referral_id == referral_id)
        .order_by(Assessment.version.desc())
    ).all()
    return (rows[0] if rows else None), len(rows)


def record_assessment(
    session: Session,
    referral_id: int,
    data: AssessmentIn,
    actor: Actor,
    now: datetime,
    sender: str | None,
    after_version: int | None = None,
) -> Assessment:
    """Save a new assessment version; set the referral's status from the disposition.

    `after_version` is the version its author saw (0: none). Another saved since,
    or this same save sent twice, is a Conflict: the author decides again.
    """
    if data.disposition == "ineligible" and not data.exclusions:
        raise FieldInvalid("an ineligible disposition needs at least one exclusion", "exclusions")
    if data.disposition == "accepted" and not data.consent_confirmed:
        raise FieldInvalid("an accepted disposition needs consent confirmed", "consent_confirmed")
    # Held: a page that read it before another worker closed or took it must judge the
    # referral as it is now; two saves at once number their versions in turn.
    referral = hold_referral(session, referral_id) or get_referral(session, referral_id)
    if referral.status in CLOSED_STATUSES:
        raise Conflict(f"#{referral.id} is closed ({referral.status}): it cannot be assessed")
    assert actor.user_id is not None
    previous, _ = latest_assessment(session, referral.id)
    saved = previous.version if previous is not None else 0
    if after_version is not None and saved != after_version:
        raise Conflict(
            f"version {saved} of #{referral.id}'s assessment was saved meanwhile", "version"
        )
    version = saved + 1
    before_fields = version_fields(previous) if previous is not None else None
    row = Assessment(
        referral_id=referral.id,
        version=version,
        completed_by=actor.user_id,
        completed_at=now,
        **data.model_dump(exclude={"participant_id"}),
    )
    session.add(row)
    filed_under = referral.participant_id
    enrol(session, referral, data, actor, now, sender)
    before, holder = referral.status, referral.acknowledged_by
    if referral.acknowledged_by is None:  # an assessment implies the acknowledgement
        referral.acknowledged_by, referral.acknowledged_at = actor.user_id, now
    referral.status = STATUS_AFTER.get(
        data.disposition, referral.status
    )  # unable_to_contact: as is
    session.flush()
    detail = {"version": version, "disposition": data.disposition, "notes": data.notes}
    add_event(
        session,
        referral.id,
        "assessment",
        actor.channel,
        now,
        actor_id=actor.user_id,
        detail=detail,
    )
    filed = (filed_under, referral.participant_id)
    audit_assessment(session, actor, now, referral.id, before_fields, version_fields(row), filed)
    if referral.status != before or holder is None:
        taken: dict[str, Any] = {"acknowledged_by": actor.user_id} if holder is None else {}
        audit_status(session, actor, now, referral.id, before, referral.status, **taken)
    if referral.status != before:
        add_event(session, referral.id, referral.status, actor.channel, now, actor_id=actor.user_id)
    if holder is None:  # taken by this assessment: told as an ACK would tell them (SPEC §5)
        taker = session.get_one(User, actor.user_id)
        tell_others_taken(session, referral.id, taker, now, sender)
    # Now with a coordinator, and the officer last read "received": after this assessment
    # took it, or after its holder's `unable_to_contact` left it `notified` (then, as an
    # ACK would, with the holder's name). Not for unable_to_contact, which changes nothing.
    public_before, public_after = OFFICER_STATUS[before], OFFICER_STATUS[referral.status]
    if public_after == "with_coordinator" and public_before != public_after:
        held_by = session.get_one(User, referral.acknowledged_by)
        # A holder who left is no one for the officer to call: the status, unnamed.
        name = held_by.name if can(held_by, "work_referrals") else None
        tell_officer(session, referral, now, sender, coordinator=name)
    if referral.status in ("ineligible", "declined") and referral.status != before:
        tell_officer(session, referral, now, sender)
    return row
