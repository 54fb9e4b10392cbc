"""Twilio delivers one webhook twice at the same moment to two workers: one result (SPEC §4, §5).

Each side is its own thread, with its own client, app context and database
connection; a barrier starts both together. On SQLite the two writers take
turns on the file's lock, so the race is PostgreSQL's.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import Call, CallLeg, Message, Referral, ReferralNotice
from hotline.simulator import SmsEmulator, flask_poster
from hotline.simulator.sms import SmsResult
from tests.factories import Program, add_program
from tests.jobs.conftest import texts_to
from tests.races import at_once, race_needs_postgresql
from tests.sms.conftest import HOTLINE, converse
from tests.sms.test_intake import ARREST
from tests.voice.conftest import FALLBACK, STRANGER
from tests.voice.test_webhooks import post

T = TypeVar("T")
ROUNDS = 6


@pytest.fixture(autouse=True)
def postgresql_only(app_config: dict[str, Any]) -> None:
    race_needs_postgresql(app_config, "the two workers")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "HOTLINE_NUMBER": HOTLINE, "HOTLINE_FALLBACK_NUMBERS": FALLBACK}


@pytest.fixture
def program(app: Flask) -> Program:
    """Put Ana on tier 1, Ben on tier 2; Sue supervises; Officer Smith is on the roster."""
    return add_program(app)


@pytest.fixture
def phone(app: Flask) -> SmsEmulator:
    return own_phone(app)


def twice(action: Callable[..., T], *args: Any) -> list[T]:
    """Run `action(*args)` in two workers at the same moment; return both results."""
    return at_once(*[functools.partial(action, *args)] * 2)


def count(app: Flask, model: type[Any], *where: Any) -> int:
    with session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def own_phone(app: Flask) -> SmsEmulator:
    """Return a phone posting through a client of its own (one per worker)."""
    token = app.config["TWILIO_AUTH_TOKEN"]
    return SmsEmulator(flask_poster(app.test_client()), token, "http://localhost", HOTLINE)


def send(app: Flask, sender: str, body: str, sid: str) -> SmsResult:
    return own_phone(app).send(sender, body, message_sid=sid)


def test_a_send_delivered_twice_at_once_makes_one_referral_and_texts_once(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    officer = program.officer.phone
    for round_ in range(ROUNDS):
        converse(phone, officer, *ARREST)
        sid = f"SM-send-{round_}"
        results = twice(send, app, officer, "SEND", sid)
        assert [r.status for r in results] == [200, 200]
        # One answer says it was sent; the repeat is answered with nothing.
        sent = [r.replies for r in results if r.replies]
        assert len(sent) == 1 and sent[0][0].startswith("Sent:"), results
    assert count(app, Referral) == ROUNDS
    assert count(app, Message, Message.message_sid.like("SM-send-%")) == ROUNDS
    # Ana, tier 1, heard of each referral once.
    assert count(app, ReferralNotice) == ROUNDS
    assert len(texts_to(app, program.ana.phone)) == ROUNDS


def test_an_intake_step_delivered_twice_at_once_is_answered_once(
    app: Flask, program: Program
) -> None:
    officer = program.officer.phone
    results = twice(send, app, officer, "REFER", "SM-refer")
    assert [r.status for r in results] == [200, 200]
    assert sorted(len(r.replies) for r in results) == [0, 1]
    assert count(app, Message, Message.direction == "out", Message.to_number == officer) == 1


def incoming(app: Flask, sid: str, caller: str) -> ET.Element:
    params = {"CallSid": sid, "From": caller, "To": HOTLINE}
    answer = post(app.test_client(), "/voice/incoming", params)
    assert answer.status_code == 200
    return ET.fromstring(answer.data)


@pytest.mark.parametrize("caller", ["officer", "stranger"])
def test_a_call_delivered_twice_at_once_is_one_call_and_one_referral(
    app: Flask, program: Program, caller: str
) -> None:
    number = program.officer.phone if caller == "officer" else STRANGER
    for round_ in range(ROUNDS):
        # Round 0: neither worker keeps the program yet; later rounds: both do.
        answers = twice(incoming, app, f"CA-twice-{round_}", number)
        dialled = [[n.text for n in a.iter("Number")] for a in answers]
        if caller == "officer":
            # Both answers ring Ana, tier 1: the same call, not the fallback numbers.
            assert dialled == [[program.ana.phone]] * 2, dialled
        else:
            assert all(a.find("Gather") is not None for a in answers)
    assert count(app, Call) == ROUNDS
    assert count(app, Referral) == ROUNDS
    assert count(app, CallLeg) == (ROUNDS if caller == "officer" else 0)


def status(app: Flask, sid: str, caller: str) -> int:
    params = {
        "CallSid": sid,
        "From": caller,
        "To": HOTLINE,
        "CallStatus": "completed",
        "CallDuration": "20",
    }
    code: int = post(app.test_client(), "/voice/status", params).status_code
    return code


def test_a_final_status_delivered_twice_at_once_tells_staff_once(
    app: Flask, program: Program
) -> None:
    officer = program.officer.phone
    for round_ in range(ROUNDS):
        incoming(app, f"CA-end-{round_}", officer)
        # The officer hangs up while Ana's phone rings; Twilio posts the status twice.
        assert twice(status, app, f"CA-end-{round_}", officer) == [204, 204]
    told = texts_to(app, program.ana.phone)
    assert len(told) == ROUNDS, told
    with session_scope(app) as session:
        outcomes = session.scalars(select(Referral.status, Referral.call_outcome)).all()
    assert count(app, Referral, Referral.status == "notified") == ROUNDS, outcomes


def test_the_status_of_an_unseen_call_delivered_twice_at_once_records_it_once(
    app: Flask, program: Program
) -> None:
    officer = program.officer.phone
    for round_ in range(ROUNDS):
        # Its first webhook went to the fallback; the final status comes twice.
        assert twice(status, app, f"CA-unseen-{round_}", officer) == [204, 204]
    assert count(app, Call) == ROUNDS
    assert count(app, Referral) == ROUNDS
    # Nobody of the chain was dialled: each call is told to staff once, as abandoned.
    assert len(texts_to(app, program.ana.phone)) == ROUNDS


def test_two_refers_sent_at_once_each_get_the_first_question(app: Flask, program: Program) -> None:
    officer = program.officer.phone
    for round_ in range(ROUNDS):
        # The officer's phone sent REFER twice (two MessageSids), landing in two workers.
        first, second = at_once(
            functools.partial(send, app, officer, "REFER", f"SM-a-{round_}"),
            functools.partial(send, app, officer, "REFER", f"SM-b-{round_}"),
        )
        for result in (first, second):
            assert result.status == 200
            (reply,) = result.replies  # not "cannot read texts, please call"
            assert reply.startswith("LEAD referral, Officer Smith."), reply
        converse(own_phone(app), officer, "ABORT")
