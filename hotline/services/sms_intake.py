"""An officer's referral by text: the conversation kept in the database, and its ending."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Conversation, DeclinedConsent, Message, Officer, Referral
from ..statements import table_of, updated_one_row
from . import intake_steps as intake
from .escalation import first_recipients, notify_recipients
from .intake_outcomes import Asked, Declined, Dropped, IntakeReply, Sent
from .people import OFFICER_WITH_BADGE
from .referral_audit import actor_of, audit_consent
from .referrals import add_event
from .text_sender import OpenIntake, Sender

IDLE_LIMIT = timedelta(minutes=30)
INTAKE_REPLY = "intake"  # the `kind` of an outbound prompt of an intake
REDACTED = "[redacted: no consent]"


CONVERSATION_INSERT = insert(table_of(Conversation))
# An intake is written only as it was read (its updated_at): two texts of one
# officer handled at once must not both answer the same question.
_AS_READ = (Conversation.phone == bindparam("key"), Conversation.updated_at == bindparam("seen"))
CONVERSATION_UPDATE = (
    update(table_of(Conversation))
    .where(*_AS_READ)
    .values(step=bindparam("step"), answers=bindparam("answers"), updated_at=bindparam("at"))
)
CONVERSATION_CLOSE = delete(table_of(Conversation)).where(*_AS_READ)
CONVERSATION_DELETE = delete(table_of(Conversation)).where(Conversation.phone == bindparam("key"))
_MESSAGE_IDS = Message.id.in_(bindparam("ids", expanding=True))
REDACT_INBOUND = (
    update(table_of(Message)).where(_MESSAGE_IDS, Message.direction == "in").values(body=REDACTED)
)
# The intake's prompts to this phone since its first text: the summary of a try started
# over repeats the person's name and place, and N keeps no identity (SPEC §5).
REDACT_PROMPTS = (
    update(table_of(Message))
    .where(
        Message.direction == "out",
        Message.to_number == bindparam("phone"),
        Message.kind == INTAKE_REPLY,
        Message.referral_id.is_(None),
        Message.id > bindparam("first"),
    )
    .values(body=REDACTED)
)
# The intake's own texts, and the prompts sent to this phone since the intake began (its
# first text), the confirmation that repeats the participant's name and place included:
# retention erases them with the referral. One statement for both.
LINK_MESSAGES = (
    update(table_of(Message))
    .where(
        or_(
            _MESSAGE_IDS,
            and_(
                Message.direction == "out",
                Message.to_number == bindparam("phone"),
                Message.kind == INTAKE_REPLY,
                Message.referral_id.is_(None),
                Message.id > bindparam("first"),
            ),
        )
    )
    .values(referral_id=bindparam("referral"))
)
REFERRAL_INSERT = insert(table_of(Referral)).returning(Referral.id)
OFFICER_BY_BADGE = select(Officer.name).where(
    Officer.badge == bindparam("badge"), Officer.active.is_(True)
)


class IntakeMoved(Exception):
    """Another text of the sender changed the intake after this one read it: handle it again."""


def write_as_read(connection: Connection, statement: Any, values: dict[str, Any]) -> None:
    """Run a write of the intake as it was read, or raise IntakeMoved."""
    if not updated_one_row(connection.execute(statement, values)):
        raise IntakeMoved


def _drop(session: Session, phone: str) -> None:
    session.connection().execute(CONVERSATION_DELETE, {"key": phone})


def active_conversation(
    session: Session, sender: Sender, now: datetime
) -> tuple[OpenIntake | None, bool]:
    """Return the sender's intake in progress, and whether an idle one just expired."""
    conversation = sender.intake
    if conversation is None:
        return None, False
    if now - conversation.updated_at >= IDLE_LIMIT:  # idle for 30 minutes: expired (SPEC §5)
        _drop(session, sender.phone)
        return None, True
    return conversation, False


def start(
    session: Session,
    sender: Sender,
    now: datetime,
    message_id: int,
    language: str,
    restarting: OpenIntake | None = None,
) -> Asked:
    """Begin an intake in `language`, or start `restarting` over; return its first question.

    An intake started over keeps the earlier try's texts: a name typed there is
    redacted on N, and filed with the referral on SEND, as the new try's are.
    """
    if sender.intake is not None:
        _drop(session, sender.phone)
    earlier = list(restarting.answers.get("message_ids") or []) if restarting else []
    step = intake.first_step(sender.officer is not None)
    answers: dict[str, Any] = {"message_ids": [*earlier, message_id], "language": language}
    values: dict[str, Any] = {"phone": sender.phone, "step": step, "answers": answers}
    values.update(started_at=now, updated_at=now)
    try:
        session.connection().execute(CONVERSATION_INSERT, values)
    except IntegrityError as error:
        # Another text of the sender (REFER sent twice) began an intake since this one
        # read none: its key, the phone, is taken. Handled again, this text sees it.
        raise IntakeMoved from error
    return Asked(step, answers, officer_name=sender.officer.name if sender.officer else None)


