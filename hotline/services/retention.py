"""Retention: erase who closed referrals were, and texts filed with nobody (SPEC §7 `retention`).

Statuses, times and events stay for the reports; the words that could name a
person go. Text written about a referral after it was erased (a note, a texted
command, a late recording) is erased at the next run: nothing outlives the
period because it came late. Texts filed with no referral or participant (an
intake never sent, a CONTACT that matched nobody) go once older than the period.
A voicemail kept at Twilio by this account keeps its URL here until Twilio has
deleted it (`erased_recordings`); any other recording URL goes with the words.
Exited participants are erased by `participant_erasure`, with the words of their referrals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    Text,
    case,
    cast,
    delete,
    func,
    null,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.orm import Session

from ..audit import Actor, record
from ..messaging.recordings import kept_at_twilio
from ..models import (
    CLOSED_STATUSES,
    Assessment,
    Call,
    Conversation,
    Message,
    Participant,
    Referral,
    ReferralEvent,
)
from ..statements import hold_row, unless_held, updated_one_row

log = logging.getLogger(__name__)
SYSTEM = Actor(None, "system")
ERASED = "(erased)"
# Free text of these events may name the participant; retention erases it.
FREE_TEXT_EVENTS = ("note", "intake_missed", "intake_completed", "assessment", "completed")
ERASED_REFERRAL = {
    "erased": [
        "participant_name",
        "location",
        "notes",
        "services",
        "recording_url",
        "message bodies",
    ]
}


def erase_old_referrals(
    session: Session, now: datetime, retention_days: int | None, account_sid: str | None = None
) -> int:
    """Erase participant identifiers of closed referrals older than the retention period.

    Returns how many referrals were erased for the first time; text added to
    referrals erased earlier is erased too (and audited), not counted. The
    recordings `account_sid` keeps at Twilio are left to `delete_erased_recordings`.
    """
    if not retention_days:
        return 0
    cutoff = now - timedelta(days=retention_days)
    due = session.scalars(
        select(Referral.id).where(
            Referral.status.in_(CLOSED_STATUSES),
            Referral.created_at < cutoff,  # more than that many days old (SPEC §7): not at it
            Referral.erased_at.is_(None),
        )
    ).all()
    erased = 0
    for referral_id in due:
        # A row a stuck transaction holds waits for the next run; the others are erased now.
        with unless_held(session, f"referral {referral_id}"):
            erased += _erase_due(session, referral_id, now, account_sid)
    for referral_id in _written_after_erasure(session, account_sid):
        with unless_held(session, f"referral {referral_id}"):
            # Held, then judged again: another clock may have erased them since the list.
            hold_row(session, Referral, referral_id, Referral.erased_at)
            if not _written_after_erasure(session, account_sid, only=referral_id):
                session.rollback()
                continue
            erase_referral_words(session, referral_id, account_sid)
            late = {**ERASED_REFERRAL, "written_after_erasure": True}
            record(session, SYSTEM, now, "erase", "referral", referral_id, None, late)
            session.commit()
    return erased


def _erase_due(session: Session, referral_id: int, now: datetime, account_sid: str | None) -> int:
    """Erase one due referral unless another clock did; commit; return 1 if this run did."""
    if not claim_erasure(session, Referral, referral_id, now, [Referral.erased_at.is_(None)]):
        return 0  # another clock erased it first
    erase_referral_words(session, referral_id, account_sid)
    record(session, SYSTEM, now, "erase", "referral", referral_id, None, ERASED_REFERRAL)
    session.commit()
    return 1


def claim_erasure(
    session: Session,
    model: type[Referral] | type[Participant],
    row_id: int,
    now: datetime,
    due: Sequence[ColumnElement[bool]],
    values: dict[str, Any] | None = None,
) -> bool:
    """Mark one row erased, with `values`, if it is still `due` as it is claimed; tell whether.

    Another clock that erased it first, or a change since the list was read (a
    participant taken back into the program), leaves it as it is.
    """
    claimed = session.execute(
        update(model)
        .where(model.id == row_id, *due)
        .values(erased_at=now, **(values or {}))
        .execution_options(synchronize_session=False)
    )
    return updated_one_row(claimed)


def erase_referral_words(session: Session, referral_id: int, account_sid: str | None) -> None:
    """Set to null every word of one referral that may name its participant.

    A recording at Twilio keeps its URL: it goes once Twilio has deleted the recording.
    """
    ours = kept_at_twilio(Referral.recording_url, account_sid)
    session.execute(
        update(Referral)
        .where(Referral.id == referral_id)
        .values(
            participant_name=None,
            location=None,
            recording_url=case((ours, Referral.recording_url), else_=null()),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Call)
        .where(Call.referral_id == referral_id, ~kept_at_twilio(Call.recording_url, account_sid))
        .values(recording_url=None)
    )
    session.execute(  # a text still to send keeps its words: it goes at the next run
        update(Message)
        .where(Message.referral_id == referral_id, Message.status != "queued")
        .values(body=None)
    )
    session.execute(
        update(Assessment)
        .where(Assessment.referral_id == referral_id)
        .values(notes=None, services=[])
    )
    session.execute(
        update(ReferralEvent)
        .where(ReferralEvent.referral_id == referral_id, ReferralEvent.kind.in_(FREE_TEXT_EVENTS))
        .values(detail=null())
    )


def erased_referrals() -> Select[int]:
    """Select the ids of the referrals erased and still to be kept erased."""
    # An open referral of a participant back in the program is theirs again: what is
    # written to it now is kept, until they are erased again.
    return (
        select(Referral.id.label("referral_id"))
        .outerjoin(Participant, Participant.id == Referral.participant_id)
        .where(
            Referral.erased_at.is_not(None),
            or_(
                Referral.status.in_(CLOSED_STATUSES), Participant.status.is_distinct_from("active")
            ),
        )
    )


def _written_after_erasure(
    session: Session, account_sid: str | None, only: int | None = None
) -> Sequence[int]:
    """Return the erased referrals (or referral `only`) that words were written to since.

    A recording the account keeps at Twilio is not among them: it waits for Twilio.
    """
    erased = erased_referrals()
    if only is not None:  # narrowed at the root, so each select of the union reads one referral
        erased = erased.where(Referral.id == only)
    # An erased event's detail was once stored as JSON null: no words in it.
    has_detail = ReferralEvent.detail.is_not(None) & (cast(ReferralEvent.detail, Text) != "null")
    with_words: CompoundSelect[tuple[int]] = union(
        erased.where(
            or_(
                Referral.participant_name.is_not(None),
                Referral.location.is_not(None),
                Referral.recording_url.is_not(None)
                & ~kept_at_twilio(Referral.recording_url, account_sid),
            )
        ),
        select(Call.referral_id).where(
            Call.referral_id.in_(erased),
            Call.recording_url.is_not(None),
            ~kept_at_twilio(Call.recording_url, account_sid),
        ),
        select(Message.referral_id).where(
            Message.referral_id.in_(erased),
            Message.body.is_not(None),
            Message.status != "queued",
        ),
        select(Assessment.referral_id).where(
            Assessment.referral_id.in_(erased),
            Assessment.notes.is_not(None) | (cast(Assessment.services, Text) != "[]"),
        ),
        select(ReferralEvent.referral_id).where(
            ReferralEvent.referral_id.in_(erased),
            ReferralEvent.kind.in_(FREE_TEXT_EVENTS),
            has_detail,
        ),
    )
    return sorted(session.scalars(select(with_words.subquery().c.referral_id)).all())


def erase_unfiled_texts(session: Session, now: datetime, retention_days: int | None) -> int:
    """Erase the words of texts outside any record, and intakes left idle, older than the period.

    Any text may name someone: an intake never sent holds a name and a place, a
    CONTACT that matched nobody a name. A text still to send keeps its words.
    Returns how many texts were erased.
    """
    if not retention_days:
        return 0
    cutoff = now - timedelta(days=retention_days)
    # A row a stuck transaction holds is passed over (PostgreSQL), not waited for past the
    # lock timeout, which failed the whole statement: it is erased at the next run.
    unfiled = select(Message.id).where(
        Message.referral_id.is_(None),
        Message.participant_id.is_(None),
        Message.created_at < cutoff,  # older than the period, as a referral (SPEC §7)
        Message.body.is_not(None),
        Message.status != "queued",
    )
    texts = session.execute(
        update(Message)
        .where(Message.id.in_(unfiled.with_for_update(skip_locked=True).scalar_subquery()))
        .values(body=None)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    ).all()
    idle = select(Conversation.phone).where(Conversation.updated_at < cutoff)
    intakes = session.execute(
        delete(Conversation)
        .where(Conversation.phone.in_(idle.with_for_update(skip_locked=True).scalar_subquery()))
        .returning(Conversation.phone)
        .execution_options(synchronize_session=False)
    ).all()
    # What is still eligible was passed over: say so, as `unless_held` does for one row.
    passed_over = [
        session.scalar(select(func.count()).select_from(q.subquery())) for q in (unfiled, idle)
    ]
    if any(passed_over):
        log.warning("%d texts and %d intakes held elsewhere: left for a later run", *passed_over)
    if texts or intakes:
        erased = {
            "erased": ["message bodies", "intake answers"],
            "texts": len(texts),
            "intakes": len(intakes),
        }
        record(session, SYSTEM, now, "erase", "message", None, None, erased)
    session.commit()
    return len(texts)
