"""Tell staff about a call nobody accepted, exactly once, so someone takes it (SPEC §4.5, §6)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from ..messaging.notices import RecordingAfterAll, notify
from ..messaging.recipients import RECIPIENT_COLUMNS, SUPERVISOR_RECIPIENTS, Recipient
from ..messaging.transport import CallEnded, CallLive, CallUnknown, Transport
from ..models import OPEN_FOR_ACK, Call, CallLeg, OptOut, Referral, User
from ..permissions import holders
from ..statements import unless_held, updated_one_row
from .alerts import call_not_taken, notified_users, notify_user
from .call_end import (
    cancel_ringing,
    claim_voicemail_notice,
    close_unanswered,
    holds_message,
    link_recording,
)
from .calls import hold_referral_of
from .escalation import first_recipients
from .referrals import add_event

log = logging.getLogger(__name__)


def voicemail_recipients(session: Session, call: Call) -> list[Recipient]:
    """Return the chain's people who still take calls, then every active supervisor, once each."""
    user_ids = [step["user_id"] for step in call.chain if step["user_id"] is not None]
    # The chain is as the call found it: whoever left or moved to a role that takes no
    # calls since (a prosecutor) is not told of the referral, as the chain passed them over.
    rows = session.execute(
        select(*RECIPIENT_COLUMNS)
        .outerjoin(OptOut, OptOut.phone == User.phone)
        .where(
            User.id.in_(user_ids),
            User.active.is_(True),
            User.role.in_(holders("take_calls")),
        )
    ).all()
    by_id = {row[0]: Recipient(*row) for row in rows}
    recipients = {i: by_id[i] for i in user_ids if i in by_id}
    for row in session.execute(SUPERVISOR_RECIPIENTS):
        recipients.setdefault(row[0], Recipient(*row))
    return list(recipients.values())


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
    # Read again and held until the texts are queued: a "Take it" or an ACK in another
    # worker waits for them (and then tells whoever they told), or wins first and is seen.
    referral = hold_referral_of(session, call)
    if call.recording_url and referral.recording_url is None:
        # Kept on the call alone when the recording's step could not reach the referral.
        referral.recording_url = call.recording_url
    if referral.status not in OPEN_FOR_ACK or referral.acknowledged_by is not None:
        return 0  # someone took it already (on the web, say) before the call ended
    notice = call_not_taken(session, call, referral, public_url)
    voicemail = call.call_outcome == "voicemail"
    recipients = (
        voicemail_recipients(session, call) if voicemail else first_recipients(session, now)
    )
    kind = "voicemail" if voicemail else "abandoned"
    told = sum(
        notify_user(session, referral, user, kind, now, sender, notice) for user in recipients
    )
    add_event(session, referral.id, f"{kind}_notified", "system", now, detail={"texts": told})
    return told


def announce_late_recording(
    session: Session, call: Call, now: datetime, sender: str | None, public_url: str | None
) -> int:
    """Tell who heard of an empty voicemail that it holds a message; return how many.

    Twilio may send the call's final status before the recording's step, and
    the status announces the voicemail as one without a message (SPEC §4.5).
    The referral's holder alone hears it once someone took the referral.
    """
    referral = session.get_one(Referral, call.referral_id)
    holder = referral.acknowledged_by
    user_ids = [holder] if holder is not None else notified_users(session, referral.id)
    link = f"{public_url.rstrip('/')}/referrals/{referral.id}" if public_url else None
    # Told as the voicemail notice was: whoever left or moved to a role that takes no
    # calls since (a prosecutor) is not texted about the referral.
    still_on_call = User.active.is_(True), User.role.in_(holders("take_calls"))
    told = 0
    for user in session.scalars(select(User).where(User.id.in_(user_ids), *still_on_call)):
        notice = RecordingAfterAll(referral.id, link, taken=holder is not None)
        notify(session, notice, user, sender=sender, now=now, referral_id=referral.id)
        told += 1
    add_event(session, referral.id, "recording_notified", "system", now, detail={"texts": told})
    return told


# No call nobody took lasts this long: the chain's steps, the fallback numbers and a
# three-minute recording take minutes, and Twilio retries a final status for about one.
SILENT_FOR = timedelta(minutes=30)
# A line still without an outcome may be a live conversation (a 1 the database missed,
# bridged all the same, SPEC §4.7): unless Twilio says the call is over, wait out its
# longest call before closing it.
LIVE_FOR = timedelta(hours=4)
# Twilio retries a final status for about a minute after the call ends: a call it says
# ended more recently is left to that status, lest the timeline say it was never heard.
FINAL_STATUS_RETRIED = timedelta(minutes=2)
# Older calls are not looked at again: the scan stays small however long the history.
LOOKED_BACK = timedelta(days=7)


# A recording's step answers within its 3 s deadline, stored or failed: a call that
# ended this long ago has had it.
STEP_SETTLED = timedelta(minutes=1)


