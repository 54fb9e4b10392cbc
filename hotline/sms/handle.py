"""Answer one inbound text: intake answers first, then commands (SPEC §5).

Each reply is in the sender's language: the language of a Spanish keyword they
used, else their own (`language` of their user or officer), else the program's.
An intake keeps the language it started in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, exists, func, select, update
from sqlalchemy.orm import Session

from ..audit import Actor
from ..db import insert_unless_present, table_of
from ..i18n import Translate, translator
from ..messaging.outbox import is_opted_out
from ..messaging.segments import gsm_folded
from ..models import Message, Officer, OptOut, Referral, User
from ..schemas.oncall import OverrideIn
from ..services import referral_actions as actions
from ..services import sms_intake
from ..services.callbacks import request_callback
from ..services.intake_outcomes import Asked
from ..services.intake_reply import log_reply, save_and_reply
from ..services.oncall import create_override, who_is_on_call
from ..services.recontact import Disclosed, officer_met
from ..services.sms_intake import Sender
from .notices import clock_text
from .parse import (
    ABORT,
    ACK,
    CALL,
    CONTACT,
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
from .prompts import intake_words
from .replies import action_words, callback_words, help_text, officer_status_words, who_words

UNPROMPTED_HELP_PER_HOUR = 3
INTAKE_REPLY = sms_intake.INTAKE_REPLY
# A staff command naming a referral ("NOTE 42 text") is filed with it, so that the
# referral's timeline shows it and retention erases its words with the referral's.
FILE_WITH_REFERRAL = (
    update(table_of(Message))
    .where(
        Message.id == bindparam("message"),
        exists().where(Referral.id == bindparam("referral")),
    )
    .values(referral_id=bindparam("referral"))
)


@dataclass(frozen=True)
class Reply:
    """The text to answer with, and what kind of reply it is (stored with it)."""

    # "help": the rate-limited unprompted help; "intake": a prompt of an intake, linked to
    # its referral at SEND so that retention erases it with the referral.

    text: str
    kind: str | None = None
    # An intake's save: answer_text() writes it with the reply's log entry.
    saves: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # An accent makes a whole text UCS-2 (70 characters a segment, not 160): fold it
        # when that is all that stands between the reply and GSM-7, as notices are.
        object.__setattr__(self, "text", gsm_folded(self.text))


@dataclass(frozen=True)
class Inbound:
    """An inbound text, logged: who sent it, its words, when, its log entry, the number texted."""

    sender: Sender
    text: str
    now: datetime
    message_id: int
    hotline_number: str  # the reply comes from it


def answer_text(session: Session, inbound: Inbound, config: Mapping[str, Any]) -> str | None:
    """Apply one inbound text and log its reply; return the reply to send, or None.

    An intake step is saved with its reply's log entry (one statement on
    PostgreSQL), so a step is never answered without being saved. An intake
    changed by another text since it was read raises IntakeMoved: nothing of
    this text is kept, and the caller handles it again.
    """
    reply = _handle_text(session, inbound, config)
    if reply is None:
        return None
    sender, now = inbound.sender, inbound.now
    # Only START changes an opt-out that a reply meets: check again only then.
    opted_out = sender.opted_out and is_opted_out(session, sender.phone)
    status = "suppressed" if opted_out else "sent"
    logged = {
        "direction": "out",
        "from_number": inbound.hotline_number,
        "to_number": sender.phone,
        "body": reply.text,
        "status": status,
        "created_at": now,
        "kind": reply.kind,
    }
    session.flush()  # texts queued by the command first, as they were made
    if reply.saves is not None:
        save_and_reply(session.connection(), reply.saves, logged)
    else:
        log_reply(session.connection(), logged)
    return reply.text if status == "sent" else None


def _handle_text(session: Session, inbound: Inbound, config: Mapping[str, Any]) -> Reply | None:
    """Apply one inbound text and return the reply, or None when none is due."""
    sender, text, now, message_id = inbound.sender, inbound.text, inbound.now, inbound.message_id
    command = parse(text)
    language = (command.language if command else None) or sender.language
    language = language or config["HOTLINE_LANGUAGE"]
    if command is not None and command.name == STOP:
        insert_unless_present(session, OptOut, {"phone": sender.phone, "at": now, "source": "sms"})
        return None  # Twilio answers STOP itself
    if command is not None and command.name == START:
        session.execute(delete(OptOut).where(OptOut.phone == sender.phone))
        _ = translator("sms", language)
        return Reply(_("You will get LEAD hotline texts again. Text HELP for the commands."))
    conversation, expired = sms_intake.active_conversation(session, sender, now)
    if conversation is not None:
        language = (command.language if command else None) or str(
            conversation.answers.get("language") or language
        )
        _ = translator("sms", language)
        if command is not None and command.name == ABORT:
            return Reply(intake_words(_, sms_intake.abort(session, sender)))
        if command is not None and command.name == HELP:
            waiting = _("Your referral is waiting for this answer: ABORT drops it.")
            return Reply(f"{help_text(_)} {waiting}")
        if command is not None and command.name == REFER:
            started = sms_intake.start(session, sender, now, message_id, language, conversation)
            return Reply(intake_words(_, started), INTAKE_REPLY)
        if _command_amid_intake(sender, command):
            assert command is not None
            answered = run_command(session, sender, command, now, message_id, config, _, language)
            waiting = _("Your referral is waiting for this answer: ABORT drops it.")
            return Reply(f"{answered.text} {waiting}", answered.kind)
        number = config["HOTLINE_NUMBER"]
        turn = sms_intake.proceed(session, conversation, sender, text, now, message_id, number)
        saves = turn.saves if isinstance(turn, Asked) else None
        return Reply(intake_words(_, turn), INTAKE_REPLY, saves)
    if expired and sender.intake is not None:  # told in the language the intake was in
        started_in = sender.intake.answers.get("language")
        language = (command.language if command else None) or str(started_in or language)
    _ = translator("sms", language)
    if command is None:
        if expired:
            return Reply(
                _(
                    "Your referral in progress expired after 30 idle minutes. "
                    "Text REFER to start again."
                )
            )
        return unprompted_help(session, sender.phone, now, _)
    return run_command(session, sender, command, now, message_id, config, _, language)


def _command_amid_intake(sender: Sender, command: Command | None) -> bool:
    """Tell whether a text is a whole command, not an answer to the sender's intake.

    A stray NEW must not keep `ACK 42` from taking #42 for the next half hour,
    nor an officer's `STATUS 42` or `CONTACT John Roe` become the participant's name.
    """
    if command is None:
        return False
    if command.name == STATUS and command.referral is not None:
        return True
    if command.name == CONTACT and command.text:
        return True
    if not sender.is_staff or command.name not in COORDINATOR_COMMANDS:
        return False
    return command.name in (WHO, TAKE) or command.referral is not None


def contact_reply(
    session: Session,
    sender: Sender,
    name: str,
    now: datetime,
    text_id: int,
    config: Mapping[str, Any],
    _: Translate,
) -> str:
    """Answer CONTACT name: status only, with consent; the same neutral words otherwise."""
    if not name:
        return _("Reply CONTACT and the person's name, e.g. CONTACT Jane Doe.")
    neutral = _("No LEAD match; call the hotline to refer.")
    if sender.officer is None:  # only a roster officer's phone; a stranger learns nothing
        return neutral
    officer = session.get_one(Officer, sender.officer.id)
    number, zone = config["HOTLINE_NUMBER"], config["HOTLINE_TIMEZONE"]
    outcome = officer_met(session, officer, name, now, "sms", number, zone, text_id)
    if isinstance(outcome, Disclosed):
        return _(
            "LEAD participant - case manager {name}, {phone}.",
            name=outcome.case_manager,
            phone=outcome.phone,
        )
    return neutral


def unprompted_help(session: Session, phone: str, now: datetime, _: Translate) -> Reply | None:
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
    sorry = _("Sorry, that is not a command.")
    return Reply(f"{sorry} {help_text(_)}", kind="help")


def run_command(
    session: Session,
    sender: Sender,
    command: Command,
    now: datetime,
    message_id: int,
    config: Mapping[str, Any],
    _: Translate,
    language: str,
) -> Reply:
    """Run a command outside an intake."""
    number = config["HOTLINE_NUMBER"]
    if command.name == HELP:
        return Reply(help_text(_))
    if command.name == ABORT:
        return Reply(_("There is no referral in progress. Text REFER to start one."))
    if command.name == REFER:
        started = sms_intake.start(session, sender, now, message_id, language)
        return Reply(intake_words(_, started), INTAKE_REPLY)
    if command.name == STATUS:
        if command.referral is None:
            return Reply(_("Reply STATUS and the referral number, e.g. STATUS 42."))
        officer_id = sender.officer.id if sender.officer else None
        outcome = actions.officer_status(session, command.referral, sender.phone, officer_id)
        return Reply(officer_status_words(_, outcome))
    if command.name == CONTACT:
        return Reply(contact_reply(session, sender, command.text, now, message_id, config, _))
    if command.name not in COORDINATOR_COMMANDS:
        return Reply(help_text(_))
    if sender.user is None or not sender.is_staff:
        return Reply(
            _(
                "Sorry, {command} is for LEAD coordinators. Text HELP for your commands.",
                command=command.name,
            )
        )
    user = session.get_one(User, sender.user.id)
    if command.name in (ACK, NOTE, INTAKE, NONCOMPLY, CALL) and command.referral is None:
        return Reply(
            _("Reply {command} and the referral number, e.g. {command} 42.", command=command.name)
        )
    if command.referral is not None:
        session.execute(FILE_WITH_REFERRAL, {"message": message_id, "referral": command.referral})
    referral = command.referral or 0
    if command.name == ACK:
        return Reply(
            action_words(_, actions.acknowledge(session, referral, user, now, "sms", number))
        )
    if command.name == NOTE:
        if not command.text:
            return Reply(_("Reply NOTE {n} and the note.", n=referral))
        return Reply(
            action_words(_, actions.add_note(session, referral, user, command.text, now, "sms"))
        )
    if command.name in (INTAKE, NONCOMPLY):
        completed = command.name == INTAKE
        closed = actions.close_intake(
            session, referral, user, completed, command.text, now, "sms", number
        )
        return Reply(action_words(_, closed))
    if command.name == CALL:
        return Reply(callback_words(_, request_callback(session, referral, user.id, now, "sms")))
    zone = ZoneInfo(config["HOTLINE_TIMEZONE"])
    if command.name == WHO:
        answer = who_is_on_call(session, now, config["HOTLINE_FALLBACK_NUMBERS"])
        return Reply(who_words(_, answer, zone, language))
    assert command.name == TAKE
    if command.duration is None:
        return Reply(_("Reply TAKE and how long, up to 7 days: TAKE 90m, TAKE 4h or TAKE 1d."))
    data = OverrideIn(user_id=user.id, tier=1, start=now, end=now + command.duration)
    override = create_override(session, data, Actor(user.id, "sms"), now)
    # With its date: a week from now has today's weekday.
    until = clock_text(override.end, zone=zone, language=language, _=_, with_zone=True)
    return Reply(_("You are on call for tier 1 until {time}.", time=until))
