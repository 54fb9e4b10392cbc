"""Call an officer back through the hotline: ask, place, follow to the end (SPEC §4.10).

A callback rings the coordinator from the hotline's number; only when they
press 1 does the hotline dial the referral's officer, showing its own number.
So neither side sees the other's phone, and a coordinator's voicemail that
picks up never rings the officer. A call placed twice is worse than a text
sent twice (two phones ring at 3 a.m.), so a callback is handed to Twilio at
most once: a failure is reported to the coordinator, who may ask again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..audit import record
from ..db import updated_one_row
from ..messaging.notices import CallbackNotPlaced, Caller, queue_notice
from ..messaging.transport import SendResult, Transport
from ..models import Callback, User
from ..permissions import can
from ..phones import mask_phone
from .alerts import caller_of
from .referral_audit import actor_of
from .referrals import add_event, hold_referral

log = logging.getLogger(__name__)

# A callback not handed to Twilio within this long is dropped: the coordinator has moved on.
PLACE_WITHIN = timedelta(minutes=2)
# A placing run's claim this long past its lease is a run that stopped (a killed clock).
GIVE_UP_AFTER = timedelta(minutes=10)
# The voice routes of a callback's call (app-relative; the transport makes them absolute).
ANSWER_PATH = "/voice/callback"
STATUS_PATH = "/voice/callback/status"
# DialCallStatus of the officer's leg → the callback's outcome.
OFFICER_OUTCOMES = {
    "completed": "connected",
    "answered": "connected",
    "busy": "officer_busy",
    "no-answer": "officer_no_answer",
}
# CallStatus of the coordinator's call when it ended before the officer was dialled.
UNANSWERED = frozenset({"busy", "no-answer", "failed", "canceled"})

Refusal = Literal["no_referral", "no_officer_phone", "not_staff", "already_calling"]


@dataclass(frozen=True)
class CallbackQueued:
    """A callback was asked for: the coordinator's phone rings within seconds."""

    callback_id: int
    referral_id: int
    officer: Caller
    coordinator_phone: str


@dataclass(frozen=True)
class CallbackRefused:
    """A callback that may not be placed, and why."""

    referral_id: int
    reason: Refusal


@dataclass(frozen=True)
class CallbackPlaced:
    """What handing one callback to the carrier gave."""

    callback_id: int
    referral_id: int
    result: SendResult


def request_callback(
    session: Session, referral_id: int, user_id: int, now: datetime, channel: str
) -> CallbackQueued | CallbackRefused:
    """Queue a callback from an active staff member to a referral's officer phone."""
    user = session.get(User, user_id)
    if user is None or not can(user, "work_referrals"):  # active staff only (SPEC §4.10)
        return CallbackRefused(referral_id, "not_staff")
    # Held until this ask commits: the same ask crossing it in another worker (CALL 42
    # sent twice) then finds this one pending, so one phone rings once.
    referral = hold_referral(session, referral_id)
    if referral is None:
        return CallbackRefused(referral_id, "no_referral")
    if not referral.officer_phone:
        return CallbackRefused(referral_id, "no_officer_phone")
    pending = session.scalar(
        select(Callback.id).where(
            Callback.referral_id == referral_id,
            Callback.user_id == user_id,
            Callback.state.in_(("queued", "placing")),
            Callback.requested_at > now - PLACE_WITHIN,
        )
    )
    if pending is not None:  # a double tap, or CALL sent twice: one phone rings once
        return CallbackRefused(referral_id, "already_calling")
    callback = Callback(
        referral_id=referral_id,
        user_id=user_id,
        coordinator_phone=user.phone,
        officer_phone=referral.officer_phone,
        channel=channel,
        requested_at=now,
    )
    session.add(callback)
    session.flush()
    detail = {"callback": callback.id}
    add_event(session, referral_id, "callback_requested", channel, now, user_id, detail)
    _audit(session, callback, now, channel, "requested")
    return CallbackQueued(callback.id, referral_id, caller_of(session, referral), user.phone)


def place_due_callbacks(
    session: Session,
    now: datetime,
    transport: Transport,
    sender: str | None,
    only: int | None = None,
) -> list[CallbackPlaced]:
    """Hand each queued callback (or only the one named) to the carrier, committing each."""
    if only is None:
        _give_up_stalled(session, now, sender)
    statement = select(Callback.id).where(Callback.state == "queued").order_by(Callback.id)
    if only is not None:
        statement = statement.where(Callback.id == only)
    placed = []
    for callback_id in session.scalars(statement).all():
        outcome = _place(session, callback_id, now, transport, sender)
        session.commit()
        if outcome is not None:
            placed.append(outcome)
    return placed


