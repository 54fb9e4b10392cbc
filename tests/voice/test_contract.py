"""The TwiML shapes and timings SPEC §4 fixes, read from the answers as Twilio would parse them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Call, Message, Referral, ReferralEvent
from hotline.simulator import CallScript, Leg, Poster, PostResult, VoiceEmulator, flask_poster
from tests.jobs.conftest import run, texts_to
from tests.voice.conftest import FALLBACK, HOTLINE, STRANGER, Program
from tests.voice.test_badge import local
from tests.voice.test_unaccepted_calls import abandon, last_notice
from tests.voice.test_webhooks import post

DIAL_TIMEOUT = 27  # not the default 20: the step must ring for what the setting says
ACK_MINUTES = 3  # not the default 10


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Give the chain's steps and the escalation settings of their own."""
    return {**app_config, "HOTLINE_DIAL_TIMEOUT": DIAL_TIMEOUT, "HOTLINE_ACK_MINUTES": ACK_MINUTES}


def answer(client: FlaskClient, path: str, params: dict[str, str]) -> ET.Element:
    """Post a signed webhook and return its TwiML, checking it is served as XML."""
    response = post(client, path, params)
    assert response.status_code == 200 and response.mimetype in ("text/xml", "application/xml")
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def chain_step(root: ET.Element) -> ET.Element:
    """Return the one <Dial> of an answer, checked against SPEC §4.3."""
    # SPEC §4.3: "Each chain step is one <Dial> with action (app URL), timeout =
    # HOTLINE_DIAL_TIMEOUT, answerOnBridge="true", and one <Number> whose url plays a whisper".
    (dial,) = root.findall("Dial")
    assert dial.get("action", "").startswith("/voice/")
    assert dial.get("timeout") == str(DIAL_TIMEOUT)
    assert dial.get("answerOnBridge") == "true"
    (number,) = list(dial)
    assert number.tag == "Number" and number.get("url", "").startswith("/voice/whisper")
    return dial


def whisper_of(client: FlaskClient, dial: ET.Element) -> ET.Element:
    """Return the whisper the dialled person hears, checked against SPEC §4.3."""
    number = dial.find("Number")
    assert number is not None
    whisper = answer(client, local(number.attrib["url"]), {"CallSid": "CA-leg"})
    # SPEC §4.3: the whisper is "in a <Gather numDigits="1"> followed by <Hangup/>".
    assert [verb.tag for verb in whisper] == ["Gather", "Hangup"]
    gather = whisper[0]
    assert gather.get("numDigits") == "1"
    said = " ".join(say.text or "" for say in gather.iter("Say"))
    assert "press 1 to accept" in said
    return whisper


def test_every_chain_step_is_one_dial_that_rings_for_the_setting_with_a_whisper(
    client: FlaskClient, program: Program
) -> None:
    params = {"CallSid": "CA-contract-1", "From": program.officer.phone, "To": HOTLINE}
    first = chain_step(answer(client, "/voice/incoming", params))  # tier 1, from the template
    whisper_of(client, first)
    second = chain_step(
        answer(client, local(first.attrib["action"]), {**params, "DialCallStatus": "no-answer"})
    )  # tier 2, from the builder
    assert [n.text for n in second.iter("Number")] == [program.ben.phone]
    whisper_of(client, second)
    fallback = chain_step(
        answer(client, local(second.attrib["action"]), {**params, "DialCallStatus": "busy"})
    )
    # SPEC §4.4: "Fallback-number steps get the same whisper."
    assert [n.text for n in fallback.iter("Number")] == [FALLBACK]
    whisper_of(client, fallback)
    # SPEC §4.5: past the chain, "a voicemail (<Record> with an action)".
    end = answer(client, local(fallback.attrib["action"]), {**params, "DialCallStatus": "failed"})
    (record,) = end.findall("Record")
    assert record.get("action", "").startswith("/voice/")


