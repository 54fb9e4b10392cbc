"""A call's voicemail and its end: the recording kept and linked, the final status (SPEC §4.6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..messaging.transport import ENDED_CALL_STATUSES
from ..models import Call, CallLeg, Referral
from ..statements import hold_row, updated_one_row
from .referrals import add_event

# Twilio's final call statuses are the Calls API's: one list for webhooks and REST alike.
FINAL_CALL_STATUSES = ENDED_CALL_STATUSES
STATUS_ORDER = {"queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2}


def reach_voicemail(session: Session, call: Call, now: datetime) -> None:
    """Mark that the caller reached the recording prompt (SPEC §4.6 `voicemail`)."""
    # Conditional, on the call's row (after the leg's, before the referral's): a retried
    # last step's result applied by two workers at once reads the call unmarked in both,
    # and only the one whose write lands may record the offer.
    offered = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.call_outcome.is_(None))
        .values(call_outcome="voicemail")
        .execution_options(synchronize_session=False)
    )
    if not updated_one_row(offered):
        session.refresh(call)
        return
    call.call_outcome = "voicemail"
    referral = session.get_one(Referral, call.referral_id)
    referral.call_outcome = "voicemail"
    add_event(session, referral.id, "voicemail_offered", "voice", now)


def keep_recording(call: Call, url: str, duration: int | None) -> bool:
    """Keep a voicemail recording on the call's own row; tell whether it is new there."""
    if call.recording_url == url:
        return False
    call.recording_url, call.recording_duration = url, duration
    return True


def holds_message(call: Call) -> bool:
    """Tell whether the call's recording holds a message to play."""
    # Twilio may name a recording of 0 s (a `#` at the tone): nothing was said, and
    # calling it a message sends staff to play silence and tells the caller it went through.
    return bool(call.recording_url) and call.recording_duration != 0


def store_recording(
    session: Session, call: Call, url: str, duration: int | None, now: datetime
) -> bool:
    """Keep a voicemail recording on the call and its referral; tell whether it is new."""
    keep_recording(call, url, duration)
    return link_recording(session, call, "voice", now)


def hold_call(session: Session, call: Call) -> Call:
    """Read the call's row again and hold it until commit; return the call."""
    held: Call = hold_row(session, Call, call.id, Call.status)
    return held


def announced_empty(session: Session, call: Call) -> bool:
    """Hold the call's row; tell whether staff were told of a voicemail without a message."""
    # The officer hanging up as the message ends sends the final status at that moment, to
    # another worker: judge what it told as stored, not as this step first read the call.
    # The call's row is held before the referral's, as the final status holds them (else
    # the two deadlock).
    return hold_call(session, call).voicemail_notified_at is not None


def link_recording(session: Session, call: Call, channel: str, now: datetime) -> bool:
    """Put the call's recording on its referral unless it is there; tell whether this did."""
    # Conditional: the recording's own step and the clock's sweep of recordings kept on
    # the call alone may both try; one links it, and one tells staff.
    linked = session.execute(
        update(Referral)
        .where(
            Referral.id == call.referral_id,
            Referral.recording_url.is_distinct_from(call.recording_url),
        )
        .values(recording_url=call.recording_url)
        .execution_options(synchronize_session="fetch")
    )
    if not updated_one_row(linked) or call.referral_id is None:
        return False
    detail = {"seconds": call.recording_duration}
    add_event(session, call.referral_id, "voicemail_recorded", channel, now, detail=detail)
    return True


def finish(session: Session, call: Call, status: str, duration: int | None, now: datetime) -> None:
    """Apply a status callback; events may come twice or out of order."""
    if status in FINAL_CALL_STATUSES:
        close_unanswered(session, call, now)  # before the call's own row is written: see there
        if call.ended_at is None:
            call.ended_at = now
            call.duration = duration
            call.status = status
            # Written now, the call's row is held: a step ringing the next person, which
            # holds it before recording that leg (calls.unless_ended), has committed the
            # leg or will find the call ended. Close a leg it committed, unseen above.
            session.flush()
            cancel_ringing(session, call.id)
    elif call.ended_at is None and STATUS_ORDER.get(status, -1) > STATUS_ORDER.get(call.status, -1):
        call.status = status


def close_unanswered(session: Session, call: Call, now: datetime) -> None:
    """Mark an ended call nobody answered `abandoned`, and legs still ringing `canceled`."""
    # A leg still ringing when the caller hung up never reports on its own. Its row is
    # taken before the call's, as a 1 pressed at that moment takes them (its leg, then
    # the call): in the other order the two deadlocked, and one of them failed.
    cancel_ringing(session, call.id)
    # Conditional: a 1 pressed as the caller hung up may have committed since this call
    # was read, and its answer must not be written over.
    abandoned = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.call_outcome.is_(None))
        .values(call_outcome="abandoned")
        .execution_options(synchronize_session=False)
    )
    if updated_one_row(abandoned):
        call.call_outcome = "abandoned"
        referral = session.get_one(Referral, call.referral_id)
        referral.call_outcome = "abandoned"
        add_event(session, referral.id, "call_abandoned", "voice", now)


def cancel_ringing(session: Session, call_id: int) -> None:
    """Mark `canceled` each leg of the call without an outcome."""
    session.execute(
        update(CallLeg)
        .where(CallLeg.call_id == call_id, CallLeg.outcome.is_(None))
        .values(outcome="canceled")
    )


def claim_voicemail_notice(session: Session, call: Call, now: datetime) -> bool:
    """Tell whether this request sends the notice of a call nobody accepted (exactly once).

    The outcome is judged as stored, not as this request read it: another webhook
    of the call (the last step's dial result reaching the recording prompt) may have
    committed it since, and then this one, perhaps the call's last, must notify.
    """
    claimed = session.execute(
        update(Call)
        .where(
            Call.id == call.id,
            Call.voicemail_notified_at.is_(None),
            Call.call_outcome.in_(("voicemail", "abandoned")),
        )
        .values(voicemail_notified_at=now)
        .execution_options(synchronize_session=False)
    )
    if not updated_one_row(claimed):
        return False
    session.refresh(call)  # its outcome as stored decides who is told, and how
    return True
