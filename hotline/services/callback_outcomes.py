"""Follow a callback's call to its end: the 1, the officer's answer, one outcome (SPEC §4.10).

Twilio may send the coordinator's final status before the <Dial> action that
says how the officer answered; a callback dialling the officer waits for that
action, so the record is the same whichever comes first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..audit import record
from ..models import Callback, User
from ..permissions import can
from ..phones import mask_phone
from ..statements import hold_row
from .referral_audit import actor_of
from .referrals import add_event

log = logging.getLogger(__name__)

# Twilio's longest call: a callback dialling the officer this long has no <Dial> action to come.
LONGEST_CALL = timedelta(hours=4)
# The <Dial> action follows the end of the coordinator's call within seconds, and Twilio does
# not send it again: one not come this long after that end was lost.
DIAL_ACTION_AFTER_END = timedelta(minutes=2)
# DialCallStatus of the officer's leg → the callback's outcome.
OFFICER_OUTCOMES = {
    "completed": "connected",
    "answered": "connected",
    "busy": "officer_busy",
    "no-answer": "officer_no_answer",
    # Stopped while it rang, before anyone answered: the phone was reached, not unreachable.
    "canceled": "officer_no_answer",
}
# CallStatus of the coordinator's call when it ended before the officer was dialled.
UNANSWERED = frozenset({"busy", "no-answer", "failed", "canceled"})
# Outcomes judged without the 1: the database missed it, the step put the coordinator
# through all the same (§4.7), and the call's end or the clock came before the <Dial> action.
PRESS_UNHEARD = frozenset({"coordinator_declined", "coordinator_unknown"})


def hold(session: Session, callback_id: int) -> Callback | None:
    """Read a callback again and hold its row until commit; None when there is none."""
    callback: Callback | None = hold_row(session, Callback, callback_id, Callback.state)
    return callback


def answered(session: Session, callback: Callback, call_sid: str) -> None:
    """Note the coordinator's answer: the carrier's sid, when the placer has not yet."""
    if callback.call_sid is None and call_sid:
        callback.call_sid = call_sid
    if callback.state in ("queued", "placing"):
        callback.state = "placed"


def may_connect(session: Session, callback: Callback) -> bool:
    """Tell whether the officer may be dialled now: the caller is still active staff."""
    # Their role too: one made a prosecutor or case manager since asking may not call.
    return callback.state != "ended" and can(session.get(User, callback.user_id), "work_referrals")


def dialling(callback: Callback, now: datetime) -> None:
    """Note that the coordinator pressed 1: the <Dial> action will tell how it ended."""
    if callback.state not in ("ended", "dialling"):  # a repeated 1 keeps the first wait
        callback.state, callback.lease_until = "dialling", now + LONGEST_CALL


def dial_ended(
    session: Session, callback: Callback, dial_status: str, seconds: int | None, now: datetime
) -> str:
    """Record how the officer's leg ended; return the callback's outcome."""
    if callback.state == "ended" and callback.outcome in PRESS_UNHEARD:
        # A <Dial> action comes only after a 1: the officer's answer is the outcome after all.
        callback.state = "dialling"
    outcome = OFFICER_OUTCOMES.get(dial_status, "officer_failed")
    if outcome == "connected":
        callback.connected_at = callback.connected_at or now
    return end(session, callback, outcome, now, seconds)


def call_ended(session: Session, callback: Callback, call_status: str, now: datetime) -> str | None:
    """Record the end of the coordinator's call, if nothing before it told how it went."""
    if callback.state == "ended":
        return callback.outcome
    if callback.state == "dialling":
        # They pressed 1: the <Dial> action, which Twilio may send after this, tells how it
        # went. The officer's leg ended with this call, so it is not waited for for hours.
        if callback.lease_until is None or callback.lease_until > now + DIAL_ACTION_AFTER_END:
            callback.lease_until = now + DIAL_ACTION_AFTER_END
        return None
    outcome = "coordinator_no_answer" if call_status in UNANSWERED else "coordinator_declined"
    return end(session, callback, outcome, now)


def end(
    session: Session, callback: Callback, outcome: str, now: datetime, seconds: int | None = None
) -> str:
    """Close a callback with its outcome once, as an event on its referral; return the outcome."""
    if callback.state == "ended" and callback.outcome is not None:
        return callback.outcome  # a repeated webhook changes nothing
    callback.state, callback.outcome, callback.ended_at = "ended", outcome, now
    callback.duration = seconds
    detail: dict[str, object] = {"callback": callback.id, "outcome": outcome}
    if seconds is not None:
        detail["seconds"] = seconds
    add_event(
        session, callback.referral_id, "callback_ended", "voice", now, callback.user_id, detail
    )
    audit(session, callback, now, "voice", outcome)
    log.info(
        "callback %s of referral %s to %s: %s",
        callback.id,
        callback.referral_id,
        mask_phone(callback.officer_phone),
        outcome,
    )
    return outcome


def audit(session: Session, callback: Callback, now: datetime, channel: str, outcome: str) -> None:
    """Record a callback's request or outcome in the audit log (who, when, how it went)."""
    after = {"callback": callback.id, "outcome": outcome, "user_id": callback.user_id}
    actor = actor_of(callback.user_id, channel)
    record(session, actor, now, "callback", "referral", callback.referral_id, None, after)
