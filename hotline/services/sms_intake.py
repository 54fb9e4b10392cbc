"""An officer's referral by text: the conversation kept in the database, and its ending."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Conversation, DeclinedConsent, Message, Officer, Referral, User
from ..sms import intake
from .escalation import notify_next
from .referrals import add_event

IDLE_LIMIT = timedelta(minutes=30)
REDACTED = "[redacted: no consent]"


@dataclass(frozen=True)
class Sender:
    """Who texted: a number, and the coordinator/supervisor or officer it belongs to."""

    phone: str
    user: User | None
    officer: Officer | None

    @property
    def is_staff(self) -> bool:
        """Tell whether the sender may use coordinator commands."""
        return self.user is not None and self.user.active


def identify(session: Session, phone: str) -> Sender:
    """Find who owns a number (staff first: a coordinator is never taken for an officer)."""
    user = session.scalars(select(User).where(User.phone == phone, User.active.is_(True))).first()
    officer = session.scalars(select(Officer).where(Officer.phone == phone)).first()
    return Sender(phone, user, officer)


def active_conversation(
    session: Session, phone: str, now: datetime
) -> tuple[Conversation | None, bool]:
    """Return the sender's intake in progress, and whether an idle one just expired."""
    conversation = session.get(Conversation, phone)
    if conversation is None:
        return None, False
    if now - conversation.updated_at > IDLE_LIMIT:
        session.delete(conversation)
        return None, True
    return conversation, False


def start(session: Session, sender: Sender, now: datetime, message_id: int) -> str:
    """Begin (or restart) an intake and return its first prompt."""
    existing = session.get(Conversation, sender.phone)
    if existing is not None:
        session.delete(existing)
        session.flush()
    step = intake.first_step(sender.officer is not None)
    answers = {"message_ids": [message_id]}
    session.add(
        Conversation(phone=sender.phone, step=step, answers=answers, started_at=now, updated_at=now)
    )
    greeting = f"LEAD referral, {sender.officer.name}. " if sender.officer else ""
    return greeting + intake.prompt(step, answers)


def _officer_by_badge(session: Session) -> Callable[[str], str | None]:
    def lookup(badge: str) -> str | None:
        officer = session.scalars(select(Officer).where(Officer.badge == badge)).first()
        return officer.name if officer else None

    return lookup


def proceed(
    session: Session,
    conversation: Conversation,
    sender: Sender,
    text: str,
    now: datetime,
    message_id: int,
    sender_number: str | None,
) -> str:
    """Apply one answer to the intake and return the reply."""
    answers = dict(conversation.answers)
    answers["message_ids"] = [*answers.get("message_ids", []), message_id]
    step: intake.Step = conversation.step  # type: ignore[assignment]
    turn = intake.answer(step, answers, text, _officer_by_badge(session))
    if turn.ending == "declined":
        decline(session, conversation, answers["message_ids"], now)
        return turn.reply
    if turn.ending == "send":
        return submit(session, conversation, sender, turn.answers, now, sender_number)
    conversation.answers = {**turn.answers, "message_ids": answers["message_ids"]}
    if step == "consent" and turn.step == "confirm":
        conversation.answers["consent_at"] = now.isoformat()
    conversation.step = turn.step or conversation.step
    conversation.updated_at = now
    return turn.reply


def abort(session: Session, conversation: Conversation) -> str:
    """Drop an intake at the officer's word."""
    session.delete(conversation)
    return "Referral dropped. Text REFER to start a new one."


def decline(
    session: Session, conversation: Conversation, message_ids: list[int], now: datetime
) -> None:
    """End an intake without consent: count it, keep no identity, redact its inbound texts."""
    session.delete(conversation)
    session.add(DeclinedConsent(at=now))
    session.flush()
    session.execute(
        update(Message)
        .where(Message.id.in_(message_ids), Message.direction == "in")
        .values(body=REDACTED)
    )


def submit(
    session: Session,
    conversation: Conversation,
    sender: Sender,
    answers: dict[str, object],
    now: datetime,
    sender_number: str | None,
) -> str:
    """Create the referral, text the coordinator on call, and answer the officer with its number."""
    officer = sender.officer
    badge = answers.get("badge")
    if officer is None and isinstance(badge, str):
        officer = session.scalars(select(Officer).where(Officer.badge == badge)).first()
    referral = Referral(
        channel="sms",
        type=answers["type"],
        offense=answers.get("offense"),
        officer_id=officer.id if officer else None,
        badge=officer.badge if officer else badge,
        officer_phone=sender.phone,
        participant_name=answers["name"],
        location=answers["location"],
        consent_at=datetime.fromisoformat(str(answers["consent_at"])),
        created_at=now,
    )
    session.add(referral)
    session.flush()
    session.execute(
        update(Message)
        .where(Message.id.in_(answers.get("message_ids") or []))  # type: ignore[arg-type]
        .values(referral_id=referral.id)
    )
    session.delete(conversation)
    add_event(
        session, referral.id, "referral_sent", "sms", now, detail={"verified": officer is not None}
    )
    told = notify_next(session, referral, now, sender_number, "first")
    waiting = (
        "A coordinator will text you." if told else "Nobody could be texted: call the hotline."
    )
    return f"Sent: LEAD referral #{referral.id}. {waiting} STATUS {referral.id} tells where it is."
