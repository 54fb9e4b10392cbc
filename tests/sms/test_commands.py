"""Coordinators' and officers' commands by text, refusals included (SPEC §5)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import (
    Conversation,
    Message,
    OptOut,
    Override,
    Referral,
    ReferralEvent,
    User,
)
from hotline.services.alerts import Recipient, notify_user
from hotline.simulator import SmsEmulator, sign
from hotline.simulator.sms import replies_of
from tests.factories import add_override
from tests.sms.conftest import HOTLINE, STRANGER, Program, converse, outbox
from tests.sms.test_intake import ARREST


def refer(phone: SmsEmulator, program: Program) -> int:
    """Send a whole referral from Officer Smith and return its number."""
    reply = converse(phone, program.officer.phone, *ARREST, "SEND")[-1]
    return int(reply.split("#", 1)[1].split(".", 1)[0])


def status_of(app: Flask, referral_id: int) -> str:
    with session_scope(app) as session:
        return session.get_one(Referral, referral_id).status


def escalated_to(app: Flask, number: int, person: User) -> None:
    """Record that `person` was texted about referral `number` by escalation."""
    with session_scope(app) as session:
        recipient = Recipient(person.id, person.phone, opted_out=False)
        referral = session.get_one(Referral, number)
        notify_user(session, referral, recipient, "escalation", datetime.now(UTC), None)


class TestAck:
    """ACK takes a referral; the officer hears the coordinator's name."""

    def test_ack_takes_it_and_tells_the_officer_and_the_others(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        escalated_to(app, number, program.ben)  # pretend Ben was told too
        reply = converse(phone, program.ana.phone, f"ack #{number}")[-1]
        assert reply.startswith(f"You have #{number}")
        assert status_of(app, number) == "acknowledged"
        assert outbox(app, program.officer.phone) == [
            f"LEAD #{number}: with a coordinator, Ana Diaz."
        ]
        assert (
            outbox(app, program.ben.phone)[-1]
            == f"LEAD #{number} is taken by Ana Diaz. Nothing to do."
        )
        again = converse(phone, program.ben.phone, f"ACK {number}")[-1]
        assert again == f"#{number} is already taken by Ana Diaz ({program.ana.phone})."
        assert (
            converse(phone, program.ana.phone, f"ACK {number}")[-1]
            == f"You already have #{number}."
        )

    def test_one_told_then_made_a_prosecutor_is_not_texted_who_took_it(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        escalated_to(app, number, program.ben)  # Ben was told too, then moved on
        told_before = len(outbox(app, program.ben.phone))
        with session_scope(app) as session:
            session.get_one(User, program.ben.id).role = "prosecutor"  # sees no referrals
        assert converse(phone, program.ana.phone, f"ACK {number}")[-1].startswith("You have")
        assert len(outbox(app, program.ben.phone)) == told_before, (
            "a prosecutor is never texted about a referral, nor who took it"
        )

    def test_ack_of_a_missing_referral_and_without_a_number(
        self, phone: SmsEmulator, program: Program
    ) -> None:
        assert converse(phone, program.ana.phone, "ACK 999")[-1] == "No referral #999."
        assert converse(phone, program.ana.phone, "ACK")[-1].startswith(
            "Reply ACK and the referral number"
        )

    def test_officers_and_strangers_may_not_use_coordinator_commands(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        for text in (f"ACK {number}", "WHO", "TAKE 4h", f"NOTE {number} hi"):
            for sender in (program.officer.phone, STRANGER):
                reply = converse(phone, sender, text)[-1]
                assert reply.startswith("Sorry,") and "is for LEAD coordinators" in reply
        assert status_of(app, number) == "notified"

    def test_ack_of_a_closed_referral_says_it_is_closed_not_who_has_it(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        converse(phone, program.ana.phone, f"ACK {number}", f"INTAKE {number}")
        closed = f"#{number} is already closed (intake completed)."
        assert converse(phone, program.ben.phone, f"ACK {number}") == [closed]
        assert converse(phone, program.ana.phone, f"ACK {number}") == [closed]
        assert status_of(app, number) == "intake_completed"


class TestIntakeOutcome:
    """INTAKE and NONCOMPLY close an acknowledged referral; the officer gets status words only."""

    def test_intake_before_ack_is_refused_with_a_reason(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        reply = converse(phone, program.ana.phone, f"INTAKE {number}")[-1]
        assert reply == f"#{number} is not taken yet: reply ACK {number} first."
        assert status_of(app, number) == "notified"

    def test_noncomply_keeps_the_reason_internal(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        converse(
            phone,
            program.ana.phone,
            f"ACK {number}",
            f"NONCOMPLY {number} relapsed, left the shelter",
        )
        assert status_of(app, number) == "intake_missed"
        officer_texts = outbox(app, program.officer.phone)
        assert officer_texts[-1] == f"LEAD #{number}: intake not completed."
        assert not any("relapsed" in text for text in officer_texts)
        with session_scope(app) as session:
            events = session.scalars(
                select(ReferralEvent).where(ReferralEvent.kind == "intake_missed")
            ).all()
            assert events[0].detail == {"reason": "relapsed, left the shelter"}
        closed = converse(phone, program.ana.phone, f"INTAKE {number}")[-1]
        assert closed == f"#{number} is already closed (intake not completed)."

    def test_intake_completed_and_note(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        replies = converse(
            phone,
            program.ana.phone,
            f"ACK {number}",
            f"note {number} housing needed",
            f"INTAKE #{number}",
        )
        assert replies[1] == f"Noted on #{number}."
        assert status_of(app, number) == "intake_completed"
        assert outbox(app, program.officer.phone)[-1] == f"LEAD #{number}: intake completed."
        assert not any("housing" in text for text in outbox(app, program.officer.phone))


class TestOfficerStatus:
    """STATUS shows the officer's own referrals only, in status words."""

    def test_own_referral_and_someone_elses_look_different(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        assert (
            converse(phone, program.officer.phone, f"STATUS {number}")[-1]
            == f"LEAD #{number}: received."
        )
        converse(phone, program.ana.phone, f"ACK {number}")
        assert (
            converse(phone, program.officer.phone, f"status #{number}")[-1]
            == f"LEAD #{number}: with a coordinator."
        )
        # SPEC §5: "someone else's referral and a number that does not exist get the same
        # "no referral #42 of yours"" — in those words.
        assert (
            converse(phone, STRANGER, f"STATUS {number}")[-1] == f"no referral #{number} of yours."
        )
        assert converse(phone, STRANGER, "STATUS 4242")[-1] == "no referral #4242 of yours."

    def test_a_referral_texted_from_a_borrowed_phone_is_the_officers_own_from_their_phone(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        """The officer's phone died: they borrowed one, gave their badge, and ask from theirs."""
        converse(phone, STRANGER, "REFER", "4711", "1", "Jane Doe", "1", "Pine St", "Y", "SEND")
        reply = converse(phone, program.officer.phone, "STATUS 1")[-1]
        assert reply == "LEAD #1: received.", reply
        assert converse(phone, STRANGER, "STATUS 1")[-1] == "LEAD #1: received."


class TestOnCallByText:
    """WHO and TAKE for coordinators."""

    def test_who_lists_each_tier(self, phone: SmsEmulator, program: Program) -> None:
        reply = converse(phone, program.ben.phone, "who")[-1]
        assert reply.startswith(f"On call: tier 1: Ana Diaz {program.ana.phone}")
        assert f"tier 2: Ben Okafor {program.ben.phone}" in reply

    def test_who_says_until_further_notice_when_nobody_is_scheduled_to_take_over(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        # SPEC §5: WHO tells "who is on call now per tier, until when". Ana and Ben each
        # cover a tier alone: nobody takes over, which the reply must say, not leave out.
        reply = converse(phone, program.ben.phone, "WHO")[-1]
        assert reply == (
            f"On call: tier 1: Ana Diaz {program.ana.phone} until further notice; "
            f"tier 2: Ben Okafor {program.ben.phone} until further notice."
        )
        with session_scope(app) as session:
            session.get_one(User, program.ben.id).language = "es"
        spanish = converse(phone, program.ben.phone, "WHO")[-1]
        assert spanish.count("hasta nuevo aviso") == 2, spanish

    def test_who_says_the_date_of_an_until_more_than_a_week_away(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        # Ben covers tier 1 for three weeks: "until Sat 08:00" would read as this week.
        end = (datetime.now(UTC) + timedelta(days=20)).replace(second=0, microsecond=0)
        add_override(app, program.ben, 1, datetime.now(UTC) - timedelta(hours=1), end)
        reply = converse(phone, program.ana.phone, "WHO")[-1]
        local = end.astimezone(ZoneInfo("America/Los_Angeles"))
        assert f"tier 1: Ben Okafor {program.ben.phone} until " in reply
        assert f"{local:%m/%d %H:%M}" in reply, reply

    def test_take_for_a_week_says_the_date_it_ends_not_just_todays_weekday(
        self, phone: SmsEmulator, program: Program
    ) -> None:
        reply = converse(phone, program.ben.phone, "TAKE 7d")[-1]
        end = datetime.now(UTC) + timedelta(days=7)
        local = end.astimezone(ZoneInfo("America/Los_Angeles"))
        assert reply.startswith("You are on call for tier 1 until ")
        assert f"{local:%m/%d}" in reply, reply  # "until Sat 14:21" reads as today

    def test_take_puts_the_sender_on_tier_one(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        reply = converse(phone, program.ben.phone, "TAKE 90m")[-1]
        assert reply.startswith("You are on call for tier 1 until ")
        with session_scope(app) as session:
            override = session.scalars(select(Override)).one()
            assert (override.user_id, override.tier) == (program.ben.id, 1)
            assert override.end - override.start == timedelta(minutes=90)
        assert converse(phone, program.ben.phone, "WHO")[-1].startswith(
            "On call: tier 1: Ben Okafor"
        )
        assert converse(phone, program.ben.phone, "TAKE 8d")[-1].startswith(
            "Reply TAKE and how long"
        )

    def test_a_shorter_take_after_a_longer_one_says_when_the_sender_really_stops(
        self, phone: SmsEmulator, program: Program
    ) -> None:
        longer = converse(phone, program.ben.phone, "TAKE 4h")[-1]
        shorter = converse(phone, program.ben.phone, "TAKE 2h")[-1]
        # The 4-hour override still puts Ben on call after the 2-hour one ends.
        assert shorter == longer, (longer, shorter)
        until = longer.removeprefix("You are on call for tier 1 until ").rsplit(" ", 1)[0]
        assert (
            f"tier 1: Ben Okafor {program.ben.phone} until {until}"
            in converse(phone, program.ana.phone, "WHO")[-1]
        )


class TestOptOutAndHelp:
    """STOP silences the app; noise gets HELP at most three times an hour."""

    def test_stop_then_nothing_is_sent_start_undoes_it(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        assert phone.send(program.ana.phone, "STOP").replies == []
        refer(phone, program)
        with session_scope(app) as session:
            assert session.get(OptOut, program.ana.phone) is not None
            statuses = list(
                session.scalars(
                    select(Message.status).where(Message.to_number == program.ana.phone)
                )
            )
            assert statuses == ["suppressed"]
        assert converse(phone, program.ana.phone, "START")[-1].startswith(
            "You will get LEAD hotline texts again."
        )

    @pytest.mark.parametrize("text", ["Stop.", "stop!", " STOP ", "¡Stop!", "Unsubscribe."])
    def test_stop_ended_by_the_keyboard_opts_out_as_stop_does(
        self, app: Flask, phone: SmsEmulator, program: Program, text: str
    ) -> None:
        assert phone.send(program.ana.phone, text).replies == []
        with session_scope(app) as session:
            assert session.get(OptOut, program.ana.phone) is not None, "they meant stop"
        assert converse(phone, program.ana.phone, "Start!")[-1].startswith(
            "You will get LEAD hotline texts again."
        )

    @pytest.mark.parametrize("text", ["Stop?", "stop please", "NOTE 1 asked him to stop."])
    def test_stop_in_a_question_or_a_sentence_is_no_opt_out(
        self, app: Flask, phone: SmsEmulator, program: Program, text: str
    ) -> None:
        number = refer(phone, program)
        converse(phone, program.ana.phone, f"ACK {number}", text)
        with session_scope(app) as session:
            assert session.get(OptOut, program.ana.phone) is None

    def test_unknown_text_gets_help_three_times_an_hour(
        self, phone: SmsEmulator, program: Program
    ) -> None:
        replies = [phone.send(STRANGER, "hello?").replies for _ in range(5)]
        assert [len(r) for r in replies] == [1, 1, 1, 0, 0]
        assert phone.send(STRANGER, "HELP").replies[0].startswith("LEAD hotline. Officers: REFER")

    def test_an_explicit_help_does_not_count_toward_the_three(
        self, phone: SmsEmulator, program: Program
    ) -> None:
        # SPEC §5: "an explicit `HELP` is always answered and does not count".
        for _ in range(3):
            assert phone.send(STRANGER, "HELP").replies
        replies = [phone.send(STRANGER, "hello?").replies for _ in range(4)]
        assert [len(r) for r in replies] == [1, 1, 1, 0]

    def test_repeated_message_sid_changes_nothing(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        first = phone.send(program.officer.phone, "REFER", message_sid="SM1")
        again = phone.send(program.officer.phone, "REFER", message_sid="SM1")
        assert first.replies and again.replies == []
        with session_scope(app) as session:
            assert len(session.scalars(select(Message)).all()) == 2  # the text and one reply


def test_note_with_a_number_but_no_text_asks_for_the_note_not_the_number(
    phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    reply = converse(phone, program.ana.phone, f"NOTE {number}")[-1]
    assert reply == f"Reply NOTE {number} and the note."


def test_a_note_or_reason_set_off_from_the_number_by_punctuation_is_kept(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    replies = converse(
        phone,
        program.ana.phone,
        f"NOTE {number}: left a card at the shelter",
        f"ACK {number}",
        f"noncomply #{number}, moved out of state",
    )
    assert replies[0] == f"Noted on #{number}."
    assert replies[2] == f"#{number}: intake not completed; the officer was told."
    assert status_of(app, number) == "intake_missed"
    with session_scope(app) as session:
        details = session.scalars(
            select(ReferralEvent.detail)
            .where(
                ReferralEvent.referral_id == number,
                ReferralEvent.kind.in_(("note", "intake_missed")),
            )
            .order_by(ReferralEvent.id)
        ).all()
    assert details == [
        {"text": "left a card at the shelter"},
        {"reason": "moved out of state"},
    ]
    assert not any("moved" in text for text in outbox(app, program.officer.phone))


def test_ack_ended_with_a_full_stop_takes_the_referral(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    reply = converse(phone, program.ana.phone, f"ack #{number}.")[-1]
    assert reply.startswith(f"You have #{number}") and status_of(app, number) == "acknowledged"


def test_status_asked_with_a_question_mark_and_take_with_a_full_stop_are_understood(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    reply = converse(phone, program.officer.phone, f"Status {number}?")[-1]
    assert reply == f"LEAD #{number}: received.", reply
    reply = converse(phone, program.ben.phone, "Take 4h.")[-1]
    assert reply.startswith("You are on call for tier 1 until"), reply


def test_ack_and_intake_say_an_opted_out_officer_was_not_told(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    converse(phone, program.officer.phone, "STOP")  # nothing may be sent to them now
    taken, closed = converse(phone, program.ana.phone, f"ACK {number}", f"INTAKE {number}")
    assert taken == (
        f"You have #{number}: Officer Smith (SPD) {program.officer.phone} opted out of texts, "
        "so was not told."
    )
    assert closed == (
        f"#{number}: intake completed; the officer opted out of texts, so was not told."
    )
    with session_scope(app) as session:
        to_officer = select(Message.status).where(Message.to_number == program.officer.phone)
        assert set(session.scalars(to_officer.where(Message.referral_id == number))) >= {
            "suppressed"
        }


def test_a_number_too_long_to_be_a_referral_is_no_referral_not_a_missing_number(
    phone: SmsEmulator, program: Program
) -> None:
    # Past 2**31 no id exists (PostgreSQL's integer): the number was given, it names nobody.
    status = converse(phone, program.officer.phone, "STATUS 12345678901")[-1]
    assert status == "no referral #12345678901 of yours."
    ack, note, call = converse(
        phone, program.ana.phone, "ACK 2147483648", "NOTE 99999999999 seen", "CALL #4294967296"
    )
    assert (ack, note, call) == (
        "No referral #2147483648.",
        "No referral #99999999999.",
        "No referral #4294967296.",
    )
    refused = converse(phone, STRANGER, "ACK 2147483648")[-1]
    assert refused.startswith("Sorry, ACK is for LEAD coordinators.")


def test_take_in_a_sentence_is_no_take_command(phone: SmsEmulator, program: Program) -> None:
    # "Take care" signs a text off: it is not TAKE without a duration, nor refused as staff-only.
    signed_off = converse(phone, program.officer.phone, "Take care")[-1]
    assert signed_off.startswith("Sorry, that is not a command.")
    assert converse(phone, program.ana.phone, "take care!")[-1].startswith(
        "Sorry, that is not a command."
    )
    asked, taken = converse(phone, program.ana.phone, "TAKE", "take 4 hours")
    assert asked == "Reply TAKE and how long, up to 7 days: TAKE 90m, TAKE 4h or TAKE 1d."
    assert taken.startswith("You are on call for tier 1 until")


def text_with_opt_out_type(
    client: FlaskClient, sender: str, body: str, opt_out_type: str, path: str = "/sms/incoming"
) -> list[str]:
    """Text as Twilio's Advanced Opt-Out delivers a keyword it matched: with OptOutType."""
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "From": sender,
        "To": HOTLINE,
        "Body": body,
        "NumMedia": "0",
        "OptOutType": opt_out_type,
    }
    signature = sign("test-token", "http://localhost" + path, params)
    answer = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    return replies_of(body) if body.strip() else []


class TestTwiliosOwnOptOutWords:
    """A word the deployer's Advanced Opt-Out takes as STOP or START (OptOutType) is one."""

    def test_an_opt_out_word_twilio_reports_opts_out_unanswered_and_answers_no_question(
        self, app: Flask, client: FlaskClient, phone: SmsEmulator, program: Program
    ) -> None:
        sender = program.officer.phone
        converse(phone, sender, "REFER", "1")  # the name is asked next
        # "PARAR", a Spanish opt-out word the deployer added: the sender is opted out at
        # Twilio, so a reply is never delivered, and it is no participant's name.
        assert text_with_opt_out_type(client, sender, "PARAR", "STOP") == []
        with session_scope(app) as session:
            assert session.get(OptOut, sender) is not None
            intake = session.scalars(select(Conversation)).first()
            assert intake is None or "name" not in intake.answers
        # Nor is it told to call when the app cannot read it (Twilio's Fallback URL).
        assert text_with_opt_out_type(client, sender, "PARAR", "STOP", "/sms/fallback") == []

    def test_an_opt_in_word_twilio_reports_lets_texts_through_again(
        self, app: Flask, client: FlaskClient, phone: SmsEmulator, program: Program
    ) -> None:
        assert phone.send(program.ana.phone, "STOP").replies == []
        # Twilio took the sender back in on a word of the deployer's own: so must the app,
        # or every text to them stays `suppressed` while Twilio would deliver it.
        replies = text_with_opt_out_type(client, program.ana.phone, "SUBSCRIBE", "START")
        assert replies and replies[0].startswith("You will get LEAD hotline texts again.")
        with session_scope(app) as session:
            assert session.get(OptOut, program.ana.phone) is None