def test_an_unknown_caller_is_asked_for_a_badge_by_dtmf_ending_with_pound(
    client: FlaskClient, program: Program
) -> None:
    params = {"CallSid": "CA-contract-2", "From": STRANGER, "To": HOTLINE}
    root = answer(client, "/voice/incoming", params)
    # SPEC §4.2: 'asked once for a badge number (<Gather input="dtmf" finishOnKey="#">)'.
    (gather,) = root.findall("Gather")
    assert (gather.get("input"), gather.get("finishOnKey")) == ("dtmf", "#")
    assert gather.get("action", "").startswith("/voice/")
    assert root.findall("Dial") == []  # nobody rings before the badge step
    chain_step(answer(client, local(gather.attrib["action"]), {**params, "Digits": "4711"}))


def test_a_call_nobody_took_escalates_after_the_configured_ack_minutes(
    app: Flask, twilio: VoiceEmulator, program: Program
) -> None:
    # SPEC §7 `escalate-unacked`: "a referral (SMS, or a call that nobody accepted) still
    # `notified` HOTLINE_ACK_MINUTES after its last notice goes to the next user".
    abandon(twilio, program)
    first = last_notice(app)
    early = first + timedelta(minutes=ACK_MINUTES) - timedelta(seconds=1)
    assert run(app, "escalate-unacked", early).startswith("0 people")
    assert texts_to(app, program.ben.phone) == []
    assert run(app, "escalate-unacked", first + timedelta(minutes=ACK_MINUTES)).startswith(
        "1 people"
    )
    assert len(texts_to(app, program.ben.phone)) == 1


def twice(poster: Poster) -> Poster:
    """Deliver every webhook twice, as a retrying Twilio may; both answers must agree."""

    def post(url: str, params: dict[str, str], signature: str) -> PostResult:
        first, again = poster(url, params, signature), poster(url, params, signature)
        assert (again.status, again.body) == (first.status, first.body), url
        return again

    return post


def what_a_call_left(app: Flask, call_sid: str) -> tuple[object, ...]:
    """Return what one call recorded: its outcome, its legs, its referral, events and texts."""
    with session_scope(app) as session:
        call = session.scalars(select(Call).where(Call.call_sid == call_sid)).one()
        referral = session.get_one(Referral, call.referral_id)
        events = session.scalars(
            select(ReferralEvent.kind)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.id)
        ).all()
        texts = session.scalars(
            select(Message.to_number)
            .where(Message.referral_id == referral.id, Message.direction == "out")
            .order_by(Message.id)
        ).all()
        legs = [(leg.step, leg.number, leg.outcome) for leg in call.legs]
        return (call.call_outcome, legs, referral.status, referral.call_outcome, events, texts)


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(lambda p: CallScript(legs={p.ben.phone: [Leg("accept")]}), id="answered"),
        pytest.param(lambda p: CallScript(), id="voicemail"),
        pytest.param(lambda p: CallScript(recording=None), id="empty voicemail"),
        pytest.param(lambda p: CallScript(hang_up_after=2), id="abandoned"),
        pytest.param(
            lambda p: CallScript(gathers=["4711"], legs={p.ana.phone: [Leg("voicemail")]}),
            id="badge",
        ),
    ],
)
def test_every_webhook_delivered_twice_leaves_what_one_delivery_leaves(
    app: Flask,
    client: FlaskClient,
    program: Program,
    script: Callable[[Program], CallScript],
) -> None:
    # SPEC §4.6: "Each call creates or updates one call record (keyed on CallSid: a
    # repeated request never duplicates anything ...) and one referral."
    token, base = app.config["TWILIO_AUTH_TOKEN"], "http://localhost"
    caller = STRANGER if script(program).gathers else program.officer.phone
    once = VoiceEmulator(flask_poster(client), token, base)
    single = once.call(caller, HOTLINE, script(program), call_sid="CA-once")
    doubled = VoiceEmulator(twice(flask_poster(client)), token, base)
    repeated = doubled.call(caller, HOTLINE, script(program), call_sid="CA-twice")
    assert repeated.heard == single.heard
    assert what_a_call_left(app, "CA-twice") == what_a_call_left(app, "CA-once")
