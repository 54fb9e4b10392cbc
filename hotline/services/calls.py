"""A call after its arrival: the chain it walks, who accepted (SPEC §4); its end is call_end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import OPEN_FOR_ACK, Call, CallLeg, Officer, Referral, User
from ..permissions import holders
from ..statements import insert_unless_present, updated_one_row
from .call_end import FINAL_CALL_STATUSES, hold_call
from .people import OFFICER_WITH_BADGE
from .referral_audit import actor_of, audit_ack
from .referrals import add_event, hold_referral

# Twilio's DialCallStatus → the leg's outcome when nobody pressed 1 (SPEC §4.6).
UNACCEPTED_OUTCOMES = {
    "completed": "declined",
    "answered": "declined",
    "no-answer": "no-answer",
    "busy": "busy",
    "failed": "failed",
    "canceled": "canceled",
}
BADGE_DIGITS = 20  # the roster's longest badge (schemas.people.Badge)
KEYED_DIGITS_KEPT = 40  # referrals.badge holds what an unverified caller keyed, up to this
KEYPAD = "0123456789*"  # what Digits may hold before the prompt's `#` ends it


@dataclass(frozen=True)
class Dial:
    """Ring step `step` of the call's chain."""

    step: int
    number: str


@dataclass(frozen=True)
class Voicemail:
    """The chain is exhausted: offer the caller a recording."""


@dataclass(frozen=True)
class Done:
    """Nothing more to do on this call: hang up."""


Next = Dial | Voicemail | Done


def find_call(session: Session, call_sid: str) -> Call | None:
    """Return the call record of a CallSid."""
    return session.scalars(select(Call).where(Call.call_sid == call_sid)).first()


def identify_by_badge(session: Session, call: Call, digits: str, now: datetime) -> Officer | None:
    """Match a keyed badge to the roster; an unmatched badge is kept on the referral."""
    # A keypad's keys as keyed: `*` is no digit of a badge, and "47*11" is not badge 4711.
    badge = "".join(ch for ch in digits if ch in KEYPAD)[:KEYED_DIGITS_KEPT]
    referral = session.get_one(Referral, call.referral_id)
    if not badge or call.officer_id is not None:
        return session.get(Officer, call.officer_id) if call.officer_id else None
    if referral.badge == badge:  # a retried step: this badge is on record, unmatched
        return None
    # The call's row before the referral's, as the final status holds them: a caller
    # hanging up as the badge is keyed must not deadlock the two steps.
    hold_call(session, call)
    # Longer than any badge, or with a `*`: kept as keyed, but it is no officer's badge.
    fits = len(badge) <= BADGE_DIGITS and badge.isdigit()
    officer = session.scalars(OFFICER_WITH_BADGE, {"badge": badge}).first() if fits else None
    referral.badge = badge
    if officer is not None:
        call.officer_id = referral.officer_id = officer.id
    detail = {"badge": badge, "matched": officer is not None}
    add_event(session, referral.id, "badge_entered", "voice", now, detail=detail)
    return officer


def caller_name(session: Session, call: Call) -> str | None:
    """Return the calling officer's name, None while the caller is unverified."""
    if call.officer_id is not None:
        return session.get_one(Officer, call.officer_id).name
    return None


def dialled_language(session: Session, call: Call, step: int) -> str | None:
    """Return the language of the person step `step` rings (None for a fallback number)."""
    user_id = call.chain[step]["user_id"] if step < len(call.chain) else None
    if user_id is None:
        return None
    return session.scalar(select(User.language).where(User.id == user_id))


def step_or_voicemail(chain: list[dict[str, Any]], step: int) -> Next:
    """Return step `step` of a call's chain, or voicemail past its end."""
    if step < len(chain):
        return Dial(step, chain[step]["number"])
    return Voicemail()


def next_step(session: Session, chain: list[dict[str, Any]], step: int) -> Next:
    """Return the first step from `step` on whose person still takes calls, or voicemail.

    The chain is kept as the call found it; someone deactivated since, or moved to a
    role that takes no calls, is passed over (SPEC §3: an inactive user is never on
    call), and a person's phone is the one they have now, not the one the call
    found. Fallback numbers have no person and are always dialled.
    """
    people = {entry["user_id"] for entry in chain[step:] if entry.get("user_id") is not None}
    phones: dict[int, str] = (
        {
            user_id: phone
            for user_id, phone in session.execute(
                select(User.id, User.phone).where(
                    User.id.in_(people),
                    User.active.is_(True),
                    User.role.in_(holders("take_calls")),
                )
            )
        }
        if people
        else {}
    )
    for index in range(step, len(chain)):
        user_id = chain[index].get("user_id")
        if user_id is None:
            return step_or_voicemail(chain, index)
        if user_id in phones:
            return Dial(index, phones[user_id])
    return Voicemail()


def ensure_leg(
    session: Session,
    call_id: int,
    chain: list[dict[str, Any]],
    step: int,
    now: datetime,
    number: str | None = None,
) -> None:
    """Record that step `step` is being dialled (once, whatever the retries), at `number`.

    `number` is the one dialled when it is not the chain's (the person's phone changed).
    """
    entry = chain[step]
    insert_unless_present(
        session,
        CallLeg,
        {
            "call_id": call_id,
            "step": step,
            "number": number or entry["number"],
            "user_id": entry["user_id"],
            "at": now,
        },
    )


