"""Calling an officer back through the hotline: CALL n, the fake Twilio, the call's webhooks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.rest.api.v2010.account.call import CallList

from hotline import create_app
from hotline.db import session_scope
from hotline.messaging.twilio_transport import TwilioTransport
from hotline.models import AuditEvent, Callback, ReferralEvent, User
from hotline.simulator import (
    CallResult,
    CallScript,
    Leg,
    Poster,
    PostResult,
    SmsEmulator,
    VoiceEmulator,
    flask_poster,
)
from hotline.simulator.transport import sign
from tests.factories import add_referral
from tests.jobs.conftest import run, texts_to
from tests.messaging.fake_twilio import CallRequest, Failure, FakeTwilio
from tests.races import at_once, race_needs_postgresql
from tests.voice.conftest import HOTLINE, Program
from tests.voice.test_badge import local
from tests.voice.test_webhooks import post

TOKEN = "test-token"
BASE = "http://localhost"
DIAL_ACTION = "/voice/callback/done"


@pytest.fixture
def app_config(app_config: dict[str, Any], fake_twilio: FakeTwilio) -> dict[str, Any]:
    """Send texts and place calls through the fake Twilio, as production does through Twilio."""
    return {
        **app_config,
        **fake_twilio.settings(),
    }


@pytest.fixture
def referral(app: Flask, program: Program) -> int:
    """Officer Smith's referral, taken by Ana."""
    officer = program.officer
    return add_referral(
        app,
        "acknowledged",
        officer_id=officer.id,
        officer_phone=officer.phone,
        acknowledged_by=program.ana.id,
    )


def text(client: FlaskClient, app: Flask, sender: str, body: str) -> str:
    """Text the hotline from `sender` and return its reply."""
    phone = SmsEmulator(flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], BASE, HOTLINE)
    result = phone.send(sender, body)
    assert result.status == 200
    return result.replies[-1]


def ring(twilio: VoiceEmulator, placed: CallRequest, script: CallScript) -> CallResult:
    """Play the call Twilio was asked to place, as Twilio would once the coordinator answers."""
    return twilio.call(
        placed.sender,
        placed.to,
        script,
        path=placed.url,
        direction="outbound-api",
        status_callback=placed.status_callback,
    )


def status_before_dial_action(poster: Poster, status_url: str) -> Poster:
    """Deliver the coordinator's final status ahead of the <Dial> action, as Twilio may."""
    delivered: list[str] = []

    def post(url: str, params: dict[str, str], signature: str) -> PostResult:
        if DIAL_ACTION in url:
            status = {name: value for name, value in params.items() if not name.startswith("Dial")}
            status["CallStatus"] = "completed"
            assert poster(status_url, status, sign(TOKEN, status_url, status)).status == 204
            delivered.append(status_url)
        elif url == status_url and delivered:
            return PostResult(204, "", "")  # already delivered, ahead of the <Dial> action
        return poster(url, params, signature)

    return post


def database_down(app_config: dict[str, Any]) -> Poster:
    """Return a poster to the same app whose database cannot be reached."""
    down = create_app(
        {**app_config, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/gone"}
    )
    return flask_poster(down.test_client())


def audited(app: Flask) -> list[str]:
    """Return the outcomes of the call back audit rows, oldest first."""
    with session_scope(app) as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "callback").order_by(AuditEvent.id)
        )
        return [str((row.after or {})["outcome"]) for row in rows]


def not_placed_notice(app: Flask, program: Program) -> str:
    """Return the one text telling Ana her call back could not be placed."""
    told = ("could not be placed", "no se pudo hacer")
    [notice] = [body for body in texts_to(app, program.ana.phone) if any(t in body for t in told)]
    return notice


def callback_of(app: Flask, referral: int) -> Callback:
    with session_scope(app) as session:
        callback = session.scalars(select(Callback).where(Callback.referral_id == referral)).one()
        session.expunge(callback)
        return callback


def events(app: Flask, referral: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    with session_scope(app) as session:
        rows = session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral, ReferralEvent.kind.like("callback%"))
            .order_by(ReferralEvent.id)
        )
        return [(row.kind, row.channel, row.detail) for row in rows]


