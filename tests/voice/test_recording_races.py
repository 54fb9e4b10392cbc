"""The officer hangs up at the end of a voicemail: the recording's step and the final status
come at once, to two workers. Staff hear of the message, once, and neither webhook fails."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.services import call_end
from tests.conftest import is_sqlite
from tests.jobs.conftest import texts_to
from tests.races import Meanwhile, at_once
from tests.voice.conftest import Program
from tests.voice.test_late_webhooks import call_of, hang_up, ring_out
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
    if is_sqlite(app_config["DATABASE_URL"]):
        pytest.skip("SQLite takes both webhooks' writes in turn: the race needs PostgreSQL")
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
