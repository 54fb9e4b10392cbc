"""A call whose end never reached the app is closed once Twilio's REST API says it ended (§6)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from hotline.db import database, session_scope
from hotline.models import Call, ReferralEvent
from hotline.services import voicemail
from tests.conftest import is_sqlite
from tests.jobs.conftest import run, texts_to
from tests.messaging.fake_twilio import FakeTwilio
from tests.races import Meanwhile, race_needs_postgresql
from tests.voice.conftest import Program
from tests.voice.test_late_webhooks import call_of, start
from tests.voice.test_webhooks import post

ASKED_AT = timedelta(minutes=31)  # past the half hour, a line's end missing: Twilio is asked
LONGEST = timedelta(hours=4, minutes=1)  # past Twilio's longest call: closed without asking


@pytest.fixture
def app_config(app_config: dict[str, Any], fake_twilio: FakeTwilio) -> dict[str, Any]:
    """Send through the fake Twilio, with the token webhooks are signed with."""
    return {**app_config, **fake_twilio.settings()}


def ringing(client: FlaskClient, app: Flask, call_sid: str, program: Program) -> Call:
    """Let the officer call; Ana's line rings, and nothing more of the call is heard."""
    start(client, call_sid, program.officer.phone)
    call, _, _ = call_of(app, call_sid)
    return call


def unheard(app: Flask, call: Call) -> int:
    """Return how often the call's timeline says its end never reached the hotline."""
    with session_scope(app) as session:
        kinds = session.scalars(
            select(ReferralEvent.kind).where(ReferralEvent.referral_id == call.referral_id)
        ).all()
        return kinds.count("call_end_unheard")


def told(app: Flask, program: Program) -> list[str]:
    """Return the texts that asked Ana to take a call nobody took."""
    return [body for body in texts_to(app, program.ana.phone) if "Reply ACK" in body]


def second(instant: datetime) -> datetime:
    """Return `instant` to the second, as Twilio gives an end time."""
    return instant.replace(microsecond=0)


def test_a_call_twilio_says_ended_is_closed_at_once_and_staff_are_told(
    app: Flask, client: FlaskClient, program: Program, fake_twilio: FakeTwilio
) -> None:
    call = ringing(client, app, "CA-gone", program)
    ended = second(call.started_at + timedelta(minutes=3))
    fake_twilio.set_call("CA-gone", "completed", end_time=ended, duration=180)
    run(app, "escalate-unacked", call.started_at + timedelta(minutes=29))
    assert fake_twilio.fetches == []  # not asked before the half hour
    summary = run(app, "escalate-unacked", call.started_at + ASKED_AT)
    assert "1 calls closed whose end never came" in summary
    call, referral, [leg] = call_of(app, "CA-gone")
    assert referral.status == "notified" and referral.call_outcome == "abandoned"
    [body] = told(app, program)
    assert "hung up before anyone answered" in body and f"Reply ACK {referral.id}" in body
    assert (call.ended_at, call.duration, call.status) == (ended, 180, "completed")
    assert leg.outcome == "canceled" and unheard(app, call) == 1
    run(app, "escalate-unacked", call.started_at + ASKED_AT + timedelta(minutes=1))
    assert fake_twilio.fetches == [("CA-gone", 200)]  # once: the call is closed now
    assert len(told(app, program)) == 1


@pytest.mark.parametrize("status", ["in-progress", "ringing", "queued"])
def test_a_call_twilio_says_is_still_going_on_is_left_open(
    app: Flask, client: FlaskClient, program: Program, fake_twilio: FakeTwilio, status: str
) -> None:
    call = ringing(client, app, "CA-live", program)
    fake_twilio.set_call("CA-live", status)
    for minutes in (31, 90):
        run(app, "escalate-unacked", call.started_at + timedelta(minutes=minutes))
        assert call_of(app, "CA-live")[1].status == "received"  # perhaps a conversation
    assert told(app, program) == []
    run(app, "escalate-unacked", call.started_at + LONGEST)
    assert call_of(app, "CA-live")[1].status == "notified"
    assert len(fake_twilio.fetches) == 2  # the four-hour rule asks nobody


@pytest.mark.parametrize("failure", ["500", "429", "404", "auth"])
def test_when_twilio_cannot_tell_the_call_waits_for_the_four_hour_rule(
    app: Flask, client: FlaskClient, program: Program, fake_twilio: FakeTwilio, failure: str
) -> None:
    call = ringing(client, app, "CA-unknown", program)
    if failure == "auth":
        fake_twilio.auth_token = "mended-elsewhere"  # the app's credentials are refused
    elif failure != "404":  # 404: a CallSid Twilio never had, as the simulator's
        fake_twilio.set_call("CA-unknown", "completed", second(call.started_at), 20)
        fake_twilio.fail_next(failure)  # type: ignore[arg-type]
    run(app, "escalate-unacked", call.started_at + ASKED_AT)
    assert call_of(app, "CA-unknown")[1].status == "received"
    assert [status for _, status in fake_twilio.fetches] == [
        {"500": 500, "429": 429, "404": 404, "auth": 401}[failure]
    ]
    at = call.started_at + LONGEST
    run(app, "escalate-unacked", at)
    call, referral, _ = call_of(app, "CA-unknown")
    assert referral.status == "notified" and call.ended_at == at  # as before: when it gave up
    assert len(told(app, program)) == 1


