"""An officer refers a person by text, step by step, in SPEC §5's fixed order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import Conversation, DeclinedConsent, Message, Referral
from hotline.services.sms_intake import active_conversation
from hotline.services.text_sender import OpenIntake, Sender
from hotline.simulator import SmsEmulator
from hotline.sms.prompts import PROMPTS
from tests.factories import add_referral
from tests.sms.conftest import STRANGER, Program, converse, outbox

ARREST = ["REFER", "1", "Jane Doe", "1", "3rd & Pine", "Y"]


def referrals(app: Flask) -> list[Referral]:
    with session_scope(app) as session:
        return list(session.scalars(select(Referral).order_by(Referral.id)))


PLACE_HINT = "Please reply with an address, cross streets or a landmark (at most 500 characters)."


class TestKnownOfficer:
    """An officer on the roster goes straight to the questions."""

    def test_arrest_diversion_end_to_end(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        replies = converse(phone, program.officer.phone, *ARREST, "SEND")
        assert replies[0].startswith("LEAD referral, Officer Smith. Referral type?")
        assert replies[1] == PROMPTS["name"]
        assert replies[2] == PROMPTS["offense"]
        assert replies[3] == PROMPTS["location"]
        assert replies[4] == PROMPTS["consent"]
        assert replies[5].startswith(
            "Referral: Arrest diversion, possession, Jane Doe, at 3rd & Pine"
        )
        (referral,) = referrals(app)
        assert replies[6].startswith(f"Sent: LEAD referral #{referral.id}.")
        assert (referral.channel, referral.type, referral.offense) == (
            "sms",
            "arrest_diversion",
            "possession",
        )
        assert (referral.participant_name, referral.location) == ("Jane Doe", "3rd & Pine")
        assert referral.officer_id == program.officer.id and referral.consent_at is not None
        assert referral.status == "notified"
        (alert,) = outbox(app, program.ana.phone)
        assert alert.startswith(f"LEAD #{referral.id}: Reply ACK {referral.id} to take it.")
        assert "Jane Doe" in alert and "3rd & Pine" in alert
        assert outbox(app, program.ben.phone) == []

    def test_control_characters_never_reach_the_reply(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        texts = ("REFER", "1", "Jane\x14 Doe\x01", "1", "Pine\x00 St", "Y")
        summary = converse(phone, program.officer.phone, *texts)[-1]  # parsed as XML by the phone
        assert "Jane Doe" in summary and "Pine St" in summary

    def test_a_texted_name_is_kept_as_it_looks_without_invisible_characters(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        # A direction mark or a zero-width space (a keyboard, a paste) would make this
        # "Jane Doe" another name, missed by every search and same-person suggestion.
        texts = ("REFER", "1", "\u200fJane\u200b Doe\ufeff", "1", "Pine St", "Y", "SEND")
        converse(phone, program.officer.phone, *texts)
        (referral,) = referrals(app)
        assert referral.participant_name == "Jane Doe"
        invisible = ("REFER", "1", "\u200b\u200f", "Jane Doe")  # no name at all: asked again
        assert converse(phone, program.officer.phone, *invisible)[2:] == [
            "Please reply with a name of at most 200 characters. Participant's name?",
            PROMPTS["offense"],
        ]

    def test_social_contact_skips_the_offence(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        replies = converse(
            phone, program.officer.phone, "new", "2", "John Roe", "Union Station", "yes", "send"
        )
        assert replies[2] == PROMPTS["location"]
        (referral,) = referrals(app)
        assert (referral.type, referral.offense) == ("social_contact", None)

    @pytest.mark.parametrize(
        ("answers", "bad", "accepted"),
        [
            ([], "3", "Please reply 1 (arrest diversion) or 2 (social contact)."),
            (["1"], " ", "Please reply with a name"),
            (["1", "Jane"], "7", "Please reply 1, 2, 3 or 4."),
            (["1", "Jane", "1"], "x" * 501, PLACE_HINT),
            # A reaction or a stray mark names no place: the coordinator could find nobody.
            # The hint says what a place is, not only its length ("-" is short enough).
            (["1", "Jane", "1"], "\U0001f44d", PLACE_HINT),
            (["1", "Jane", "1"], "-", PLACE_HINT),
            (["1", "Jane", "1"], "42", PLACE_HINT),
            (["1", "Jane", "1", "Pine"], "maybe", "Please reply Y or N."),
            (["1", "Jane", "1", "Pine", "Y"], "GO", "Please reply SEND or ABORT."),
        ],
    )
    def test_bad_answer_repeats_the_prompt_with_the_accepted_answers(
        self,
        app: Flask,
        phone: SmsEmulator,
        program: Program,
        answers: list[str],
        bad: str,
        accepted: str,
    ) -> None:
        replies = converse(phone, program.officer.phone, "REFER", *answers, bad)
        question = replies[-2].removeprefix("LEAD referral, Officer Smith. ")
        assert replies[-1].startswith(accepted)
        assert replies[-1].endswith(" " + question)  # the same question, asked again
        assert referrals(app) == []

    @pytest.mark.parametrize("word", ["ABORT", "cancel"])
    def test_abort_or_cancel_at_any_step_ends_it(
        self, app: Flask, phone: SmsEmulator, program: Program, word: str
    ) -> None:
        for steps in range(1, len(ARREST) + 1):
            reply = converse(phone, program.officer.phone, *ARREST[:steps], word)[-1]
            assert reply.startswith("Referral dropped.")
        assert referrals(app) == []
        with session_scope(app) as session:
            assert session.scalars(select(Conversation)).first() is None

    @pytest.mark.parametrize("no", ["N", "no"])  # SPEC §5: "`Y` / `N` (`YES` / `NO` also …)"
    def test_no_consent_keeps_no_identity(
        self, app: Flask, phone: SmsEmulator, program: Program, no: str
    ) -> None:
        reply = converse(phone, program.officer.phone, *ARREST[:-1], no)[-1]
        assert reply.startswith("Understood: no referral was made")
        assert referrals(app) == []
        with session_scope(app) as session:
            assert session.scalar(select(func.count()).select_from(DeclinedConsent)) == 1
            inbound = list(session.scalars(select(Message.body).where(Message.direction == "in")))
            assert "Jane Doe" not in inbound and "3rd & Pine" not in inbound
            assert all(body.startswith("[redacted") for body in inbound)
            assert session.scalars(select(Conversation)).first() is None

    def test_no_consent_after_a_restart_keeps_no_identity_from_either_try(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        officer = program.officer.phone
        converse(phone, officer, "REFER", "2", "Jane Doe", "3rd & Pine")  # started over below
        reply = converse(phone, officer, "REFER", "2", "Jane Doe", "3rd & Pine", "N")[-1]
        assert reply.startswith("Understood: no referral was made")
        with session_scope(app) as session:
            inbound = list(session.scalars(select(Message.body).where(Message.direction == "in")))
            assert "Jane Doe" not in inbound and "3rd & Pine" not in inbound, inbound

    def test_no_consent_after_a_summary_and_a_restart_keeps_no_summary_naming_the_person(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        officer = program.officer.phone
        # The first try reaches the summary, which repeats the name and place; then over again.
        converse(phone, officer, "REFER", "2", "Jane Doe", "3rd & Pine", "Y")
        reply = converse(phone, officer, "REFER", "2", "Jane Doe", "3rd & Pine", "N")[-1]
        assert reply.startswith("Understood: no referral was made")
        with session_scope(app) as session:
            bodies = list(session.scalars(select(Message.body)))
        assert not [b for b in bodies if "Jane Doe" in b or "3rd & Pine" in b], bodies

    def test_status_amid_an_intake_is_answered_not_taken_for_the_name(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        officer = program.officer
        number = add_referral(
            app, "acknowledged", officer_id=officer.id, officer_phone=officer.phone
        )
        converse(phone, officer.phone, "REFER", "1")  # the intake asks the person's name
        reply = converse(phone, officer.phone, f"STATUS {number}")[0]
        assert reply.startswith(f"LEAD #{number}: with a coordinator."), reply
        assert reply.endswith("Your referral is waiting for this answer: ABORT drops it.")
        with session_scope(app) as session:
            intake = session.get_one(Conversation, officer.phone)
            assert intake.step == "name" and "name" not in intake.answers

    def test_contact_amid_an_intake_is_answered_not_taken_for_the_name(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        officer = program.officer.phone
        converse(phone, officer, "REFER", "1")  # the intake asks the person's name
        reply = converse(phone, officer, "CONTACT John Roe")[0]
        assert reply.startswith("no LEAD match; call the hotline to refer. "), reply
        assert reply.endswith("Your referral is waiting for this answer: ABORT drops it.")
        with session_scope(app) as session:
            intake = session.get_one(Conversation, officer)
            assert intake.step == "name" and "name" not in intake.answers

    def test_help_or_abort_ended_by_the_keyboard_is_the_keyword_not_the_name(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        officer = program.officer.phone
        converse(phone, officer, "REFER", "1")  # the intake asks the person's name
        helped = converse(phone, officer, "Help?")[0]
        assert helped.startswith("LEAD hotline. Officers: REFER"), helped
        with session_scope(app) as session:
            intake = session.get_one(Conversation, officer)
            assert intake.step == "name" and "name" not in intake.answers
        assert converse(phone, officer, "Abort.")[0].startswith("Referral dropped.")
        with session_scope(app) as session:
            assert session.get(Conversation, officer) is None

    def test_idle_intake_expires_after_30_minutes(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        converse(phone, program.officer.phone, "REFER", "1")
        with session_scope(app) as session:
            conversation = session.get_one(Conversation, program.officer.phone)
            conversation.updated_at = datetime.now(UTC) - timedelta(minutes=31)
        reply = converse(phone, program.officer.phone, "Jane Doe")[-1]
        assert reply.startswith("Your referral in progress expired")
        assert referrals(app) == []

    def test_a_command_after_an_intake_expired_also_says_it_expired(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        # Asked about an earlier referral 40 minutes in, the officer must learn this one is
        # gone: else their next answer ("3rd and Pine") is met with "not a command".
        officer = program.officer.phone
        sent = converse(phone, officer, *ARREST, "SEND")[-1]
        number = int(sent.split("#", 1)[1].split(".", 1)[0])
        converse(phone, officer, "REFER", "1")
        with session_scope(app) as session:
            conversation = session.get_one(Conversation, officer)
            conversation.updated_at = datetime.now(UTC) - timedelta(minutes=40)
        reply = converse(phone, officer, f"STATUS {number}")[-1]
        assert reply == (
            f"LEAD #{number}: received. "
            "Your referral in progress expired after 30 idle minutes. Text REFER to start again."
        )
        assert converse(phone, officer, f"STATUS {number}")[-1] == f"LEAD #{number}: received."

    @pytest.mark.parametrize(
        ("idle", "expired"),
        [
            (timedelta(minutes=30) - timedelta(microseconds=1), False),
            (timedelta(minutes=30), True),
        ],
    )
    def test_an_intake_idle_for_exactly_30_minutes_has_expired(
        self, app: Flask, program: Program, idle: timedelta, expired: bool
    ) -> None:
        now = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
        intake = OpenIntake("name", {"type": "arrest_diversion"}, now - idle)
        sender = Sender(program.officer.phone, None, None, intake=intake)
        with session_scope(app) as session:
            open_now, was_expired = active_conversation(session, sender, now)
        assert (open_now is None, was_expired) == (expired, expired)


class TestUnknownNumber:
    """An unknown number gives a badge first; no match goes on unverified."""

    def test_matching_badge_identifies_the_officer(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        replies = converse(phone, STRANGER, "REFER", "4711", *ARREST[1:], "SEND")
        assert replies[0] == PROMPTS["badge"]
        assert replies[1] == f"Badge noted. {PROMPTS['type']}"  # no name: the phone is unverified
        (referral,) = referrals(app)
        assert (referral.officer_id, referral.badge, referral.officer_phone) == (
            program.officer.id,
            "4711",
            STRANGER,
        )

    @pytest.mark.parametrize("typed", ["４７１１", "٤٧١١"])
    def test_a_badge_in_a_phones_other_digits_identifies_the_officer(
        self, app: Flask, phone: SmsEmulator, program: Program, typed: str
    ) -> None:
        # Fullwidth or Arabic-Indic digits, as some phones' keyboards type them.
        converse(phone, STRANGER, "REFER", typed, *ARREST[1:], "SEND")
        (referral,) = referrals(app)
        assert (referral.officer_id, referral.badge) == (program.officer.id, "4711")

    def test_a_badge_of_superscripts_is_asked_again(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        reply = converse(phone, STRANGER, "REFER", "⁴⁷¹¹")[-1]
        assert reply.startswith("Please reply with digits only.")

    def test_unknown_badge_goes_on_unverified(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        replies = converse(phone, STRANGER, "REFER", "abc", "9999", *ARREST[1:], "SEND")
        assert replies[1].startswith("Please reply with digits only.")
        assert replies[2] == f"Badge noted. {PROMPTS['type']}"
        (referral,) = referrals(app)
        assert (referral.officer_id, referral.badge) == (None, "9999")
        (alert,) = outbox(app, program.ana.phone)
        assert "unverified caller (badge 9999, +12065550666)" in alert

    def test_walking_badges_never_reads_the_roster(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        on_roster = converse(phone, STRANGER, "REFER", program.officer.badge)[-1]
        converse(phone, STRANGER, "ABORT")
        not_on_roster = converse(phone, STRANGER, "REFER", "9999")[-1]
        assert on_roster == not_on_roster
        assert program.officer.name not in on_roster and "Smith" not in on_roster


def test_tier_one_gap_goes_straight_down_the_chain(app: Flask, phone: SmsEmulator) -> None:
    from tests.factories import add_officer, add_rotation, add_user

    ben = add_user(app, "Ben Okafor")
    add_rotation(app, 2, ben)
    officer = add_officer(app)
    converse(phone, officer.phone, *ARREST, "SEND")
    assert len(outbox(app, ben.phone)) == 1
