"""Who texted the hotline: staff, a roster officer or a stranger, read in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, and_, bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from ..models import Conversation, Officer, OptOut, User
from ..permissions import holders


class Staff(NamedTuple):
    """An active coordinator or supervisor, as a text's sender."""

    id: int
    name: str


class RosterOfficer(NamedTuple):
    """An officer of the roster, as a text's sender."""

    id: int
    name: str
    badge: str


class OpenIntake(NamedTuple):
    """An intake in progress, as stored (one per phone)."""

    step: str
    answers: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class Sender:
    """Who texted: a number, its coordinator/supervisor or officer, and what stands for it."""

    phone: str
    user: Staff | None
    officer: RosterOfficer | None
    opted_out: bool = False
    intake: OpenIntake | None = None
    # The staff member's, the officer's, or another user's (a case manager's, a prosecutor's)
    # language: None for a number the hotline does not know.
    language: str | None = None

    @property
    def is_staff(self) -> bool:
        """Tell whether the sender may use coordinator commands (only active users are found)."""
        return self.user is not None


# Equalities, not IN: an IN list is expanded anew at every execution of the statement.
STAFF_SMS_USER = (User.active.is_(True), or_(*(User.role == role for role in holders("staff_sms"))))
# Built once, run on every inbound text: all a text needs to know of its sender, in one
# read, before anything is written (SQLite then holds its write lock only for the writes).
_SENDER = select(bindparam("phone", type_=String()).label("phone")).subquery("sender")
# A user who may not use the staff commands still reads replies in their language (SPEC §5).
_READER = aliased(User)
_READER_LANGUAGE = (
    select(_READER.language)
    .where(_READER.phone == _SENDER.c.phone, _READER.active.is_(True))
    .order_by(_READER.id)
    .limit(1)
    .scalar_subquery()
)
SENDER_QUERY = (
    select(
        User.id.label("user_id"),
        User.name.label("user_name"),
        User.language.label("user_language"),
        Officer.id.label("officer_id"),
        Officer.language.label("officer_language"),
        Officer.name.label("officer_name"),
        Officer.badge.label("officer_badge"),
        OptOut.phone.label("opted_out"),
        Conversation.step,
        Conversation.answers,
        Conversation.updated_at,
        _READER_LANGUAGE.label("reader_language"),
    )
    .select_from(_SENDER)
    # Staff first: a coordinator is never taken for an officer. Only the roles that may use
    # the staff commands count as staff: a case manager's or prosecutor's phone gets none.
    .outerjoin(User, and_(User.phone == _SENDER.c.phone, *STAFF_SMS_USER))
    .outerjoin(Officer, and_(Officer.phone == _SENDER.c.phone, Officer.active.is_(True)))
    .outerjoin(OptOut, OptOut.phone == _SENDER.c.phone)
    .outerjoin(Conversation, Conversation.phone == _SENDER.c.phone)
    .order_by(User.id)
    .limit(1)
)


def identify(session: Session, phone: str) -> Sender:
    """Find who owns a number, whether it opted out, and its intake in progress."""
    return sender_from(phone, session.connection().execute(SENDER_QUERY, {"phone": phone}).one())


def sender_from(phone: str, row: Any) -> Sender:
    """Return the sender that a row of SENDER_QUERY describes."""
    user = Staff(row.user_id, row.user_name) if row.user_id is not None else None
    officer = None
    if row.officer_id is not None:
        officer = RosterOfficer(row.officer_id, row.officer_name, row.officer_badge)
    conversation = None
    if row.step is not None:
        conversation = OpenIntake(row.step, row.answers, row.updated_at)
    if user is not None:
        language = row.user_language
    else:
        language = row.officer_language if officer is not None else row.reader_language
    return Sender(phone, user, officer, row.opted_out is not None, conversation, language)