def link_kept_recordings(
    session: Session, now: datetime, sender: str | None, public_url: str | None
) -> int:
    """Link recordings kept on the call alone to their referrals; tell staff. Return how many.

    The recording's step keeps it on the call's own row first; when the referral's row
    was held elsewhere past the deadline, the rest of the step failed, and Twilio never
    sends it again. Staff already told of a voicemail without a message hear of it now.
    """
    kept = session.scalars(
        select(Call.id)
        .join(Referral, Referral.id == Call.referral_id)
        .where(
            Call.recording_url.is_not(None),
            Referral.recording_url.is_(None),
            Call.voicemail_notified_at.is_not(None),  # before that, the notice links it
            Call.ended_at <= now - STEP_SETTLED,
            Call.started_at > now - LOOKED_BACK,
        )
    ).all()
    linked = 0
    for call_id in kept:
        # One held by a stuck transaction waits for the next run; the others are linked now.
        with unless_held(session, f"call {call_id}"):
            call = session.get_one(Call, call_id)
            if link_recording(session, call, "system", now):
                if holds_message(call):  # a recording of 0 s is still "without a message"
                    announce_late_recording(session, call, now, sender, public_url)
                linked += 1
            session.commit()
    return linked


def close_silent_calls(
    session: Session,
    now: datetime,
    sender: str | None,
    public_url: str | None,
    transport: Transport,
) -> int:
    """Close the calls nobody took whose end never reached the app; tell staff as if it had.

    A final status that came while the database was down, retries and all, is
    lost: without this its referral would stay `received`, owned by nobody, for
    good (SPEC §6). A call with a line's end missing waits out Twilio's longest
    call, unless Twilio's REST API says sooner that it is over. Returns how many
    calls were closed.
    """
    line_open = exists().where(CallLeg.call_id == Call.id, CallLeg.outcome.is_(None))
    silent = session.execute(
        select(Call.id, Call.call_sid, Call.started_at, line_open)
        .where(
            Call.ended_at.is_(None),
            Call.started_at > now - LOOKED_BACK,
            Call.started_at <= now - SILENT_FOR,
            Call.referral_id.is_not(None),
            Call.voicemail_notified_at.is_(None),
            or_(Call.call_outcome.is_(None), Call.call_outcome == "voicemail"),
        )
        .order_by(Call.id)
    ).all()
    session.commit()  # nothing held while Twilio answers
    twilio = _Twilio(transport)
    closed = 0
    for call_id, call_sid, started_at, open_line in silent:
        # A line's end missing may be a conversation going on (a 1 the database missed,
        # bridged all the same, SPEC §4.7): only Twilio, or its longest call, tells.
        end = None
        if open_line and started_at > now - LIVE_FOR:
            end = twilio.ended(call_sid, now)
            if end is None:
                continue
        # A call (or its referral) a stuck transaction holds waits for the next run.
        with unless_held(session, f"call {call_id}"):
            closed += _close(session, call_id, end, now, sender, public_url)
    return closed


class _Twilio:
    """Ask Twilio about each call once per run; after it proved unreachable, ask no more."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._unreachable = False

    def ended(self, call_sid: str, now: datetime) -> CallEnded | None:
        """Return how the call ended if Twilio says it did, long enough ago; else None."""
        if self._unreachable:
            return None
        try:
            state = self._transport.fetch_call(call_sid)
        except Exception as error:  # a transport must not raise; the 4 h rule still stands
            log.exception("transport raised asking about call %s", call_sid)
            state = CallUnknown(f"transport raised {type(error).__name__}", unreachable=True)
        if isinstance(state, CallUnknown):
            self._unreachable = state.unreachable
            log.info("Twilio could not tell whether call %s ended: %s", call_sid, state.error)
            return None
        if isinstance(state, CallLive):
            return None
        if state.ended_at is not None and state.ended_at > now - FINAL_STATUS_RETRIED:
            return None  # its final status may be on its way: that closes it
        return state


def _close(
    session: Session,
    call_id: int,
    end: CallEnded | None,
    now: datetime,
    sender: str | None,
    public_url: str | None,
) -> bool:
    """Close one call as its final status would have, unless that came meanwhile.

    `end` is how Twilio says it ended; without it, the call ends when the app
    stopped waiting, its real end never heard.
    """
    # The lines first, then the call, as every webhook of the call takes them: a step's
    # late result holding its leg while it waits for the call must not deadlock this.
    cancel_ringing(session, call_id)
    values: dict[str, object] = {"ended_at": now}
    detail = None
    if end is not None:
        # An end Twilio puts after `now` (clocks apart) is taken as now.
        ended_at = min(end.ended_at, now) if end.ended_at is not None else now
        values = {"ended_at": ended_at, "duration": end.duration, "status": end.status}
        detail = {"twilio_status": end.status}
    ended = session.execute(
        update(Call)
        .where(Call.id == call_id, Call.ended_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not updated_one_row(ended):
        session.rollback()
        return False
    call = session.get_one(Call, call_id)
    assert call.referral_id is not None  # selected so
    close_unanswered(session, call, now)
    add_event(session, call.referral_id, "call_end_unheard", "system", now, detail=detail)
    notify_voicemail(session, call, now, sender, public_url)
    session.commit()
    return True
