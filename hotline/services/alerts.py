"""Texts about referrals: coordinator alerts and the officer's status-only updates (SPEC §6)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..messaging.notices import (
    Caller,
    CallNotTaken,
    NewReferral,
    Notice,
    OfficerStatus,
    TakenByOther,
    notify,
    queue_notice,
)
from ..messaging.outbox import is_opted_out
from ..messaging.recipients import Recipient
from ..models import Call, Officer, Referral, ReferralEvent, ReferralNotice, User
from ..permissions import can
from ..statements import insert_unless_present
from .call_end import holds_message
from .referrals import add_event

# What an officer may learn of a referral's state: one of five public statuses, never
# anything clinical (SPEC §6, the Golden Rule); the SMS channel words them.
OFFICER_STATUS = {
    "received": "received",
    "notified": "received",
    "acknowledged": "with_coordinator",
    "assessed": "with_coordinator",
    "ineligible": "not_accepted",
    "declined": "not_accepted",
    "not_a_referral": "not_accepted",
    "intake_completed": "intake_completed",
    "intake_missed": "intake_missed",
}
# What became of an officer's status text: queued, no number to text (a withheld, unverified
# caller), or kept `suppressed` because their phone opted out (STOP): never sent.
OfficerTold = Literal["told", "no_number", "opted_out"]


def caller_of(session: Session, referral: Referral) -> Caller:
    """Return who referred: the roster officer, or what is known of an unverified caller."""
    if referral.officer_id is not None:
        officer = session.get_one(Officer, referral.officer_id)
        # The phone it came from (a borrowed one, identified by badge) is the one to call back.
        return Caller(officer.name, officer.agency, referral.officer_phone or officer.phone)
    return Caller(None, None, referral.officer_phone, referral.badge)


def officer_language(session: Session, referral: Referral) -> str | None:
    """Return the referring officer's language; an unverified texter's, the intake's."""
    if referral.officer_id is not None:
        return session.get_one(Officer, referral.officer_id).language
    # Who texted REFERIR and went through the intake in Spanish reads its status in Spanish.
    sent = session.scalar(
        select(ReferralEvent.detail).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.kind == "referral_sent"
        )
    )
    language = sent.get("language") if isinstance(sent, dict) else None
    return language if isinstance(language, str) else None


def new_referral(session: Session, referral: Referral) -> NewReferral:
    """Return the notice about a referral nobody has taken yet."""
    return NewReferral(
        referral.id,
        referral.type,
        referral.offense,
        caller_of(session, referral),
        referral.participant_name,
        referral.location,
    )


def call_not_taken(
    session: Session, call: Call, referral: Referral, public_url: str | None
) -> CallNotTaken:
    """Return the notice about a call nobody took: who, how it ended, where to see it.

    Only the caller's name and number: a call carries no participant data yet.
    """
    officer = session.get(Officer, call.officer_id) if call.officer_id is not None else None
    caller = (
        Caller(officer.name, officer.agency, officer.phone)
        if officer
        else Caller(None, None, call.from_number)
    )
    if call.call_outcome == "abandoned":
        ending: Literal["abandoned", "voicemail", "silent"] = "abandoned"
    elif holds_message(call):
        ending = "voicemail"
    else:
        ending = "silent"
    link = f"{public_url.rstrip('/')}/referrals/{referral.id}" if public_url else None
    # The caller's number as parsed: a withheld one comes as "anonymous" or Twilio's
    # placeholder +266696687 (a number in Lesotho), which nobody should call back.
    number = referral.officer_phone or (officer.phone if officer else None)
    return CallNotTaken(referral.id, caller, number, ending, link)


def unowned_notice(session: Session, referral: Referral, public_url: str | None) -> Notice:
    """Return the text about a referral nobody has taken: a call's own words for a call.

    A call referral has no name or place to list: whoever it is passed on to reads,
    as the first ones did, who called and how the call ended.
    """
    call = session.scalars(
        select(Call).where(Call.referral_id == referral.id).order_by(Call.id.desc()).limit(1)
    ).first()
    if call is None:
        return new_referral(session, referral)
    return call_not_taken(session, call, referral, public_url)


def notify_user(
    session: Session,
    referral: Referral,
    user: Recipient,
    kind: str,
    now: datetime,
    sender: str | None,
    notice: Notice | None = None,
) -> bool:
    """Text a user about a referral once; return False when they had been told already."""
    values = {"referral_id": referral.id, "user_id": user.id, "at": now, "kind": kind}
    if insert_unless_present(session, ReferralNotice, values) is None:
        return False
    queue_notice(
        session,
        notice or new_referral(session, referral),
        to=user.phone,
        language=user.language,
        sender=sender,
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


def tell_others_taken(
    session: Session, referral_id: int, taker: User, now: datetime, sender: str | None
) -> None:
    """Tell everyone texted about a referral, but its taker, that `taker` has it.

    As with the voicemail's late message, whoever left or moved to a role that takes
    no calls since being told (a prosecutor) is not texted about the referral.
    """
    for other_id in notified_users(session, referral_id):
        other = session.get_one(User, other_id)
        if other.id != taker.id and can(other, "take_calls"):
            notice = TakenByOther(referral_id, taker.name)
            notify(session, notice, other, sender=sender, now=now, referral_id=referral_id)


def tell_officer(
    session: Session,
    referral: Referral,
    now: datetime,
    sender: str | None,
    coordinator: str | None = None,
) -> OfficerTold:
    """Text the referring officer the referral's public status, maybe who has it; nothing more."""
    # The phone it came from; for a withheld number, the roster phone of the officer the
    # keyed badge named while they are on the roster (a former one's may be someone else's).
    to = referral.officer_phone
    if not to and referral.officer_id is not None:
        officer = session.get_one(Officer, referral.officer_id)
        to = officer.phone if officer.active else None
    if not to:
        return "no_number"
    opted_out = is_opted_out(session, to)
    queue_notice(
        session,
        OfficerStatus(referral.id, OFFICER_STATUS[referral.status], coordinator),
        to=to,
        language=officer_language(session, referral),
        sender=sender,
        now=now,
        referral_id=referral.id,
        opted_out=opted_out,
    )
    return "opted_out" if opted_out else "told"