def recently_sent(session: Session, phone: str, now: datetime) -> int | None:
    """Return the referral this phone's intake sent within the idle limit (a SEND sent twice)."""
    return session.scalar(
        select(Referral.id)
        .where(
            Referral.channel == "sms",
            Referral.officer_phone == phone,
            Referral.created_at > now - IDLE_LIMIT,
        )
        .order_by(Referral.id.desc())
        .limit(1)
    )


def _officer_by_badge(session: Session) -> Callable[[str], str | None]:
    def lookup(badge: str) -> str | None:
        name: str | None = session.connection().execute(OFFICER_BY_BADGE, {"badge": badge}).scalar()
        return name

    return lookup


def proceed(
    session: Session,
    conversation: OpenIntake,
    sender: Sender,
    text: str,
    now: datetime,
    message_id: int,
    sender_number: str | None,
) -> IntakeReply:
    """Apply one answer to the intake and return what it led to."""
    answers = dict(conversation.answers)
    answers["message_ids"] = [*answers.get("message_ids", []), message_id]
    step: intake.Step = conversation.step  # type: ignore[assignment]
    turn = intake.answer(step, answers, text, _officer_by_badge(session))
    seen = {"key": sender.phone, "seen": conversation.updated_at}
    if turn.outcome == "declined":
        write_as_read(session.connection(), CONVERSATION_CLOSE, seen)
        decline(session, sender.phone, answers["message_ids"], now)
        return Declined()
    if turn.outcome == "send":
        return submit(session, sender, turn.answers, now, sender_number)
    kept = {**turn.answers, "message_ids": answers["message_ids"]}
    if step == "consent" and turn.step == "confirm":
        kept["consent_at"] = now.isoformat()
    asked = turn.step or step
    # Saved with the reply that asks it (intake_reply.save_and_reply): one statement on PG.
    saves = {**seen, "step": asked, "answers": kept, "at": now}
    retry = turn.outcome == "retry"
    return Asked(asked, kept, retry=retry, badge_noted=turn.badge_noted, saves=saves)


def abort(session: Session, sender: Sender) -> Dropped:
    """Drop an intake at the officer's word."""
    _drop(session, sender.phone)
    return Dropped()


def decline(session: Session, phone: str, message_ids: list[int], now: datetime) -> None:
    """Count an intake ended without consent; keep no identity: redact its texts both ways."""
    session.connection().execute(insert(table_of(DeclinedConsent)), {"at": now})
    session.connection().execute(REDACT_INBOUND, {"ids": message_ids})
    prompts = {"phone": phone, "first": min(message_ids)}
    session.connection().execute(REDACT_PROMPTS, prompts)


def submit(
    session: Session,
    sender: Sender,
    answers: dict[str, object],
    now: datetime,
    sender_number: str | None,
) -> Sent:
    """Create the referral, text the coordinator on call; the officer is answered its number."""
    # Reads first: SQLite's write lock is then held only for the writes below.
    # The officer as an entity: the coordinator's notice names them from the session's map.
    officer = None
    badge = answers.get("badge")
    if sender.officer is not None:
        officer = session.get(Officer, sender.officer.id)
    elif isinstance(badge, str):
        officer = session.scalars(OFFICER_WITH_BADGE, {"badge": badge}).first()
    recipients = first_recipients(session, now)
    assert sender.intake is not None  # only an intake in progress is sent
    # The first write: a second SEND handled at the same time finds the intake gone.
    write_as_read(
        session.connection(),
        CONVERSATION_CLOSE,
        {"key": sender.phone, "seen": sender.intake.updated_at},
    )
    values = {
        "channel": "sms",
        "type": answers["type"],
        "offense": answers.get("offense"),
        # Created as it ends: notified when somebody is texted about it below.
        "status": "notified" if recipients else "received",
        "officer_id": officer.id if officer else None,
        "badge": officer.badge if officer else badge,
        "officer_phone": sender.phone,
        "participant_name": answers["name"],
        "location": answers["location"],
        "consent_at": datetime.fromisoformat(str(answers["consent_at"])),
        "created_at": now,
    }
    # Written by Core and described by a Referral kept out of the session (nothing to flush).
    referral_id = session.connection().execute(REFERRAL_INSERT, values).scalar_one()
    referral = Referral(id=referral_id, **values)
    message_ids = answers.get("message_ids") or []
    assert isinstance(message_ids, list)
    if message_ids:
        link = {"ids": message_ids, "phone": sender.phone, "first": min(message_ids)}
        session.connection().execute(LINK_MESSAGES, {**link, "referral": referral_id})
    # The intake's language: an unverified sender has no other, and is texted the status in it.
    detail = {"verified": officer is not None, "language": answers.get("language")}
    add_event(session, referral.id, "referral_sent", "sms", now, detail=detail)
    audit_consent(session, actor_of(None, "sms"), now, referral)
    told = notify_recipients(session, referral, recipients, now, sender_number, "first")
    return Sent(referral.id, told > 0)
