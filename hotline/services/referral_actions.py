"""What coordinators do to a referral by text: take it, note it, close its intake (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ..messaging.notices import Caller, OfficerStatus
from ..models import CLOSED_STATUSES, OPEN_FOR_ACK, Referral, User
from ..statements import updated_one_row
from .alerts import OFFICER_STATUS, OfficerTold, caller_of, tell_officer, tell_others_taken
from .departed_holders import GONE, holder_is_gone
from .enrolment import release
from .referral_audit import actor_of, audit_ack, audit_status, status_now
from .referrals import add_event

# Nobody owns it. An `unable_to_contact` assessment leaves the status as it was but
# implies the acknowledgement (SPEC §6): its author owns the referral from then on.
UNOWNED = and_(Referral.status.in_(OPEN_FOR_ACK), Referral.acknowledged_by.is_(None))
# Someone owns it, and it waits for their assessment (again, after `unable_to_contact`).
TAKEN_UNASSESSED = or_(
    Referral.status == "acknowledged",
    and_(Referral.status.in_(OPEN_FOR_ACK), Referral.acknowledged_by.is_not(None)),
)
OPEN_FOR_INTAKE = ("acknowledged", "assessed")

# A note or a reason holds this many characters (a text holds 1,600).
NOTE_LIMIT = 2000


@dataclass(frozen=True)
class NoSuchReferral:
    """There is no referral of that number (for an officer: none of theirs)."""

    referral_id: int


@dataclass(frozen=True)
class Taken:
    """The user took the referral; the officer (`officer`, None if unverified) was told, or not."""

    referral_id: int
    officer: Caller
    officer_told: OfficerTold = "told"


@dataclass(frozen=True)
class TakenOver:
    """The user took it from `previous`, now gone; it is `status`; the officer told or not."""

    referral_id: int
    officer: Caller
    previous: str
    status: str
    officer_told: OfficerTold | None  # None: its status stayed, so nothing was texted


@dataclass(frozen=True)
class AlreadyYours:
    """The user had taken it already."""

    referral_id: int


@dataclass(frozen=True)
class TakenBy:
    """Someone else has it: who, and their number."""

    referral_id: int
    name: str
    phone: str


@dataclass(frozen=True)
class NotOpen:
    """Its status no longer lets anyone take it, or change it (a closed referral)."""

    referral_id: int
    status: str


@dataclass(frozen=True)
class NotTakenYet:
    """Its intake cannot close before someone takes it."""

    referral_id: int


@dataclass(frozen=True)
class Done:
    """The action was applied: `action` names it (note, intake_completed, …)."""

    referral_id: int
    action: str
    # Marked not a referral after its acceptance: who it enrolled, and whether they exited.
    participant_id: int | None = None
    exited: bool = False
    officer_told: OfficerTold = "told"


ActionOutcome = (
    NoSuchReferral | Taken | TakenOver | AlreadyYours | TakenBy | NotOpen | NotTakenYet | Done
)


def acknowledge(
    session: Session, referral_id: int, user: User, now: datetime, channel: str, sender: str | None
) -> ActionOutcome:
    """Take a referral; of two simultaneous takers exactly one wins. Return the reply."""
    before = status_now(session, referral_id)
    # Its assessor may hold it already (unable_to_contact): the others were told then.
    held_before = session.scalar(select(Referral.acknowledged_by).where(Referral.id == referral_id))
    taken = session.execute(
        update(Referral)
        .where(
            Referral.id == referral_id,
            Referral.status.in_(OPEN_FOR_ACK),
            or_(Referral.acknowledged_by.is_(None), Referral.acknowledged_by == user.id),
        )
        .values(
            status="acknowledged",
            acknowledged_by=user.id,
            acknowledged_at=func.coalesce(Referral.acknowledged_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    referral = session.get(Referral, referral_id)
    if referral is None:
        return NoSuchReferral(referral_id)
    session.refresh(referral)
    if not updated_one_row(taken):
        if referral.acknowledged_by not in (None, user.id):
            if holder_is_gone(session, referral_id):
                return take_over(session, referral, user, now, channel, sender)
            session.refresh(referral)  # as that check saw it: a taker over may have won
        return not_taken(session, referral, user)
    add_event(session, referral.id, "acknowledged", channel, now, actor_id=user.id)
    audit_ack(session, actor_of(user.id, channel), now, referral.id, before, held_before)
    told = tell_officer(session, referral, now, sender, coordinator=user.name)
    if held_before is None:
        tell_others_taken(session, referral.id, user, now, sender)
    return Taken(referral.id, caller_of(session, referral), told)


def not_taken(session: Session, referral: Referral, user: User) -> ActionOutcome:
    """Say why an ACK changed nothing: closed, theirs already, someone else's."""
    if referral.status in CLOSED_STATUSES:  # closed: who held it is no longer the news
        return NotOpen(referral.id, referral.status)
    if referral.acknowledged_by == user.id:
        return AlreadyYours(referral.id)
    if referral.acknowledged_by is not None:
        holder = session.get_one(User, referral.acknowledged_by)
        return TakenBy(referral.id, holder.name, holder.phone)
    return NotOpen(referral.id, referral.status)


