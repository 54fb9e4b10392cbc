"""Run a command outside an intake: HELP, REFER, STATUS, CONTACT and staff commands (SPEC §5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, update
from sqlalchemy.orm import Session

from ..audit import Actor
from ..i18n import Translate
from ..messaging.segments import gsm_folded
from ..models import Message, Officer, Referral, User
from ..schemas.oncall import OverrideIn
from ..services import referral_actions as actions
from ..services import sms_intake
from ..services.callbacks import request_callback
from ..services.oncall import create_override, on_call_until, who_is_on_call
from ..services.recontact import Disclosed, officer_met
from ..services.text_sender import Sender
from ..statements import table_of
from .notices import clock_text
from .parse import (
    ABORT,
    ACK,
    CALL,
    CONTACT,
    COORDINATOR_COMMANDS,
    HELP,
    INTAKE,
    MAX_REFERRAL,
    NONCOMPLY,
    NOTE,
    REFER,
    SEND,
    STATUS,
    TAKE,
    WHO,
    Command,
)
from .prompts import intake_words
from .replies import action_words, callback_words, help_text, officer_status_words, who_words

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
    # False for words the contract quotes (CONTACT's "LEAD participant — case manager …"):
    # they are sent as written, its dash included, though that makes them UCS-2.
    folded: bool = True

    def __post_init__(self) -> None:
        # An accent makes a whole text UCS-2 (70 characters a segment, not 160): fold it
        # when that is all that stands between the reply and GSM-7, as notices are.
        if self.folded:
            object.__setattr__(self, "text", gsm_folded(self.text))


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
    if command.name == SEND:  # sent twice, or after the intake ended: it may be sent already
        sent = sms_intake.recently_sent(session, sender.phone, now)
        if sent is not None:  # the first reply may be late: name what went, not "no referral"
            return Reply(
                _(
                    "Nothing to send: your referral #{n} was sent. "
                    "STATUS {n} tells where it is; REFER starts a new one.",
                    n=sent,
                )
            )
        return Reply(
            _(
                "Nothing to send: no referral is in progress. STATUS 42 tells where #42 is; "
                "REFER starts a new one."
            )
        )
    if command.name == REFER:
        started = sms_intake.start(session, sender, now, message_id, language)
        return Reply(intake_words(_, started), sms_intake.INTAKE_REPLY)
    if command.name == STATUS:
        if command.referral is None:
            return Reply(_("Reply STATUS and the referral number, e.g. STATUS 42."))
        if command.referral > MAX_REFERRAL:  # names nobody, and overflows the database's integer
            return Reply(officer_status_words(_, actions.NoSuchReferral(command.referral)))
        officer_id = sender.officer.id if sender.officer else None
        outcome = actions.officer_status(session, command.referral, sender.phone, officer_id)
        return Reply(officer_status_words(_, outcome))
    if command.name == CONTACT:
        return contact_reply(session, sender, command.text, now, message_id, config, _)
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
    if command.name in (ACK, INTAKE, CALL) and command.text:  # "ACK 42 can't": not taken
        return Reply(
            _(
                "Nothing done: reply {command} {n} alone, with no other words.",
                command=command.name,
                n=command.referral,
            )
        )
    if command.referral is not None and command.referral > MAX_REFERRAL:
        return Reply(action_words(_, actions.NoSuchReferral(command.referral)))
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
    # An earlier, longer override of theirs (a TAKE 4h before this TAKE 2h) keeps them on.
    end = max(override.end, on_call_until(session, user.id, 1, now) or override.end)
    # With its date: a week from now has today's weekday.
    until = clock_text(end, zone=zone, language=language, _=_, with_zone=True)
    return Reply(_("You are on call for tier 1 until {time}.", time=until))


def contact_reply(
    session: Session,
    sender: Sender,
    name: str,
    now: datetime,
    text_id: int,
    config: Mapping[str, Any],
    _: Translate,
) -> Reply:
    """Answer CONTACT name: status only, with consent; the same neutral words otherwise."""
    if not name:
        return Reply(_("Reply CONTACT and the person's name, e.g. CONTACT Jane Doe."))
    # SPEC §6 "Re-contact" quotes both answers: they are worded exactly so.
    neutral = Reply(_("no LEAD match; call the hotline to refer."))
    if sender.officer is None:  # only a roster officer's phone; a stranger learns nothing
        return neutral
    officer = session.get_one(Officer, sender.officer.id)
    number, zone = config["HOTLINE_NUMBER"], config["HOTLINE_TIMEZONE"]
    outcome = officer_met(session, officer, name, now, "sms", number, zone, text_id)
    if isinstance(outcome, Disclosed):
        said = _(
            "LEAD participant — case manager {name}, {phone}.",
            name=outcome.case_manager,
            phone=outcome.phone,
        )
        return Reply(said, folded=False)
    return neutral