def ask_and_place(client: FlaskClient, app: Flask, program: Program, referral: int) -> str:
    """Text CALL n as Ana and run the job that places it; return the reply."""
    reply = text(client, app, program.ana.phone, f"CALL {referral}")
    run(app, "dispatch-outbox", datetime.now(UTC))
    return reply


class TestCallByText:
    """CALL n rings the coordinator from the hotline; 1 dials the referral's officer."""

    def test_the_coordinator_is_called_from_the_hotline_then_put_through(
        self,
        app: Flask,
        client: FlaskClient,
        twilio: VoiceEmulator,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        reply = ask_and_place(client, app, program, referral)
        assert f"calling you now about #{referral}: press 1" in reply
        assert "Officer Smith" in reply and "hotline's number, not yours" in reply
        [placed] = fake_twilio.calls
        assert (placed.to, placed.sender, placed.method) == (program.ana.phone, HOTLINE, "POST")
        assert placed.url.startswith(f"{BASE}/voice/callback?callback=")
        assert placed.status_callback is not None
        assert placed.status_callback.endswith("#rc=5&rp=5xx,ct,rt")  # Twilio retries a 503
        assert placed.status_callback_events == ("completed",)

        result = ring(twilio, placed, CallScript(gathers=["1"], legs_in_order=[Leg("accept")]))

        assert any(
            f"your call back to Officer Smith about referral {referral}" in words
            for words in result.heard
        )
        assert result.dialled == [[program.officer.phone]]
        assert result.answered_by == program.officer.phone
        callback = callback_of(app, referral)
        assert (callback.state, callback.outcome) == ("ended", "connected")
        assert callback.call_sid == placed.sid
        assert [(kind, channel) for kind, channel, _ in events(app, referral)] == [
            ("callback_requested", "sms"),
            ("callback_ended", "voice"),
        ]
        assert events(app, referral)[-1][2] == {
            "callback": callback.id,
            "outcome": "connected",
            "seconds": 60,
        }

    def test_the_officer_sees_the_hotline_number(
        self, app: Flask, client: FlaskClient, program: Program, referral: int
    ) -> None:
        ask_and_place(client, app, program, referral)
        callback = callback_of(app, referral)
        url = f"{BASE}/voice/callback/connect?callback={callback.id}"
        params = {
            "CallSid": "CA" + "2" * 32,
            "From": HOTLINE,
            "To": program.ana.phone,
            "Digits": "1",
        }
        response = client.post(
            url, data=params, headers={"X-Twilio-Signature": sign(TOKEN, url, params)}
        )
        assert response.status_code == 200 and response.mimetype == "text/xml"
        dial = ElementTree.fromstring(response.data).find("Dial")
        assert dial is not None and dial.get("callerId") == HOTLINE
        assert [number.text for number in dial] == [program.officer.phone]

    @pytest.mark.parametrize(
        ("leg", "heard", "outcome"),
        [
            ("no-answer", "The officer did not answer. Goodbye.", "officer_no_answer"),
            # Not "did not answer": the timeline says the phone could not be reached.
            ("failed", "The officer's phone could not be reached. Goodbye.", "officer_failed"),
        ],
    )
    def test_what_became_of_the_officers_phone_is_told_to_the_coordinator(
        self,
        app: Flask,
        client: FlaskClient,
        twilio: VoiceEmulator,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
        leg: str,
        heard: str,
        outcome: str,
    ) -> None:
        ask_and_place(client, app, program, referral)
        result = ring(
            twilio, fake_twilio.calls[0], CallScript(gathers=["1"], legs_in_order=[Leg(leg)])
        )
        assert result.heard[-1] == heard
        assert callback_of(app, referral).outcome == outcome

    def test_an_officers_phone_that_stopped_ringing_unanswered_is_not_called_unreachable(
        self, app: Flask, client: FlaskClient, program: Program, referral: int
    ) -> None:
        ask_and_place(client, app, program, referral)
        callback = callback_of(app, referral)
        call = {"CallSid": "CA" + "3" * 32, "From": HOTLINE, "To": program.ana.phone}
        connect = f"/voice/callback/connect?callback={callback.id}&lang=en"
        dial = ElementTree.fromstring(post(client, connect, {**call, "Digits": "1"}).data)
        assert [number.text for number in dial.iter("Number")] == [program.officer.phone]
        # The officer's phone rang and was stopped before anyone answered it (Twilio's
        # `canceled`): it was reached, nobody picked up.
        done = f"/voice/callback/done?callback={callback.id}&lang=en"
        answer = post(client, done, {**call, "DialCallStatus": "canceled"})
        said = [say.text for say in ElementTree.fromstring(answer.data).iter("Say")]
        assert said == ["The officer did not answer. Goodbye."]
        assert callback_of(app, referral).outcome == "officer_no_answer"
        ended = [detail for kind, _, detail in events(app, referral) if kind == "callback_ended"]
        assert [detail["outcome"] for detail in ended if detail] == ["officer_no_answer"]

    def test_a_coordinator_voicemail_never_rings_the_officer(
        self,
        app: Flask,
        client: FlaskClient,
        twilio: VoiceEmulator,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        ask_and_place(client, app, program, referral)
        result = ring(twilio, fake_twilio.calls[0], CallScript(gathers=[None]))
        assert result.dialled == []
        assert callback_of(app, referral).outcome == "coordinator_declined"

    def test_a_coordinator_who_does_not_pick_up_is_recorded_once(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        ask_and_place(client, app, program, referral)
        placed = fake_twilio.calls[0]
        assert placed.status_callback is not None
        url = placed.status_callback
        params = {"CallSid": placed.sid or "", "CallStatus": "no-answer", "From": HOTLINE}
        for _ in range(2):  # Twilio may send a status twice
            response = client.post(
                url.split("#")[0],
                data=params,
                headers={"X-Twilio-Signature": sign(TOKEN, url, params)},
            )
            assert response.status_code == 204
        assert callback_of(app, referral).outcome == "coordinator_no_answer"
        assert [kind for kind, _, _ in events(app, referral)].count("callback_ended") == 1

    def test_asking_twice_rings_once(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        text(client, app, program.ana.phone, f"CALL {referral}")
        again = text(client, app, program.ana.phone, f"call #{referral}")
        assert "already on its way" in again
        run(app, "dispatch-outbox", datetime.now(UTC))
        run(app, "dispatch-outbox", datetime.now(UTC))
        assert len(fake_twilio.calls) == 1

    def test_asking_again_while_the_phone_rings_rings_once(
        self,
        app: Flask,
        client: FlaskClient,
        twilio: VoiceEmulator,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        ask_and_place(client, app, program, referral)  # placed: Ana's phone is ringing
        again = ask_and_place(client, app, program, referral)
        assert "already on its way" in again
        assert len(fake_twilio.calls) == 1
        # Once that call is over, she may ask again.
        ring(twilio, fake_twilio.calls[0], CallScript(gathers=[None]))
        assert "calling you now" in ask_and_place(client, app, program, referral)
        assert len(fake_twilio.calls) == 2

    def test_a_call_twilio_refuses_is_reported_and_not_retried(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        fake_twilio.fail_next("500")
        ask_and_place(client, app, program, referral)
        run(app, "dispatch-outbox", datetime.now(UTC) + timedelta(seconds=10))
        assert [call.answered for call in fake_twilio.calls] == [500]
        assert callback_of(app, referral).outcome == "not_placed"
        assert f"Reply CALL {referral} to try again" in not_placed_notice(app, program)

    @pytest.mark.parametrize(
        ("failure", "later", "why"),
        [
            ("21211", timedelta(0), "error 21211"),
            ("hang", timedelta(0), "Twilio no contesto a tiempo"),
            (None, timedelta(minutes=3), "no se hizo en 2 minutos"),
        ],
    )
    def test_a_spanish_coordinator_reads_why_in_spanish(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
        failure: Failure | None,
        later: timedelta,
        why: str,
    ) -> None:
        with session_scope(app) as session:
            session.get_one(User, program.ana.id).language = "es"
        if failure is not None:
            fake_twilio.fail_next(failure)
        text(client, app, program.ana.phone, f"CALL {referral}")
        run(app, "dispatch-outbox", datetime.now(UTC) + later)
        assert not_placed_notice(app, program) == (
            f"LEAD #{referral}: no se pudo hacer la llamada de vuelta ({why}). "
            f"Responda CALL {referral} para intentarlo de nuevo."
        )

    def test_a_spanish_coordinator_reads_an_unexpected_failure_in_spanish(
        self,
        app: Flask,
        client: FlaskClient,
        program: Program,
        referral: int,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # An answer the Twilio client could not read: the log keeps "unexpected ValueError",
        # which Ana used to read inside her Spanish text.
        def garbled(*_: object, **__: object) -> None:
            raise ValueError("an answer the client could not read")

        monkeypatch.setattr(CallList, "create", garbled)
        with session_scope(app) as session:
            session.get_one(User, program.ana.id).language = "es"
        text(client, app, program.ana.phone, f"CALL {referral}")
        run(app, "dispatch-outbox", datetime.now(UTC))
        assert callback_of(app, referral).error == "unexpected ValueError"
        assert not_placed_notice(app, program) == (
            f"LEAD #{referral}: no se pudo hacer la llamada de vuelta (error inesperado). "
            f"Responda CALL {referral} para intentarlo de nuevo."
        )

    def test_a_callback_not_placed_within_two_minutes_is_dropped(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        text(client, app, program.ana.phone, f"CALL {referral}")
        run(app, "dispatch-outbox", datetime.now(UTC) + timedelta(minutes=3))
        assert fake_twilio.calls == []
        assert callback_of(app, referral).outcome == "not_placed"

    def test_a_callback_whose_placing_run_died_is_reported_not_left_hanging(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        text(client, app, program.ana.phone, f"CALL {referral}")

        def killed(*args: object, **kwargs: object) -> None:
            raise SystemExit("the clock process was killed while placing the call")

        monkeypatch.setattr(TwilioTransport, "place_call", killed)
        start = datetime.now(UTC)
        with pytest.raises(SystemExit):
            run(app, "dispatch-outbox", start)
        monkeypatch.undo()  # the clock is back
        run(app, "dispatch-outbox", start + timedelta(minutes=3))
        assert callback_of(app, referral).state == "placing"  # its run may still be placing it
        run(app, "dispatch-outbox", start + timedelta(minutes=13))
        assert fake_twilio.calls == []  # never placed twice
        assert callback_of(app, referral).outcome == "not_placed"
        assert f"Reply CALL {referral} to try again" in not_placed_notice(app, program)

    def test_a_callback_claimed_late_in_a_long_run_is_not_given_up_by_the_other_clock(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        text(client, app, program.ana.phone, f"CALL {referral}")
        start = datetime.now(UTC)
        place_call = TwilioTransport.place_call

        def other_clock_meanwhile(self: TwilioTransport, **kwargs: Any) -> Any:
            # Clock A's run began at `start` and sent texts for 2 minutes before it claimed
            # this call back; as it hands the call to Twilio, clock B's run comes.
            run(app, "dispatch-outbox", start + timedelta(minutes=2, seconds=10))
            return place_call(self, **kwargs)

        monkeypatch.setattr(TwilioTransport, "place_call", other_clock_meanwhile)
        run(app, "dispatch-outbox", start)  # clock A
        assert len(fake_twilio.calls) == 1  # Ana's phone rings
        told = [body for body in texts_to(app, program.ana.phone) if "could not be placed" in body]
        assert told == []
        assert callback_of(app, referral).state == "placed"


def answered_in_spanish(
    app: Flask,
    client: FlaskClient,
    fake_twilio: FakeTwilio,
    program: Program,
    referral: int,
    poster: Callable[[str, dict[str, str], str], PostResult] | None = None,
) -> PostResult:
    """Make Ana read Spanish, ask her call back, and answer the call placed to her."""
    with session_scope(app) as session:
        session.get_one(User, program.ana.id).language = "es"
    ask_and_place(client, app, program, referral)
    [placed] = fake_twilio.calls
    params = {"CallSid": placed.sid or "", "From": HOTLINE, "To": program.ana.phone}
    post = poster or flask_poster(client)
    return post(placed.url, params, sign(TOKEN, placed.url, params))


class TestWhateverOrderTwilioSends:
    """The coordinator's final status and the <Dial> action may come in either order."""

    @pytest.mark.parametrize("leg", ["accept", "no-answer"])
    @pytest.mark.parametrize("order", ["dial_action_first", "status_first"])
    def test_a_coordinator_who_pressed_1_is_recorded_with_the_officers_answer(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
        order: str,
        leg: Any,
    ) -> None:
        ask_and_place(client, app, program, referral)
        placed = fake_twilio.calls[0]
        assert placed.status_callback is not None
        poster = flask_poster(client)
        if order == "status_first":
            poster = status_before_dial_action(poster, placed.status_callback)
        twilio = VoiceEmulator(poster, TOKEN, BASE)
        result = ring(twilio, placed, CallScript(gathers=["1"], legs_in_order=[Leg(leg)]))
        assert result.dialled == [[program.officer.phone]]
        outcome = {"accept": "connected", "no-answer": "officer_no_answer"}[leg]
        assert callback_of(app, referral).outcome == outcome
        ended = [detail for kind, _, detail in events(app, referral) if kind == "callback_ended"]
        assert [detail["outcome"] for detail in ended if detail] == [outcome]
        assert audited(app) == ["requested", outcome]

    @pytest.mark.parametrize("final_status", ["heard", "lost"])
    def test_a_callback_whose_dial_action_was_lost_is_closed_once_its_call_is_over(
        self,
        app: Flask,
        app_config: dict[str, Any],
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
        final_status: str,
    ) -> None:
        ask_and_place(client, app, program, referral)
        placed = fake_twilio.calls[0]
        # The database is down as Ana and Officer Smith hang up: the <Dial> action is
        # answered without it and lost. Twilio's retries of the final status get through,
        # or, when the database stays down through them, are lost too.
        through, lost = flask_poster(client), database_down(app_config)
        lost_routes = [DIAL_ACTION] if final_status == "heard" else [DIAL_ACTION, "/status"]

        def post(url: str, params: dict[str, str], signature: str) -> PostResult:
            missed = any(route in url for route in lost_routes)
            return (lost if missed else through)(url, params, signature)

        dialled_at = datetime.now(UTC)
        twilio = VoiceEmulator(post, TOKEN, BASE)
        result = ring(twilio, placed, CallScript(gathers=["1"], legs_in_order=[Leg("accept")]))
        assert result.answered_by == program.officer.phone
        # Not "did not press 1": how the officer's call ended is not known yet.
        assert callback_of(app, referral).outcome is None
        # The <Dial> action follows the final status within seconds; without that status,
        # the call may still be going on until Twilio's longest call is over.
        still_open, closed = {
            "heard": (timedelta(minutes=1), timedelta(minutes=3)),
            "lost": (timedelta(hours=3, minutes=59), timedelta(hours=4, minutes=1)),
        }[final_status]
        run(app, "dispatch-outbox", dialled_at + still_open)
        assert callback_of(app, referral).outcome is None
        run(app, "dispatch-outbox", dialled_at + closed)
        run(app, "dispatch-outbox", dialled_at + closed + timedelta(minutes=1))
        callback = callback_of(app, referral)
        assert (callback.state, callback.outcome) == ("ended", "officer_unknown")
        ended = [detail for kind, _, detail in events(app, referral) if kind == "callback_ended"]
        assert [detail["outcome"] for detail in ended if detail] == ["officer_unknown"]
        assert audited(app) == ["requested", "officer_unknown"]

    def test_a_spanish_coordinator_answering_while_the_database_is_down_hears_spanish(
        self,
        app: Flask,
        app_config: dict[str, Any],
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        answer = answered_in_spanish(
            app, client, fake_twilio, program, referral, database_down(app_config)
        )
        assert answer.status == 200
        spoken = [
            (say.text or "", say.get("language"))
            for say in ElementTree.fromstring(answer.body).iter("Say")
        ]
        assert spoken == [
            (
                "La línea no puede conectar su llamada de vuelta en este momento. Llame al agente "
                "desde la página de la remisión. Adiós.",
                "es-US",
            )
        ]

    def test_a_spanish_coordinator_hears_the_offer_in_grammatical_spanish(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        answer = answered_in_spanish(app, client, fake_twilio, program, referral)
        offer = ElementTree.fromstring(answer.body).find("Gather/Say")
        assert offer is not None
        # Not "su llamada de vuelta a agente Smith": "a" + a title wants "al" (and "a el
        # agente que llamó" likewise), so the officer is named after the referral.
        assert offer.text == (
            f"Línea LEAD, su llamada de vuelta sobre la remisión {referral}: agente Smith. "
            "Marque 1 para conectar."
        )

    @pytest.mark.parametrize("order", ["dial_action_first", "status_first"])
    def test_a_1_pressed_while_the_database_is_down_still_puts_the_coordinator_through(
        self,
        app: Flask,
        app_config: dict[str, Any],
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
        order: str,
    ) -> None:
        ask_and_place(client, app, program, referral)
        placed = fake_twilio.calls[0]
        assert placed.status_callback is not None
        # The database is down for the one step that hears Ana's 1 (SPEC §4.7: calls fail
        # open); it is back for the officer's answer and the call's end.
        through, lost = flask_poster(client), database_down(app_config)

        def post(url: str, params: dict[str, str], signature: str) -> PostResult:
            return (lost if "/voice/callback/connect" in url else through)(url, params, signature)

        poster: Poster = post
        if order == "status_first":
            poster = status_before_dial_action(poster, placed.status_callback)
        twilio = VoiceEmulator(poster, TOKEN, BASE)
        result = ring(twilio, placed, CallScript(gathers=["1"], legs_in_order=[Leg("accept")]))
        assert result.dialled == [[program.officer.phone]]
        assert result.answered_by == program.officer.phone
        # Recorded as the talk it was, not as "the coordinator did not press 1".
        assert callback_of(app, referral).outcome == "connected"
        assert audited(app)[-1] == "connected"

    def test_the_dial_action_and_the_final_status_at_once_record_the_officers_answer(
        self,
        app: Flask,
        app_config: dict[str, Any],
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
    ) -> None:
        race_needs_postgresql(app_config, "both webhooks")
        for round_ in range(6):
            referral = add_referral(
                app,
                "acknowledged",
                officer_phone=program.officer.phone,
                acknowledged_by=program.ana.id,
            )
            ask_and_place(client, app, program, referral)
            placed = fake_twilio.calls[round_]
            assert placed.status_callback is not None
            call = {"CallSid": f"CA-back-{round_}", "From": placed.sender, "To": placed.to}
            offer = post(client, local(placed.url), {**call, "CallStatus": "in-progress"})
            assert ElementTree.fromstring(offer.data).find("Gather") is not None
            # Ana pressed 1 while the database was down: her step put her through unrecorded.
            # The call's final status and the <Dial> action then land in two workers at once.
            callback_id = callback_of(app, referral).id
            done = f"/voice/callback/done?callback={callback_id}&lang=en"
            dialled = {**call, "DialCallStatus": "completed", "DialCallDuration": "60"}
            ended = {**call, "CallStatus": "completed", "CallDuration": "75"}
            dial_action, final_status = at_once(
                functools.partial(post, app.test_client(), done, dialled),
                functools.partial(post, app.test_client(), local(placed.status_callback), ended),
            )
            assert (dial_action.status_code, final_status.status_code) == (200, 204), round_
            callback = callback_of(app, referral)
            assert (callback.state, callback.outcome) == ("ended", "connected"), round_
            timeline = events(app, referral)
            outcomes = [
                detail["outcome"]
                for kind, _, detail in timeline
                if detail and kind == "callback_ended"
            ]
            assert outcomes[-1] == "connected" and outcomes.count("connected") == 1, outcomes

    def test_a_callback_no_webhook_of_which_came_is_closed_once_its_call_must_be_over(
        self, app: Flask, client: FlaskClient, program: Program, referral: int
    ) -> None:
        asked_at = datetime.now(UTC)
        ask_and_place(client, app, program, referral)
        # Ana's phone rang; every webhook of that call came while the database was down.
        assert callback_of(app, referral).state == "placed"
        run(app, "dispatch-outbox", asked_at + timedelta(minutes=14))
        assert callback_of(app, referral).outcome is None  # her phone may still be ringing
        run(app, "dispatch-outbox", asked_at + timedelta(minutes=16))
        run(app, "dispatch-outbox", asked_at + timedelta(minutes=17))
        callback = callback_of(app, referral)
        assert (callback.state, callback.outcome) == ("ended", "coordinator_unknown")
        ended = [detail for kind, _, detail in events(app, referral) if kind == "callback_ended"]
        assert [detail["outcome"] for detail in ended if detail] == ["coordinator_unknown"]
        assert audited(app) == ["requested", "coordinator_unknown"]


class TestOnlyStaffOnlyTheOfficer:
    """Only active staff may call back, and only to a referral's officer phone."""

    def test_an_officer_cannot_use_call(
        self,
        app: Flask,
        client: FlaskClient,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        reply = text(client, app, program.officer.phone, f"CALL {referral}")
        assert reply.startswith("Sorry, CALL is for LEAD coordinators.")
        run(app, "dispatch-outbox", datetime.now(UTC))
        assert fake_twilio.calls == []

    def test_a_referral_without_an_officer_phone_cannot_be_called_back(
        self, app: Flask, client: FlaskClient, program: Program
    ) -> None:
        number = add_referral(app, "notified", officer_phone=None)
        reply = text(client, app, program.ana.phone, f"CALL {number}")
        assert reply == f"#{number} has no officer phone to call back."
        assert text(client, app, program.ana.phone, "CALL 999") == "No referral #999."

    @pytest.mark.parametrize(
        "change",
        [{"active": False}, {"role": "prosecutor"}],  # deactivated; active, but no longer staff
        ids=["deactivated", "made_a_prosecutor"],
    )
    def test_a_coordinator_no_longer_staff_before_pressing_1_is_not_put_through(
        self,
        app: Flask,
        client: FlaskClient,
        twilio: VoiceEmulator,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
        change: dict[str, object],
    ) -> None:
        ask_and_place(client, app, program, referral)
        with session_scope(app) as session:
            ana = session.get_one(User, program.ana.id)
            for name, value in change.items():
                setattr(ana, name, value)
        result = ring(
            twilio, fake_twilio.calls[0], CallScript(gathers=["1"], legs_in_order=[Leg("accept")])
        )
        assert result.dialled == []
        assert "This call back is no longer allowed. Goodbye." in result.heard
        ended = [detail for kind, _, detail in events(app, referral) if kind == "callback_ended"]
        # She pressed 1: never recorded as a coordinator who did not.
        assert [detail["outcome"] for detail in ended if detail] == ["not_allowed"]

    def test_unsigned_callback_webhooks_are_refused(
        self, client: FlaskClient, program: Program, referral: int
    ) -> None:
        for path in ("callback", "callback/connect", "callback/done", "callback/status"):
            response = client.post(f"/voice/{path}?callback=1", data={"Digits": "1"})
            assert response.status_code == 403


class TestAudit:
    """A callback's request and outcome are in the audit log, with who asked."""

    def test_request_and_outcome_are_audited(
        self,
        app: Flask,
        client: FlaskClient,
        twilio: VoiceEmulator,
        fake_twilio: FakeTwilio,
        program: Program,
        referral: int,
    ) -> None:
        ask_and_place(client, app, program, referral)
        ring(twilio, fake_twilio.calls[0], CallScript(gathers=["1"], legs_in_order=[Leg("busy")]))
        with session_scope(app) as session:
            rows = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "callback").order_by(AuditEvent.id)
            ).all()
            seen = [(row.actor_id, row.channel, (row.after or {})["outcome"]) for row in rows]
        assert seen == [
            (program.ana.id, "sms", "requested"),
            (program.ana.id, "voice", "officer_busy"),
        ]
