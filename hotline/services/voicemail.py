"""Tell the chain and the supervisors about a voicemail, exactly once (SPEC §4.5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..messaging.outbox import queue_text
from ..models import Call, Referral, User
from .calls import caller_description, claim_voicemail_notice
from .referrals import add_event


def voicemail_recipients(session: Session, call: Call) -> list[str]:
    """Return the phones of the chain's people, then of every active supervisor, once each."""
    user_ids = [step["user_id"] for step in call.chain if step["user_id"] is not None]
    users = session.scalars(select(User).where(User.id.in_(user_ids), User.active.is_(True))).all()
    by_id = {u.id: u.phone for u in users}
    supervisors = session.scalars(
        select(User.phone).where(User.role == "supervisor", User.active.is_(True)).order_by(User.id)
    )
    return list(dict.fromkeys([*(by_id[i] for i in user_ids if i in by_id), *supervisors]))


def notify_voicemail(
    session: Session, call: Call, now: datetime, sender: str | None, public_url: str | None
) -> int:
    """Queue the voicemail texts unless another request already did; return how many."""
    if not claim_voicemail_notice(session, call, now):
        return 0
    referral = session.get_one(Referral, call.referral_id)
    who = caller_description(session, call)
    callback = referral.officer_phone or call.from_number
    heard = "left a message" if call.recording_url else "hung up without a message"
    body = (
        f"LEAD hotline: nobody answered {who} ({callback}), who {heard}. Referral #{referral.id}."
    )
    if public_url:
        body += f" {public_url.rstrip('/')}/referrals/{referral.id}"
    recipients = voicemail_recipients(session, call)
    for phone in recipients:
        queue_text(session, sender=sender, to=phone, body=body, now=now, referral_id=referral.id)
    add_event(
        session, referral.id, "voicemail_notified", "system", now, detail={"texts": len(recipients)}
    )
    return len(recipients)
