"""The officer hangs up, and another webhook of the call comes at that very moment, to another
worker: the recording's step at the end of a voicemail, or a coordinator's 1. Each webhook
answers as it would alone, and staff hear what happened, once."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.services import call_end
from tests.jobs.conftest import texts_to
from tests.races import Meanwhile, at_once, race_needs_postgresql
from tests.voice.conftest import HOTLINE, Program
from tests.voice.test_late_webhooks import call_of, hang_up, ring_out, start
from tests.voice.test_webhooks import post

THANKS = "Thank you. Your message was delivered to the coordinators."


def record(client: FlaskClient, call_sid: str, call_id: int, url: str) -> ET.Element:
    params = {"CallSid": call_sid, "RecordingUrl": url, "RecordingDuration": "31"}
    answer = post(client, f"/voice/recorded?call={call_id}", params)
    assert answer.status_code == 200
    return ET.fromstring(answer.data)


def told_of_the_message(app: Flask, program: Program, referral_id: int) -> None:
    """Assert each person of the chain and supervisor knows the voicemail holds a message."""
    for person in (program.ana, program.ben, program.sue):
        texts = [t for t in texts_to(app, person.phone) if f"#{referral_id}" in t]
        if len(texts) == 1:  # one notice, sent once the recording was on record
            assert "left a voicemail" in texts[0], texts
        else:  # "without a message", then the message after all
            assert len(texts) == 2 and "without a message" in texts[0], texts
            assert texts[1].startswith(f"LEAD #{referral_id}: the voicemail has a message after")


def test_a_final_status_that_commits_as_the_recording_step_reads_the_call_still_tells_of_it(
    app: Flask, client: FlaskClient, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = ring_out(client, app, "CA-cross", program.officer.phone)

    def final_status() -> None:
        hang_up(app.test_client(), "CA-cross", program.officer.phone, "60")

    # The recording's step has read the call (nobody told yet); the final status, in
    # another worker, tells staff of a voicemail without a message and commits first.
    Meanwhile(final_status, hold=None).at(monkeypatch, call_end, "keep_recording")
    answer = record(client, "CA-cross", call_id, "https://api.twilio.test/RE-cross")
    assert THANKS in "".join(answer.itertext())
    _, referral, _ = call_of(app, "CA-cross")
    assert "without a message" in texts_to(app, program.ana.phone)[0]  # the status came first
    told_of_the_message(app, program, referral.id)


def test_the_recording_step_and_the_final_status_at_once_both_answer_and_tell_once(
    app: Flask, app_config: dict[str, Any], client: FlaskClient, program: Program
) -> None:
    race_needs_postgresql(app_config, "both webhooks")
    for round_ in range(6):
        sid = f"CA-both-{round_}"
        call_id = ring_out(client, app, sid, program.officer.phone)
        url = f"https://api.twilio.test/RE{sid}"
        status = {"CallSid": sid, "CallStatus": "completed", "CallDuration": "60"}
        recorded, final = at_once(
            functools.partial(record, app.test_client(), sid, call_id, url),
            functools.partial(post, app.test_client(), "/voice/status", status),
        )
        # Neither failed: the officer is thanked, not sent to the fallback numbers, and
        # the status is stored at once rather than answered 503 for Twilio to retry.
        assert THANKS in "".join(recorded.itertext()), round_
        assert final.status_code == 204, round_
        _, referral, _ = call_of(app, sid)
        assert referral.recording_url == url
        told_of_the_message(app, program, referral.id)


def test_a_1_pressed_as_the_officer_hangs_up_is_answered_and_the_status_stored_at_once(
    app: Flask, app_config: dict[str, Any], client: FlaskClient, program: Program
) -> None:
    race_needs_postgresql(app_config, "both webhooks")
    officer = program.officer.phone
    for round_ in range(8):
        sid = f"CA-press-{round_}"
        start(client, sid, officer)
        call, _, _ = call_of(app, sid)
        key = {"CallSid": f"CA-leg-{round_}", "Digits": "1"}
        status = {"CallSid": sid, "From": officer, "To": HOTLINE, "CallStatus": "completed"}
        pressed, final = at_once(
            functools.partial(post, app.test_client(), f"/voice/accept?call={call.id}&step=0", key),
            functools.partial(post, app.test_client(), "/voice/status", status),
        )
        # The status is stored at once, not answered 503 for Twilio to send again.
        assert (pressed.status_code, final.status_code) == (200, 204), round_
        call, referral, [leg] = call_of(app, sid)
        bridged = ET.fromstring(pressed.data).find("Hangup") is None
        # Ana is bridged only if her 1 is on record; else the call ended unanswered and
        # staff are told so, once.
        assert bridged == (leg.outcome == "accepted"), (round_, bridged, leg.outcome)
        told = [t for t in texts_to(app, program.ana.phone) if f"#{referral.id}." in t]
        if bridged:
            assert (call.call_outcome, referral.status, told) == ("answered", "acknowledged", [])
        else:
            assert (call.call_outcome, leg.outcome, len(told)) == ("abandoned", "canceled", 1)
