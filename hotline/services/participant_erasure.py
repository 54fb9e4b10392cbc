"""Erase who exited participants were, once gone longer than the retention period (SPEC §7).

The record stays for the counts; the name, aliases, birth date, plan notes, charge
descriptions, the texts naming them and the words of their referrals go.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Text,
    cast,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.orm import Session

from ..audit import record
from ..models import (
    Charge,
    Message,
    Participant,
    PlanEntry,
    Referral,
)
from ..statements import unless_held
from .retention import ERASED, SYSTEM, claim_erasure, erase_referral_words


def _participants_due(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    """Return what makes a participant due for erasure: exited before `cutoff`, not erased since.

    Erased before they last exited counts as not erased: one who came back and
    left again may have been given their name back meanwhile.
    """
    not_erased_since = or_(
        Participant.erased_at.is_(None), Participant.erased_at < Participant.exited_at
    )
    return (Participant.status == "exited", Participant.exited_at <= cutoff, not_erased_since)


def _erase_their_referrals(
    session: Session, participant_id: int, now: datetime, account_sid: str | None
) -> None:
    """Erase the words of every referral of an erased participant, open ones too."""
    referral_ids = session.scalars(
        select(Referral.id).where(Referral.participant_id == participant_id)
    ).all()
    for referral_id in referral_ids:
        erase_referral_words(session, referral_id, account_sid)
    session.execute(  # words written to them later go at the next run
        update(Referral)
        .where(Referral.participant_id == participant_id, Referral.erased_at.is_(None))
        .values(erased_at=now)
        .execution_options(synchronize_session=False)
    )


def erase_old_participants(
    session: Session, now: datetime, retention_days: int | None, account_sid: str | None = None
) -> int:
    """Erase who exited participants were, once they left longer ago than the retention period.

    The record stays for the counts (referrals, plan, charges by date); the name,
    aliases, birth date, plan notes, charge descriptions, the texts naming them and
    the words of their referrals, open ones too, go.
    """
    if not retention_days:
        return 0
    cutoff = now - timedelta(days=retention_days)
    still_due = _participants_due(cutoff)
    due = session.scalars(select(Participant.id).where(*still_due)).all()
    erased = 0
    for participant_id in due:
        # One held by a stuck transaction (or whose referral is) waits for the next run.
        with unless_held(session, f"participant {participant_id}"):
            erased += _erase_due(session, participant_id, now, still_due, account_sid)
    # Still exited and erased, yet written to since (a charge, a plan note, a name):
    # nothing outlives the period because it came late.
    still_erased = (Participant.status == "exited", Participant.erased_at >= Participant.exited_at)
    for participant_id in _participants_written_after_erasure(session, still_erased):
        with unless_held(session, f"participant {participant_id}"):
            if not claim_erasure(session, Participant, participant_id, now, still_erased, IDENTITY):
                continue  # back in the program meanwhile: what is written now is theirs
            # Held by that claim, judged again: another clock may have erased them since.
            if not _participants_written_after_erasure(session, still_erased, participant_id):
                session.rollback()
                continue
            _erase_their_words(session, participant_id)
            late = {**ERASED_PERSON, "written_after_erasure": True}
            record(session, SYSTEM, now, "erase", "participant", participant_id, None, late)
            session.commit()
    return erased


def _erase_due(
    session: Session,
    participant_id: int,
    now: datetime,
    still_due: tuple[ColumnElement[bool], ...],
    account_sid: str | None,
) -> int:
    """Erase one due participant unless they moved on; commit; return 1 if this run did."""
    if not claim_erasure(session, Participant, participant_id, now, still_due, IDENTITY):
        return 0  # another clock erased them first, or they are back
    _erase_their_referrals(session, participant_id, now, account_sid)
    _erase_their_words(session, participant_id)
    record(session, SYSTEM, now, "erase", "participant", participant_id, None, ERASED_PERSON)
    session.commit()
    return 1


IDENTITY: dict[str, Any] = {"name": ERASED, "aliases": [], "date_of_birth": None}
ERASED_PERSON = {
    "erased": [
        "name",
        "aliases",
        "date_of_birth",
        "plan notes",
        "charge descriptions",
        "message bodies",
        "their referrals' words",
    ]
}


def _erase_their_words(session: Session, participant_id: int) -> None:
    """Erase the plan notes, charge descriptions and texts filed with one participant."""
    session.execute(
        update(PlanEntry).where(PlanEntry.participant_id == participant_id).values(note=None)
    )
    session.execute(
        update(Charge).where(Charge.participant_id == participant_id).values(description=ERASED)
    )
    session.execute(  # CONTACT texts naming them, and their case manager's notices
        update(Message)
        .where(Message.participant_id == participant_id, Message.status != "queued")
        .values(body=None)  # a text still to send keeps its words: the next run takes them
    )


def _participants_written_after_erasure(
    session: Session, still_erased: tuple[ColumnElement[bool], ...], only: int | None = None
) -> Sequence[int]:
    """Return the erased, still exited participants (or `only`) words were written to since."""
    erased = select(Participant.id.label("participant_id")).where(*still_erased)
    if only is not None:  # narrowed at the root, so each select of the union reads one person
        erased = erased.where(Participant.id == only)
    with_words: CompoundSelect[tuple[int]] = union(
        erased.where(
            or_(
                Participant.name != ERASED,
                Participant.date_of_birth.is_not(None),
                cast(Participant.aliases, Text) != "[]",
            )
        ),
        select(PlanEntry.participant_id).where(
            PlanEntry.participant_id.in_(erased), PlanEntry.note.is_not(None)
        ),
        select(Charge.participant_id).where(
            Charge.participant_id.in_(erased), Charge.description != ERASED
        ),
        select(Message.participant_id).where(
            Message.participant_id.in_(erased),
            Message.body.is_not(None),
            Message.status != "queued",
        ),
    )
    return sorted(session.scalars(select(with_words.subquery().c.participant_id)).all())