def _place(
    session: Session, callback_id: int, now: datetime, transport: Transport, sender: str | None
) -> CallbackPlaced | None:
    """Claim one queued callback, place its call, and record what the carrier said."""
    claimed = session.execute(
        update(Callback)
        .where(Callback.id == callback_id, Callback.state == "queued")
        .values(state="placing", lease_until=now + PLACE_WITHIN)
        .execution_options(synchronize_session=False)
    )
    if not updated_one_row(claimed):
        return None  # another process has it
    callback = session.get_one(Callback, callback_id, populate_existing=True)
    if callback.requested_at < now - PLACE_WITHIN:
        result = SendResult.reject("not placed within 2 minutes")
    else:
        session.commit()  # the claim holds off other processes before anything rings
        try:
            result = transport.place_call(
                to=callback.coordinator_phone,
                sender=sender or "",
                path=f"{ANSWER_PATH}?callback={callback_id}",
                status_path=f"{STATUS_PATH}?callback={callback_id}",
            )
        except Exception as error:  # a transport must not raise; say so rather than stop
            log.exception("transport raised placing callback %s", callback_id)
            result = SendResult.reject(f"transport raised {type(error).__name__}")
        callback = session.get_one(Callback, callback_id, populate_existing=True)
    if result.succeeded:
        callback.call_sid = callback.call_sid or result.sid
        if callback.state == "placing":  # the call's own webhooks may have moved it on
            callback.state = "placed"
    else:
        _not_placed(session, callback, result.error or "", now, sender)
    return CallbackPlaced(callback_id, callback.referral_id, result)


def _not_placed(
    session: Session, callback: Callback, error: str, now: datetime, sender: str | None
) -> None:
    """End a callback that never rang, and tell a coordinator who asked by text to ask again."""
    log.warning("callback %s not placed: %s", callback.id, error)
    callback.error = error[:200]
    end(session, callback, "not_placed", now)
    if callback.channel == "sms":
        queue_notice(
            session,
            CallbackNotPlaced(callback.referral_id, error),
            to=callback.coordinator_phone,
            language=session.get_one(User, callback.user_id).language,
            sender=sender,
            now=now,
            referral_id=callback.referral_id,
        )


def _give_up_stalled(session: Session, now: datetime, sender: str | None) -> None:
    """End the callbacks whose placing run stopped (a killed clock) before the carrier answered.

    Ten minutes past its lease, with no call of the carrier's heard of, it is
    reported not placed rather than placed again: a call back rings at most once.
    """
    # Well past the lease: a run that claimed it late in a long batch may be placing it now.
    overdue = now - GIVE_UP_AFTER
    stalled = (
        Callback.state == "placing",
        Callback.call_sid.is_(None),
        Callback.lease_until < overdue,
    )
    for callback_id in session.scalars(select(Callback.id).where(*stalled)).all():
        claimed = session.execute(
            update(Callback)
            .where(Callback.id == callback_id, *stalled)
            .values(lease_until=now + PLACE_WITHIN)
            .execution_options(synchronize_session=False)
        )
        if not updated_one_row(claimed):
            continue  # another clock has it, or its call was heard of meanwhile
        callback = session.get_one(Callback, callback_id, populate_existing=True)
        _not_placed(
            session, callback, "the run placing it stopped before the carrier answered", now, sender
        )
        session.commit()


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


def dial_ended(
    session: Session, callback: Callback, dial_status: str, seconds: int | None, now: datetime
) -> str:
    """Record how the officer's leg ended; return the callback's outcome."""
    outcome = OFFICER_OUTCOMES.get(dial_status, "officer_failed")
    if outcome == "connected":
        callback.connected_at = callback.connected_at or now
    return end(session, callback, outcome, now, seconds)


def call_ended(session: Session, callback: Callback, call_status: str, now: datetime) -> str | None:
    """Record the end of the coordinator's call, if nothing before it told how it went."""
    if callback.state == "ended":
        return callback.outcome
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
    _audit(session, callback, now, "voice", outcome)
    log.info(
        "callback %s of referral %s to %s: %s",
        callback.id,
        callback.referral_id,
        mask_phone(callback.officer_phone),
        outcome,
    )
    return outcome


def _audit(session: Session, callback: Callback, now: datetime, channel: str, outcome: str) -> None:
    """Record a callback's request or outcome in the audit log (who, when, how it went)."""
    after = {"callback": callback.id, "outcome": outcome, "user_id": callback.user_id}
    actor = actor_of(callback.user_id, channel)
    record(session, actor, now, "callback", "referral", callback.referral_id, None, after)
