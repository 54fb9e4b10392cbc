"""Answer one inbound text: intake answers first, then commands (SPEC §5).

Each reply is in the sender's language: the language of a Spanish keyword they
used, else their own (`language` of their user or officer), else the program's.
An intake keeps the language it started in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..health import clock_state, last_clock_run
from ..i18n import N_, Translate, translator
from ..messaging.outbox import is_opted_out
from ..models import Message, OptOut
from ..services import sms_intake
from ..services.intake_outcomes import Asked, Sent
from ..services.intake_reply import log_reply, save_and_reply
from ..services.text_sender import Sender
from ..statements import insert_unless_present
from .commands import Reply, run_command
from .parse import (
    ABORT,
    CONTACT,
    COORDINATOR_COMMANDS,
    HELP,
    REFER,
    SEND,
    START,
    STATUS,
    STOP,
    TAKE,
    WHO,
    Command,
    read_text,
)
from .prompts import intake_words
from .replies import help_text

UNPROMPTED_HELP_PER_HOUR = 3
PICTURED = N_("Pictures and other media are not read: please text words.")
INTAKE_REPLY = sms_intake.INTAKE_REPLY


@dataclass(frozen=True)
class Inbound:
    """An inbound text, logged: who sent it, its words, when, its log entry, the number texted."""

    sender: Sender
    text: str
    now: datetime
    message_id: int
    hotline_number: str  # the reply comes from it
    media: bool = False  # an MMS: pictures or other media came with it
    opt_out_type: str = ""  # Twilio's OptOutType: STOP or START when its opt-out took it so


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
    logged = direct_reply(
        inbound.hotline_number, sender.phone, reply.text, opted_out, now, kind=reply.kind
    )
    session.flush()  # texts queued by the command first, as they were made
    if reply.saves is not None:
        save_and_reply(session.connection(), reply.saves, logged)
    else:
        log_reply(session.connection(), logged)
    return None if opted_out else reply.text


def direct_reply(
    hotline_number: str,
    phone: str,
    text: str,
    opted_out: bool,
    now: datetime,
    kind: str | None = None,
) -> dict[str, Any]:
    """Return the log entry of a reply sent in the webhook's answer (no sid; SPEC §5).

    `suppressed`, and not sent, to a number that opted out.
    """
    return {
        "direction": "out",
        "from_number": hotline_number,
        "to_number": phone,
        "body": text,
        "status": "suppressed" if opted_out else "sent",
        "created_at": now,
        "kind": kind,
    }


def _handle_text(session: Session, inbound: Inbound, config: Mapping[str, Any]) -> Reply | None:
    """Apply one inbound text and return the reply, or None when none is due."""
    sender, text, now, message_id = inbound.sender, inbound.text, inbound.now, inbound.message_id
    command = read_text(text, inbound.opt_out_type)
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
            return Reply(f"{answered.text} {waiting}", answered.kind, folded=answered.folded)
        if inbound.media and not text.strip():  # a picture or a shared location: no answer
            step = conversation.step
            asked = intake_words(_, Asked(step, conversation.answers))  # type: ignore[arg-type]
            return Reply(f"{_(PICTURED)} {asked}", INTAKE_REPLY)
        number = config["HOTLINE_NUMBER"]
        turn = sms_intake.proceed(session, conversation, sender, text, now, message_id, number)
        if isinstance(turn, Sent) and turn.told and texts_wait(session, now):
            turn = replace(turn, delayed=True)  # "a coordinator will text you" would be untrue
        saves = turn.saves if isinstance(turn, Asked) else None
        return Reply(intake_words(_, turn), INTAKE_REPLY, saves)
    if expired and sender.intake is not None:  # told in the language the intake was in
        started_in = sender.intake.answers.get("language")
        language = (command.language if command else None) or str(started_in or language)
    _ = translator("sms", language)
    gone = _("Your referral in progress expired after 30 idle minutes. Text REFER to start again.")
    if expired and (command is None or command.name == SEND):
        return Reply(gone)
    if command is None:
        pictured = inbound.media and not text.strip()
        return unprompted_help(session, sender.phone, now, _, pictured=pictured)
    answered = run_command(session, sender, command, now, message_id, config, _, language)
    if expired and command.name not in (REFER, ABORT):
        # Told now or never (the intake is gone): else its next answer meets "not a command".
        return Reply(f"{answered.text} {gone}", answered.kind, folded=answered.folded)
    return answered


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


def texts_wait(session: Session, now: datetime) -> bool:
    """Tell whether queued texts wait: the clock has not sent any lately (SPEC §2 /healthz)."""
    return clock_state(last_clock_run(session), now) != "ok"


def unprompted_help(
    session: Session, phone: str, now: datetime, _: Translate, *, pictured: bool = False
) -> Reply | None:
    """Answer noise with HELP, at most 3 times an hour per number (so two robots cannot loop).

    A picture without words is told that the hotline reads words only.
    """
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
    if pictured:
        sorry = _(PICTURED)
    return Reply(f"{sorry} {help_text(_)}", kind="help")
