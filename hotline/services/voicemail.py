"""Tell staff about a call nobody accepted, exactly once, so someone takes it (SPEC §4.5, §6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Call, OptOut, Referral, User
from .alerts import Recipient, notify_user
from .calls import caller_description, claim_voicemail_notice
from .escalation import RECIPIENT_COLUMNS, SUPERVISOR_RECIPIENTS, first_recipients
from .referrals import add_event

OPEN_FOR_ACK = ("received", "notified")


def voicemail_recipients(session: Session, call: Call) -> list[Recipient]:
    """Return the chain's active people, then every active supervisor, once each."""
    user_ids = [step["user_id"] for step in call.chain if step["user_id"] is not None]
    rows = session.execute(
        select(*RECIPIENT_COLUMNS)
        .outerjoin(OptOut, OptOut.phone == User.phone)
        .where(User.id.in_(user_ids), User.active.is_(True))
    ).all()
    by_id = {row[0]: Recipient(*row) for row in rows}
    recipients = {i: by_id[i] for i in user_ids if i in by_id}
    for row in session.execute(SUPERVISOR_RECIPIENTS):
        recipients.setdefault(row[0], Recipient(*row))
    return list(recipients.values())


def unaccepted_text(
    session: Session, call: Call, referral: Referral, public_url: str | None
) -> str:
    """Return the staff text about a call nobody took: who, what happened, `Reply ACK n`.

    Only the caller's name and number: a call carries no participant data yet.
    """
    who = caller_description(session, call)
    callback = referral.officer_phone or call.from_number
    if call.call_outcome == "abandoned":
        what = "hung up before anyone answered"
    elif call.recording_url:
        what = "left a voicemail"
    else:
        what = "reached voicemail and hung up without a message"
    body = (
        f"LEAD hotline: a call from {who} ({callback}) {what}; nobody has taken it. "
        f"Referral #{referral.id}. Reply ACK {referral.id} to take it."
    )
    if public_url:
        body += f" {public_url.rstrip('/')}/referrals/{referral.id}"
    return body


def notify_voicemail(
    session: Session, call: Call, now: datetime, sender: str | None, public_url: str | None
) -> int:
    """Text staff about a call nobody accepted unless another request did; return how many.

    A voicemail goes to the chain's people and every supervisor (SPEC §4.5); an
    abandoned call, like a new SMS referral, to the chain down to its first
    reachable person. Either way the referral becomes `notified` and
    `escalate-unacked` carries it on until someone ACKs it.
    """
    if not claim_voicemail_notice(session, call, now):
        return 0
    referral = session.get_one(Referral, call.referral_id)
    if referral.status not in OPEN_FOR_ACK:
        return 0  # someone took it already (on the web, say) before the call ended
    body = unaccepted_text(session, call, referral, public_url)
    voicemail = call.call_outcome == "voicemail"
    recipients = (
        voicemail_recipients(session, call) if voicemail else first_recipients(session, now)
    )
    kind = "voicemail" if voicemail else "abandoned"
    told = sum(
        notify_user(session, referral, user, kind, now, sender, body=body) for user in recipients
    )
    add_event(session, referral.id, f"{kind}_notified", "system", now, detail={"texts": told})
    return told