def test_a_twilio_that_is_down_is_asked_about_one_call_per_run(
    app: Flask, client: FlaskClient, program: Program, fake_twilio: FakeTwilio
) -> None:
    first = ringing(client, app, "CA-one", program)
    ringing(client, app, "CA-two", program)
    fake_twilio.down = True
    run(app, "escalate-unacked", first.started_at + ASKED_AT)
    assert len(fake_twilio.fetches) == 1  # the next would time out alike: not asked
    fake_twilio.down = False
    for sid in ("CA-one", "CA-two"):
        fake_twilio.set_call(sid, "no-answer", second(first.started_at) + timedelta(minutes=2))
    summary = run(app, "escalate-unacked", first.started_at + ASKED_AT + timedelta(minutes=1))
    assert "2 calls closed" in summary
    assert [sid for sid, _ in fake_twilio.fetches[1:]] == ["CA-one", "CA-two"]


def test_a_call_twilio_never_had_holds_back_no_other(
    app: Flask, client: FlaskClient, program: Program, fake_twilio: FakeTwilio
) -> None:
    first = ringing(client, app, "CA-simulated", program)  # 404 at Twilio
    ringing(client, app, "CA-real", program)
    fake_twilio.set_call("CA-real", "canceled", second(first.started_at) + timedelta(minutes=1))
    summary = run(app, "escalate-unacked", first.started_at + ASKED_AT)
    assert "1 calls closed" in summary
    assert call_of(app, "CA-simulated")[1].status == "received"
    assert call_of(app, "CA-real")[1].status == "notified"


def test_an_end_twilio_has_just_seen_waits_a_run_for_its_final_status(
    app: Flask, client: FlaskClient, program: Program, fake_twilio: FakeTwilio
) -> None:
    call = ringing(client, app, "CA-just", program)
    now = call.started_at + timedelta(minutes=45)
    fake_twilio.set_call("CA-just", "completed", second(now - timedelta(seconds=20)), 2680)
    run(app, "escalate-unacked", now)  # Twilio may be sending the final status right now
    assert call_of(app, "CA-just")[1].status == "received"
    run(app, "escalate-unacked", now + timedelta(minutes=2))
    assert call_of(app, "CA-just")[1].status == "notified"


def idle_in_transaction(app: Flask) -> int:
    """Return how many other PostgreSQL sessions of the database sit inside a transaction."""
    with database(app).engine.connect() as connection:
        statement = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
        )
        return int(connection.execute(statement).scalar_one())


def test_a_final_status_that_comes_while_twilio_is_asked_wins_and_staff_hear_once(
    app: Flask,
    app_config: dict[str, Any],
    client: FlaskClient,
    program: Program,
    fake_twilio: FakeTwilio,
) -> None:
    call = ringing(client, app, "CA-both", program)
    fake_twilio.set_call("CA-both", "completed", second(call.started_at), 95)
    postgres = not is_sqlite(app_config["DATABASE_URL"])
    held: list[int] = []

    def status_arrives() -> None:
        # The database is back, and Twilio's last retry of the final status lands now.
        if postgres:
            held.append(idle_in_transaction(app))
        ended = {"CallSid": "CA-both", "CallStatus": "completed", "CallDuration": "95"}
        assert post(app.test_client(), "/voice/status", ended).status_code == 204

    fake_twilio.while_fetched = status_arrives
    run(app, "escalate-unacked", call.started_at + ASKED_AT)
    assert held == ([0] if postgres else [])  # no transaction of the job's waits on Twilio
    call, referral, _ = call_of(app, "CA-both")
    assert referral.status == "notified" and call.duration == 95
    assert len(told(app, program)) == 1 and unheard(app, call) == 0


def test_a_late_step_result_as_the_clock_closes_the_call_rings_nobody_and_both_finish(
    app: Flask,
    app_config: dict[str, Any],
    client: FlaskClient,
    program: Program,
    fake_twilio: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The database was back just as the clock's sweep closed a call Twilio says ended,
    # and a retry of Ana's step result (it rang out while the officer still held) landed
    # at that moment. The two take the same rows: neither may fail the other.
    race_needs_postgresql(app_config, "the sweep and the webhook")
    call = ringing(client, app, "CA-late", program)
    fake_twilio.set_call("CA-late", "completed", second(call.started_at), 40)
    answers: list[ET.Element] = []

    def step_result_arrives() -> None:
        params = {"CallSid": "CA-late", "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
        answer = post(app.test_client(), f"/voice/dial-result?call={call.id}&step=0", params)
        answers.append(ET.fromstring(answer.data))

    meanwhile = Meanwhile(step_result_arrives)
    meanwhile.at(monkeypatch, voicemail, "close_unanswered")
    summary = run(app, "escalate-unacked", call.started_at + ASKED_AT)
    meanwhile.join()
    assert "1 calls closed whose end never came" in summary
    # Nobody more is rung on the ended call, and not the fallback numbers either.
    assert [answer.find(".//Dial") for answer in answers] == [None]
    call, referral, legs = call_of(app, "CA-late")
    assert [leg.outcome for leg in legs] == ["canceled"] and referral.call_outcome == "abandoned"
    assert len(told(app, program)) == 1
