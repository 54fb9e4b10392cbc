"""The officer hangs up just as a step decides to ring the next person: no line rings on for good.

A leg records whom a step rang; the final status closes each leg still ringing as
`canceled`. A step that rings the next person while the final status is being
applied, in another worker, must not leave a leg that never gets an outcome: the
referral's page would show it ringing for good and /api/v1/calls its outcome null.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.services import calls
from hotline.voice import views
from tests.races import Meanwhile, at_once, race_needs_postgresql
from tests.voice.conftest import HOTLINE, STRANGER, Program
from tests.voice.test_badge import local
from tests.voice.test_late_webhooks import call_of, events, hang_up, start
from tests.voice.test_webhooks import post

TIMED_OUT = {"DialCallStatus": "no-answer", "CallStatus": "in-progress"}


def time_out(client: FlaskClient, call_sid: str, call_id: int, step: int) -> ET.Element:
    """Post that step `step` rang out with the caller still on the line; return the TwiML."""
    params = {"CallSid": call_sid, **TIMED_OUT}
    answer = post(client, f"/voice/dial-result?call={call_id}&step={step}", params)
    assert answer.status_code == 200
    return ET.fromstring(answer.data)


def assert_no_leg_rings_on(app: Flask, call_sid: str) -> None:
    call, referral, legs = call_of(app, call_sid)
    assert call.ended_at is not None and call.call_outcome == "abandoned"
    assert referral.call_outcome == "abandoned"
    assert [leg.outcome for leg in legs if leg.outcome is None] == [], legs


def test_a_hang_up_while_a_step_rings_the_next_person_closes_that_persons_leg(
    app: Flask, client: FlaskClient, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(client, "CA-next", program.officer.phone)
    call, _, _ = call_of(app, "CA-next")

    def officer_hangs_up() -> None:
        hang_up(app.test_client(), "CA-next", program.officer.phone, "30")

    # Ana's step timed out and is about to ring Ben; the final status, in another
    # worker, arrives now and waits on Ana's leg, which the step has settled.
    meanwhile = Meanwhile(officer_hangs_up)
    meanwhile.at(monkeypatch, calls, "next_step")
    time_out(client, "CA-next", call.id, 0)
    meanwhile.join()
    assert_no_leg_rings_on(app, "CA-next")


def test_a_step_timing_out_while_the_final_status_is_stored_rings_nobody(
    app: Flask, client: FlaskClient, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(client, "CA-held", program.officer.phone)
    call, _, _ = call_of(app, "CA-held")
    answers: list[ET.Element] = []

    def step_times_out() -> None:
        answers.append(time_out(app.test_client(), "CA-held", call.id, 0))

    # The final status has closed Ana's leg and the call, not yet committed; her
    # step's timeout, in another worker, arrives now and waits on them.
    meanwhile = Meanwhile(step_times_out)
    meanwhile.at(monkeypatch, views, "_notify")
    hang_up(client, "CA-held", program.officer.phone, "30")
    meanwhile.join()
    assert len(answers) == 1 and answers[0].find("Dial") is None  # Ben is not rung
    assert_no_leg_rings_on(app, "CA-held")


def test_a_hang_up_while_the_badge_step_starts_ringing_closes_the_first_leg(
    app: Flask, client: FlaskClient, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    gather = start(client, "CA-badge", STRANGER).find("Gather")
    assert gather is not None

    def caller_hangs_up() -> None:
        hang_up(app.test_client(), "CA-badge", STRANGER, "12")

    # The badge is keyed and the step is about to ring tier 1; the caller hangs up now.
    meanwhile = Meanwhile(caller_hangs_up)
    meanwhile.at(monkeypatch, calls, "next_step")
    params = {"CallSid": "CA-badge", "From": STRANGER, "To": HOTLINE, "Digits": "4711"}
    answer = post(client, local(gather.attrib["action"]), params)
    assert answer.status_code == 200
    meanwhile.join()
    assert_no_leg_rings_on(app, "CA-badge")
    _, referral, _ = call_of(app, "CA-badge")
    assert referral.officer_id == program.officer.id  # the badge still says who called


def test_the_last_steps_result_delivered_twice_at_once_offers_voicemail_once(
    app: Flask, app_config: dict[str, Any], client: FlaskClient, program: Program
) -> None:
    race_needs_postgresql(app_config, "both deliveries")
    for round_ in range(6):
        sid = f"CA-retried-{round_}"
        start(client, sid, program.officer.phone)
        call, _, _ = call_of(app, sid)
        last = len(call.chain) - 1
        for step in range(last):
            time_out(client, sid, call.id, step)
        # Twilio retries the last step's result while the first delivery is still being
        # applied, by another worker: both lead the caller to the recording prompt.
        answers = at_once(
            *(functools.partial(time_out, app.test_client(), sid, call.id, last) for _ in "12")
        )
        assert all(answer.find("Record") is not None for answer in answers), round_
        call, referral, _ = call_of(app, sid)
        assert call.call_outcome == referral.call_outcome == "voicemail", round_
        assert events(app, referral.id, "voicemail_offered") == 1, round_


def test_a_middle_steps_result_delivered_twice_at_once_rings_the_next_person_once(
    app: Flask, app_config: dict[str, Any], client: FlaskClient, program: Program
) -> None:
    race_needs_postgresql(app_config, "both deliveries")
    for round_ in range(6):
        sid = f"CA-retried-first-{round_}"
        start(client, sid, program.officer.phone)
        call, _, _ = call_of(app, sid)
        assert len(call.chain) > 1
        # Twilio retries tier 1's result while the first delivery is still being applied.
        answers = at_once(
            *(functools.partial(time_out, app.test_client(), sid, call.id, 0) for _ in "12")
        )
        assert all(answer.find("Dial") is not None for answer in answers), round_
        _, _, legs = call_of(app, sid)
        rung = sorted((leg.step, leg.outcome) for leg in legs)
        assert rung == [(0, "no-answer"), (1, None)], (round_, rung)
