"""Answer one inbound text: intake answers first, then commands (SPEC §5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..audit import Actor
from ..db import insert_unless_present
from ..models import Message, OptOut, User
from ..schemas.oncall import OverrideIn
from ..services import referral_actions as actions
from ..services import sms_intake
from ..services.callbacks import CallbackQueued, CallbackRefused, request_callback
from ..services.oncall import create_override, who_is_on_call
from ..services.sms_intake import Sender
from .parse import (
    ABORT,
    ACK,
    CALL,
    COORDINATOR_COMMANDS,
    HELP,
    INTAKE,
    NONCOMPLY,
    NOTE,
    REFER,
    START,
    STATUS,
    STOP,
    TAKE,
    WHO,
    Command,
    parse,
)

UNPROMPTED_HELP_PER_HOUR = 3
INTAKE_REPLY = sms_intake.INTAKE_REPLY
HELP_TEXT = (
    "LEAD hotline. Officers: REFER starts a referral, STATUS 42 tells where #42 is. "
    "Coordinators: ACK 42, NOTE 42 text, INTAKE 42, NONCOMPLY 42 reason, CALL 42, WHO, "
    "TAKE 4h. "
    "Text STOP to opt out."
)


@dataclass(frozen=True)
class Reply:
    """The text to answer with, and what kind of reply it is (stored with it)."""

    # "help": the rate-limited unprompted help; "intake": a prompt of an intake, linked to
    # its referral at SEND so that retention erases it with the referral.

    text: str
    kind: str | None = None


def handle_text(
    session: Session,
    sender: Sender,
    text: str,
    now: datetime,
    message_id: int,
    config: Mapping[str, Any],
) -> Reply | None:
    """Apply one inbound text and return the reply, or None when none is due."""
    command = parse(text)
    if command is not None and command.name == STOP:
        insert_unless_present(session, OptOut, {"phone": sender.phone, "at": now, "source": "sms"})
        return None  # Twilio answers STOP itself
    if command is not None and command.name == START:
        session.execute(delete(OptOut).where(OptOut.phone == sender.phone))
        return Reply("You will get LEAD hotline texts again. Text HELP for the commands.")
    conversation, expired = sms_intake.active_conversation(session, sender, now)
    if conversation is not None:
        if command is not None and command.name == ABORT:
            return Reply(sms_intake.abort(session, sender))
        if command is not None and command.name == HELP:
            return Reply(f"{HELP_TEXT} Your referral is waiting for this answer: ABORT drops it.")
        if command is not None and command.name == REFER:
            return Reply(sms_intake.start(session, sender, now, message_id), INTAKE_REPLY)
        number = config["HOTLINE_NUMBER"]
        return Reply(
            sms_intake.proceed(session, conversation, sender, text, now, message_id, number),
            INTAKE_REPLY,
        )
    if command is None:
        if expired:
            return Reply(
                "Your referral in progress expired after 30 idle minutes. "
                "Text REFER to start again."
            )
        return unprompted_help(session, sender.phone, now)
    return run_command(session, sender, command, now, message_id, config)


def unprompted_help(session: Session, phone: str, now: datetime) -> Reply | None:
    """Answer noise with HELP, at most 3 times an hour per number (so two robots cannot loop)."""
    recent = session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.to_number == phone,
            Message.kind == "help",
            Message.created_at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= UNPROMPTED_HELP_PER_HOUR:
        return None
    return Reply(f"Sorry, that is not a command. {HELP_TEXT}", kind="help")


def run_command(
    session: Session,
    sender: Sender,
    command: Command,
    now: datetime,
    message_id: int,
    config: Mapping[str, Any],
) -> Reply:
    """Run a command outside an intake."""
    number = config["HOTLINE_NUMBER"]
    if command.name == HELP:
        return Reply(HELP_TEXT)
    if command.name == ABORT:
        return Reply("There is no referral in progress. Text REFER to start one.")
    if command.name == REFER:
        return Reply(sms_intake.start(session, sender, now, message_id), INTAKE_REPLY)
    if command.name == STATUS:
        if command.referral is None:
            return Reply("Reply STATUS and the referral number, e.g. STATUS 42.")
        return Reply(actions.officer_status(session, command.referral, sender.phone))
    if command.name not in COORDINATOR_COMMANDS:
        return Reply(HELP_TEXT)
    if sender.user is None or not sender.is_staff:
        return Reply(
            f"Sorry, {command.name} is for LEAD coordinators. Text HELP for your commands."
        )
    user = session.get_one(User, sender.user.id)
    if command.name in (ACK, NOTE, INTAKE, NONCOMPLY, CALL) and command.referral is None:
        return Reply(f"Reply {command.name} and the referral number, e.g. {command.name} 42.")
    referral = command.referral or 0
    if command.name == ACK:
        return Reply(actions.acknowledge(session, referral, user, now, "sms", number))
    if command.name == NOTE:
        if not command.text:
            return Reply(f"Reply NOTE {referral} and the note.")
        return Reply(actions.add_note(session, referral, user, command.text, now, "sms"))
    if command.name in (INTAKE, NONCOMPLY):
        completed = command.name == INTAKE
        return Reply(
            actions.close_intake(
                session, referral, user, completed, command.text, now, "sms", number
            )
        )
    if command.name == CALL:
        return Reply(callback_text(request_callback(session, referral, user.id, now, "sms")))
    if command.name == WHO:
        return Reply(who_text(session, now, config))
    assert command.name == TAKE
    if command.duration is None:
        return Reply("Reply TAKE and how long, up to 7 days: TAKE 90m, TAKE 4h or TAKE 1d.")
    data = OverrideIn(user_id=user.id, tier=1, start=now, end=now + command.duration)
    override = create_override(session, data, Actor(user.id, "sms"), now)
    until = override.end.astimezone(ZoneInfo(config["HOTLINE_TIMEZONE"]))
    return Reply(f"You are on call for tier 1 until {until:%a %H:%M %Z}.")


CALLBACK_REFUSALS = {
    "no_referral": "No referral #{n}.",
    "no_officer_phone": "#{n} has no officer phone to call back.",
    "not_staff": "Sorry, CALL is for LEAD coordinators.",
    "already_calling": "A call back for #{n} is already on its way to your phone.",
}


def callback_text(outcome: CallbackQueued | CallbackRefused) -> str:
    """Return the reply to CALL n: the phone will ring, or why it will not."""
    if isinstance(outcome, CallbackQueued):
        return (
            f"The hotline is calling you now about #{outcome.referral_id}: press 1 to be put "
            f"through to {outcome.officer}. They will see the hotline's number, not yours."
        )
    return CALLBACK_REFUSALS[outcome.reason].format(n=outcome.referral_id)


def who_text(session: Session, now: datetime, config: Mapping[str, Any]) -> str:
    """Return who is on call per tier and until when, in the program's time zone."""
    zone = ZoneInfo(config["HOTLINE_TIMEZONE"])
    answer = who_is_on_call(session, now, config["HOTLINE_FALLBACK_NUMBERS"])
    parts = []
    for tier in answer["tiers"]:
        user = tier["user"]
        who = f"{user['name']} {user['phone']}" if user else "NOBODY (gap)"
        until = f" until {tier['until'].astimezone(zone):%a %H:%M}" if tier["until"] else ""
        parts.append(f"tier {tier['tier']}: {who}{until}")
    return "On call: " + ("; ".join(parts) if parts else "nobody (no rotation)") + "."
