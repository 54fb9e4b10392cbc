"""Texts that cross: a report before its send, a command mid-intake, a borrowed phone (§5, §6)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.messaging.dispatch import dispatch_outbox
from hotline.messaging.transport import SendResult
from hotline.models import Message
from hotline.simulator import SmsEmulator
from tests.sms.conftest import STRANGER, Program, converse, outbox
from tests.sms.test_commands import refer, status_of
from tests.sms.test_implied_acknowledgement import could_not_reach, texts_to


def test_a_delivery_report_that_overtakes_the_send_is_not_lost(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    """Twilio reports "undelivered" before the dispatcher has stored the text's sid."""
    refer(phone, program)
    answers: list[int] = []

    class FastCarrier:
        def send(self, *, to: str, sender: str, body: str) -> SendResult:
            # Twilio's status callback for the new sid arrives before send() returns.
            answers.append(phone.delivery_status("SMfast0001", "undelivered", "30003"))
            return SendResult.ok("SMfast0001")

        def place_call(self, **kwargs: str) -> SendResult:  # pragma: no cover
            raise AssertionError

    with session_scope(app) as session:
        dispatch_outbox(session, datetime.now(UTC), FastCarrier(), batch=1)  # type: ignore[arg-type]
    with session_scope(app) as session:
        status = session.scalars(
            select(Message.status).where(Message.message_sid == "SMfast0001")
        ).one()
    # Either the report was kept, or Twilio was asked (5xx) to send it again.
    assert status == "failed" or answers[0] >= 500, (status, answers)


def test_a_coordinator_with_an_intake_open_can_still_ack(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    converse(phone, program.ana.phone, "NEW")  # a stray word opens an intake on her phone
    reply = converse(phone, program.ana.phone, f"ACK {number}")[-1]
    assert reply.startswith(f"You have #{number}"), reply
    assert status_of(app, number) == "acknowledged"


def test_the_owners_ack_after_an_unreachable_assessment_does_not_retext_the_others(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    could_not_reach(app, number, program.ben)  # Ana is told "taken by Ben" once, here
    converse(phone, program.ben.phone, f"ACK {number}")  # Ben confirms, to close the intake
    taken = [t for t in texts_to(app, program.ana.phone) if "is taken by Ben Okafor" in t]
    assert len(taken) == 1, taken


def test_a_referral_texted_from_an_unknown_phone_with_a_roster_badge_shows_the_phone_it_came_from(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    """The officer borrows a phone and gives badge 4711; the coordinator must call that phone."""
    converse(phone, STRANGER, "REFER", "4711", "1", "Jane Doe", "1", "Pine St", "Y", "SEND")
    (alert,) = outbox(app, program.ana.phone)
    assert STRANGER in alert, alert
    reply = converse(phone, program.ana.phone, "ACK 1")[-1]
    # The status text went to STRANGER: the reply must not say the roster phone was told.
    assert program.officer.phone not in reply and STRANGER in reply, reply


def test_intake_by_another_on_a_referral_its_assessor_holds_names_the_holder(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    could_not_reach(app, number, program.ben)  # Ben holds it; its status stays open
    reply = converse(phone, program.ana.phone, f"INTAKE {number}")[-1]
    assert reply.startswith(f"#{number} is already taken by Ben Okafor"), reply
    assert status_of(app, number) != "intake_completed"