def leg_of(session: Session, call: Call, step: int) -> CallLeg | None:
    """Return the leg of a step."""
    return session.scalars(
        select(CallLeg).where(CallLeg.call_id == call.id, CallLeg.step == step)
    ).first()


def settle_leg(session: Session, leg: CallLeg, outcome: str, **values: Any) -> bool:
    """Give a leg its outcome unless it has one; tell whether this request did.

    One conditional UPDATE: a 1 and the step's timeout racing each other cannot both
    settle the leg. When the other came first, `leg` is read again.
    """
    settled = session.execute(
        update(CallLeg)
        .where(CallLeg.id == leg.id, CallLeg.outcome.is_(None))
        .values(outcome=outcome, **values)
        .execution_options(synchronize_session=False)
    )
    if updated_one_row(settled):
        leg.outcome = outcome
        for name, value in values.items():
            setattr(leg, name, value)
        return True
    session.refresh(leg)
    return False


def accept(session: Session, call: Call, step: int, digits: str, now: datetime) -> bool:
    """Record a dialled person's key press; tell whether they took the call."""
    ensure_leg(session, call.id, call.chain, step, now)
    leg = leg_of(session, call, step)
    assert leg is not None
    if leg.outcome == "accepted":
        return True
    if leg.outcome is not None:  # the step is over (it timed out, say): its leg bridges nobody
        return False
    if not digits.strip().startswith("1"):
        leg.outcome = "declined"
        return False
    return _take(session, call, leg, now, {"step": step, "number": leg.number})


def hold_referral_of(session: Session, call: Call) -> Referral:
    """Read the call's referral again and hold its row until commit."""
    referral = hold_referral(session, call.referral_id) if call.referral_id else None
    if referral is None:  # every call gets its referral as it arrives
        raise LookupError(f"call {call.id} has no referral")
    return referral


def _take(session: Session, call: Call, leg: CallLeg, at: datetime, detail: dict[str, Any]) -> bool:
    """Make `leg` the call's answer unless another leg or the caller's hang-up came first."""
    # The leg first, held until commit (PostgreSQL): a timeout of this step that read it
    # before this 1 waits, then finds it accepted; one that wrote first wins.
    if not settle_leg(session, leg, "accepted", accepted_at=at):
        return leg.outcome == "accepted"
    # Only the first acceptance counts, even if two legs race; and none once the caller
    # hung up: a key pressed after that bridges nobody.
    taken = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.answered_at.is_(None), Call.ended_at.is_(None))
        .values(
            answered_at=at,
            answered_by=leg.user_id,
            call_outcome="answered",
        )
    )
    if not updated_one_row(taken):
        leg.outcome, leg.accepted_at = "declined", None
        return False
    # Read again and held: a "Take it" or an ACK in another worker either won first (the
    # referral stays theirs, as they were told) or waits for this one and is told who has it.
    referral = hold_referral_of(session, call)
    referral.call_outcome, referral.answered_by = "answered", leg.user_id
    unowned = referral.status in OPEN_FOR_ACK and referral.acknowledged_by is None
    if leg.user_id is not None and unowned:
        audit_ack(session, actor_of(leg.user_id, "voice"), at, referral.id, referral.status)
        referral.status = "acknowledged"
        referral.acknowledged_by, referral.acknowledged_at = leg.user_id, at
    add_event(
        session, referral.id, "call_answered", "voice", at, actor_id=leg.user_id, detail=detail
    )
    session.refresh(call)
    return True


def dial_result(
    session: Session,
    call: Call,
    step: int,
    dial_status: str,
    call_status: str,
    duration: int | None,
    now: datetime,
    bridged_after: int,
) -> Next:
    """Record how a step ended and return what the caller meets next (SPEC §4.4).

    A leg that talked longer than `bridged_after` seconds was bridged even when
    no 1 is on record: the whisper hangs up on anyone who does not press it,
    and a press the database missed was still answered fail-open (SPEC §4.7).
    """
    ensure_leg(session, call.id, call.chain, step, now)
    leg = leg_of(session, call, step)
    assert leg is not None
    talked = dial_status in ("completed", "answered") and (duration or 0) > bridged_after
    if leg.outcome is None and talked and duration is not None:
        detail = {"step": step, "number": leg.number, "seconds": duration, "key_unrecorded": True}
        _take(session, call, leg, now - timedelta(seconds=duration), detail)
    if leg.outcome is None:
        # Settled here unless a 1 committed meanwhile: then the call is taken.
        settle_leg(session, leg, UNACCEPTED_OUTCOMES.get(dial_status, "failed"))
    if leg.outcome == "accepted":
        leg.duration = duration if duration is not None else leg.duration
        return Done()
    if call_status in FINAL_CALL_STATUSES or call.ended_at is not None:
        return Done()  # the caller hung up while it rang
    return unless_ended(session, call, next_step(session, call.chain, step + 1))


def unless_ended(session: Session, call: Call, following: Next) -> Next:
    """Return `following`, or Done if the caller hung up: nobody is rung on an ended call.

    The call's row is read again and held until commit, so the leg this request
    records is either seen by a final status arriving now, which waits and then
    closes it, or not written at all (call_end.finish).
    """
    if isinstance(following, Dial) and hold_call(session, call).ended_at is not None:
        return Done()
    return following
