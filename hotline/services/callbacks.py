"""Call an officer back through the hotline: ask, place, give up the stalled (SPEC §4.10).

A callback rings the coordinator from the hotline's number; only when they
press 1 does the hotline dial the referral's officer, showing its own number.
So neither side sees the other's phone, and a coordinator's voicemail that
picks up never rings the officer. A call placed twice is worse than a text
sent twice (two phones ring at 3 a.m.), so a callback is handed to Twilio at
most once: a failure is reported to the coordinator, who may ask again. How
its call goes on and ends is `callback_outcomes`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from ..messaging.notices import CallbackNotPlaced, Caller, Undelivered, queue_notice
from ..messaging.transport import UNEXPECTED, SendResult, Transport
from ..models import Callback, User
from ..permissions import can
from ..statements import unless_held, updated_one_row
from .alerts import caller_of
from .callback_outcomes import LONGEST_CALL, audit, end
from .referrals import add_event, hold_referral

log = logging.getLogger(__name__)

# A callback not handed to Twilio within this long is dropped: the coordinator has moved on.
PLACE_WITHIN = timedelta(minutes=2)
# A placing run's claim this long past its lease is a run that stopped (a killed clock).
GIVE_UP_AFTER = timedelta(minutes=10)
# A call to the coordinator that nobody put through to the officer is over well within this
# (a minute's ringing, the offer, ten seconds for the 1): still `placed`, its end was lost.
UNHEARD_CALL_AFTER = timedelta(minutes=15)
# The voice routes of a callback's call (app-relative; the transport makes them absolute).
ANSWER_PATH = "/voice/callback"
STATUS_PATH = "/voice/callback/status"

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
    waiting = and_(
        Callback.state.in_(("queued", "placing")), Callback.requested_at > now - PLACE_WITHIN
    )
    # Already ringing them, or already put through: a second ask would ring them again.
    live = and_(
        Callback.state.in_(("placed", "dialling")),
        Callback.requested_at > now - UNHEARD_CALL_AFTER,
    )
    pending = session.scalar(
        select(Callback.id).where(
            Callback.referral_id == referral_id,
            Callback.user_id == user_id,
            or_(waiting, live),
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
    audit(session, callback, now, channel, "requested")
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
        _give_up_unheard_dials(session, now)
        _give_up_unheard_calls(session, now)
    statement = select(Callback.id).where(Callback.state == "queued").order_by(Callback.id)
    if only is not None:
        statement = statement.where(Callback.id == only)
    placed = []
    for callback_id in session.scalars(statement).all():
        # One a stuck transaction holds waits for the next run; the others ring now.
        with unless_held(session, f"call back {callback_id}"):
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
        # The coordinator's language rides in the URL: the answer fails open without the database.
        language = session.get_one(User, callback.user_id).language
        query = {"callback": callback_id} | ({"lang": language} if language else {})
        answer = f"{ANSWER_PATH}?{urlencode(query)}"
        session.commit()  # the claim holds off other processes before anything rings
        try:
            result = transport.place_call(
                to=callback.coordinator_phone,
                sender=sender or "",
                path=answer,
                status_path=f"{STATUS_PATH}?callback={callback_id}",
            )
        except Exception as error:  # a transport must not raise; say so rather than stop
            log.exception("transport raised placing callback %s", callback_id)
            result = SendResult.reject(f"transport raised {type(error).__name__}", kind=UNEXPECTED)
        callback = session.get_one(Callback, callback_id, populate_existing=True)
    if result.succeeded:
        callback.call_sid = callback.call_sid or result.sid
        if callback.state == "placing":  # the call's own webhooks may have moved it on
            callback.state = "placed"
    else:
        _not_placed(session, callback, result, now, sender)
    return CallbackPlaced(callback_id, callback.referral_id, result)


def _not_placed(
    session: Session,
    callback: Callback,
    result: SendResult,
    now: datetime,
    sender: str | None,
) -> None:
    """End a callback that never rang, and tell a coordinator who asked by text to ask again."""
    error = result.error or "no reason"
    log.warning("callback %s not placed: %s", callback.id, error)
    callback.error = error[:200]
    end(session, callback, "not_placed", now)
    if callback.channel == "sms":
        queue_notice(
            session,
            CallbackNotPlaced(callback.referral_id, Undelivered.of(result)),
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
        with unless_held(session, f"call back {callback_id}"):
            callback = _claim(session, callback_id, stalled, now + PLACE_WITHIN)
            if callback is None:
                continue  # another clock has it, or its call was heard of meanwhile
            stopped = SendResult.reject(
                "the run placing it stopped: the carrier's answer never came",
                kind="the run placing it stopped",
            )
            _not_placed(session, callback, stopped, now, sender)
            session.commit()


def _give_up_unheard_dials(session: Session, now: datetime) -> None:
    """End the callbacks dialling the officer past Twilio's longest call: their end was lost."""
    # The <Dial> action came while the database was down, and was answered without it.
    unheard = (Callback.state == "dialling", Callback.lease_until < now)
    for callback_id in session.scalars(select(Callback.id).where(*unheard)).all():
        with unless_held(session, f"call back {callback_id}"):
            callback = _claim(session, callback_id, unheard, now + LONGEST_CALL)
            if callback is not None:  # else another clock has it, or its <Dial> action came
                end(session, callback, "officer_unknown", now)
                session.commit()


def _give_up_unheard_calls(session: Session, now: datetime) -> None:
    """End the callbacks placed long ago that no webhook ever ended: their call's end was lost."""
    # The database was down for the final status and all of Twilio's retries of it.
    unheard = (Callback.state == "placed", Callback.requested_at < now - UNHEARD_CALL_AFTER)
    for callback_id in session.scalars(select(Callback.id).where(*unheard)).all():
        with unless_held(session, f"call back {callback_id}"):
            callback = _claim(session, callback_id, unheard, now)
            if callback is not None:  # else another clock has it, or a webhook came meanwhile
                end(session, callback, "coordinator_unknown", now)
                session.commit()


def _claim(
    session: Session, callback_id: int, still: tuple[ColumnElement[bool], ...], until: datetime
) -> Callback | None:
    """Lease one callback still matching `still` to this run; None when it no longer does."""
    claimed = session.execute(
        update(Callback)
        .where(Callback.id == callback_id, *still)
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    if not updated_one_row(claimed):
        return None
    return session.get_one(Callback, callback_id, populate_existing=True)