def take_over(
    session: Session, row: Referral, user: User, now: datetime, channel: str, sender: str | None
) -> ActionOutcome:
    """Take an open referral from a holder who may no longer work it; one of two takers wins.

    Its status stays, but for `received`/`notified` (held after `unable_to_contact`),
    which becomes `acknowledged` and tells the officer who has it, as an ACK does.
    """
    previous, before = row.acknowledged_by, row.status
    after = "acknowledged" if before in OPEN_FOR_ACK else before
    moved = session.execute(
        update(Referral)
        .where(
            Referral.id == row.id,
            Referral.status == before,
            Referral.acknowledged_by == previous,
            Referral.acknowledged_by.in_(GONE),  # reactivated meanwhile: still theirs
        )
        .values(status=after, acknowledged_by=user.id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if not updated_one_row(moved):  # another taker won, or it closed, meanwhile
        return not_taken(session, row, user)
    detail = {"took_over_from": previous}
    add_event(session, row.id, "acknowledged", channel, now, actor_id=user.id, detail=detail)
    actor = actor_of(user.id, channel)
    audit_ack(session, actor, now, row.id, before, previous, after)
    told = (
        tell_officer(session, row, now, sender, coordinator=user.name) if after != before else None
    )
    name = session.get_one(User, previous).name
    return TakenOver(row.id, caller_of(session, row), name, after, told)


def add_note(
    session: Session, referral_id: int, user: User, text: str, now: datetime, channel: str
) -> ActionOutcome:
    """Add an internal note to a referral's timeline."""
    if session.get(Referral, referral_id) is None:
        return NoSuchReferral(referral_id)
    detail = {"text": text[:NOTE_LIMIT]}
    add_event(session, referral_id, "note", channel, now, actor_id=user.id, detail=detail)
    return Done(referral_id, "note")


def close_intake(
    session: Session,
    referral_id: int,
    user: User,
    completed: bool,
    reason: str,
    now: datetime,
    channel: str,
    sender: str | None,
) -> ActionOutcome:
    """Mark an acknowledged referral's intake completed or missed; tell the officer the status."""
    status = "intake_completed" if completed else "intake_missed"
    before = status_now(session, referral_id)
    changed = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status.in_(OPEN_FOR_INTAKE))
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    referral = session.get(Referral, referral_id)
    if referral is None:
        return NoSuchReferral(referral_id)
    session.refresh(referral)
    if not updated_one_row(changed):
        holder_id = referral.acknowledged_by
        gone = holder_id is not None and holder_is_gone(session, referral_id)
        if referral.status in OPEN_FOR_ACK and holder_id not in (None, user.id) and not gone:
            holder = session.get_one(User, holder_id)  # it is theirs, though still `received`
            return TakenBy(referral_id, holder.name, holder.phone)
        if referral.status in OPEN_FOR_ACK:
            return NotTakenYet(referral_id)
        return NotOpen(referral_id, referral.status)
    detail = {"reason": reason[:NOTE_LIMIT]} if reason else None
    add_event(session, referral.id, status, channel, now, actor_id=user.id, detail=detail)
    # The reason stays on the timeline only: retention erases it there, not in the audit log.
    audit_status(session, actor_of(user.id, channel), now, referral.id, before, status)
    return Done(referral_id, status, officer_told=tell_officer(session, referral, now, sender))


def officer_status(
    session: Session, referral_id: int, phone: str, officer_id: int | None = None
) -> OfficerStatus | NoSuchReferral:
    """Return the public status of the sender's own referral; others' look like none at all.

    Their own: made from this phone, or, for a roster officer (`officer_id`), in their name
    from a borrowed one.
    """
    own = Referral.officer_phone == phone
    if officer_id is not None:
        own = or_(own, Referral.officer_id == officer_id)
    referral = session.scalars(select(Referral).where(Referral.id == referral_id, own)).first()
    if referral is None:
        return NoSuchReferral(referral_id)
    return OfficerStatus(referral.id, OFFICER_STATUS[referral.status])


def mark_not_a_referral(
    session: Session, referral_id: int, user: User, now: datetime, channel: str, sender: str | None
) -> ActionOutcome:
    """Close an open referral that was not one (a wrong number, a test); tell the officer."""
    open_statuses = (*OPEN_FOR_ACK, *OPEN_FOR_INTAKE)
    before = status_now(session, referral_id)
    changed = session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status.in_(open_statuses))
        .values(status="not_a_referral")
        .execution_options(synchronize_session=False)
    )
    referral = session.get(Referral, referral_id)
    if referral is None:
        return NoSuchReferral(referral_id)
    session.refresh(referral)
    if not updated_one_row(changed):
        return NotOpen(referral_id, referral.status)
    add_event(session, referral.id, "not_a_referral", channel, now, actor_id=user.id)
    actor = actor_of(user.id, channel)
    enrolled = referral.participant_id
    # Not a referral, it enrols nobody (SPEC §6): the log says whose record it left.
    unlinked = {"participant_id": None} if enrolled is not None else {}
    was = {"participant_id": enrolled} if enrolled is not None else None
    audit_status(
        session, actor, now, referral.id, before, "not_a_referral", was_also=was, **unlinked
    )
    told = tell_officer(session, referral, now, sender)
    if enrolled is None:
        return Done(referral_id, "not_a_referral", officer_told=told)
    # Its acceptance enrolled someone: not a referral, it enrols nobody (SPEC §6).
    exited = release(session, referral, actor, now)
    kind = "participant_exited" if exited else "participant_unlinked"
    add_event(
        session, referral.id, kind, channel, now, actor_id=user.id, detail={"participant": enrolled}
    )
    return Done(referral_id, "not_a_referral", enrolled, exited, told)
