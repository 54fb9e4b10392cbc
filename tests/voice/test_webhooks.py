"""Signatures, retries, out-of-order callbacks and a dead database: never a 500, never silence."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from hotline import create_app
from hotline.db import database, session_scope
from hotline.models import Base, Call, CallLeg, Referral
from hotline.simulator import CallScript, Leg, VoiceEmulator, sign
from tests.voice.conftest import FALLBACK, HOTLINE, Program

ROUTES = [
    "/voice/incoming",
    "/voice/fallback",
    "/voice/status",
    "/voice/badge?call=1",
    "/voice/whisper?call=1&step=0",
    "/voice/accept?call=1&step=0",
    "/voice/dial-result?call=1&step=0",
    "/voice/recorded?call=1",
    "/voice/voicemail-done?call=1",
]
# A callback's call (SPEC §4.10): placed by the app, so it fails with words, not the fallback.
CALLBACK_ROUTES = [
    "/voice/callback?callback=1",
    "/voice/callback/connect?callback=1",
    "/voice/callback/done?callback=1",
    "/voice/callback/status?callback=1",
]


def post(client: FlaskClient, path: str, params: dict[str, str], token: str = "test-token") -> Any:
    """Post a webhook signed with `token`, as Twilio would."""
    signature = sign(token, "http://localhost" + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def counts(app: Flask) -> tuple[int, int, int]:
    with session_scope(app) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Call, CallLeg, Referral)
        )


class TestSignatures:
    """Every voice route refuses an unsigned or wrongly signed request, changing nothing."""

    def test_every_voice_route_is_checked_here(self, app: Flask) -> None:
        registered = {
            rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/voice")
        }
        assert registered == {path.split("?")[0] for path in ROUTES + CALLBACK_ROUTES}

    @pytest.mark.parametrize("path", ROUTES + CALLBACK_ROUTES)
    def test_missing_or_wrong_signature_is_403(
        self, app: Flask, client: FlaskClient, program: Program, path: str
    ) -> None:
        params = {"CallSid": "CA1", "From": program.officer.phone, "To": HOTLINE, "Digits": "1"}
        assert client.post(path, data=params).status_code == 403
        assert post(client, path, params, token="not-the-token").status_code == 403
        tampered = {**params, "From": "+12065550000"}
        signature = sign("test-token", "http://localhost" + path, params)
        assert (
            client.post(path, data=tampered, headers={"X-Twilio-Signature": signature}).status_code
            == 403
        )
        assert counts(app) == (0, 0, 0)

    @pytest.mark.parametrize("path", ["/voice/status", "/sms/status"])
    def test_a_status_signed_with_its_retry_override_is_accepted(
        self, client: FlaskClient, path: str
    ) -> None:
        params = {"CallSid": "CA1", "MessageSid": "SM1", "CallStatus": "completed"}
        with_retries = sign("test-token", f"http://localhost{path}#rc=5&rp=5xx,ct,rt", params)
        answer = client.post(path, data=params, headers={"X-Twilio-Signature": with_retries})
        assert answer.status_code == 204
        other = sign("test-token", f"http://localhost{path}#rc=1", params)
        assert (
            client.post(path, data=params, headers={"X-Twilio-Signature": other}).status_code == 403
        )

    @pytest.mark.parametrize("path", ["/voice/incoming", "/sms/incoming"])
    def test_a_request_twilio_signed_with_a_repeated_parameter_is_answered(
        self, app: Flask, client: FlaskClient, program: Program, path: str
    ) -> None:
        # Twilio signs every value of a repeated parameter (its validator reads them all);
        # checked against the first value alone, such a request was refused, and a call's
        # step refused is a call dropped.
        params = MultiDict(
            [
                ("CallSid", "CA1"),
                ("MessageSid", "SM1"),
                ("From", program.officer.phone),
                ("To", HOTLINE),
                ("Body", "HELP"),
                ("AddOns", "a"),
                ("AddOns", "b"),
            ]
        )
        signature = RequestValidator("test-token").compute_signature(
            "http://localhost" + path, params
        )
        answer = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200
        assert ET.fromstring(answer.get_data(as_text=True)).tag == "Response"

    def test_signature_is_checked_against_the_public_url_behind_a_proxy(
        self, app: Flask, client: FlaskClient
    ) -> None:
        app.config["HOTLINE_PUBLIC_URL"] = "https://hotline.example.org"
        params = {"CallSid": "CA1", "From": "+12065550177", "To": HOTLINE}
        signature = sign("test-token", "https://hotline.example.org/voice/incoming", params)
        answer = client.post(
            "/voice/incoming", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert answer.status_code == 200
        assert (
            post(client, "/voice/incoming", params).status_code == 403
        )  # signed for http://localhost


class TestRetries:
    """A repeated webhook gives the same TwiML and records nothing twice."""

    def test_repeated_incoming_and_steps_change_nothing(
        self, app: Flask, client: FlaskClient, program: Program
    ) -> None:
        params = {
            "CallSid": "CA42",
            "From": program.officer.phone,
            "To": HOTLINE,
            "CallStatus": "ringing",
        }
        first, again = (
            post(client, "/voice/incoming", params),
            post(client, "/voice/incoming", params),
        )
        assert first.data == again.data and first.mimetype == "text/xml"
        result = {**params, "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
        one = post(client, "/voice/dial-result?call=1&step=0", result)
        two = post(client, "/voice/dial-result?call=1&step=0", result)
        assert one.data == two.data
        assert counts(app) == (1, 2, 1)

    def test_out_of_order_and_repeated_status_callbacks(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        result = twilio.call(
            program.officer.phone, HOTLINE, CallScript(legs={program.ana.phone: [Leg("accept")]})
        )
        twilio.status_callback(result.call_sid, "in-progress")
        twilio.status_callback(result.call_sid, "ringing")
        twilio.status_callback(result.call_sid, "completed", CallDuration="500")
        with session_scope(app) as session:
            call = session.scalars(select(Call)).one()
            assert call.status == "completed" and call.call_outcome == "answered"
            assert call.duration == result.duration  # the first final callback wins

    def test_status_before_anything_else_records_the_call(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        # The call went to /voice/fallback (database down); its status arrives once it is back.
        twilio.status_callback(
            "CA77", "completed", From=program.officer.phone, To=HOTLINE, CallDuration="30"
        )
        with session_scope(app) as session:
            call = session.scalars(select(Call)).one()
            referral = session.get_one(Referral, call.referral_id)
            assert (call.call_sid, call.officer_id, call.duration) == (
                "CA77",
                program.officer.id,
                30,
            )
            assert referral.channel == "voice"
            assert session.scalars(select(CallLeg)).all() == []  # nobody of the chain was dialled


def dialled(body: bytes) -> list[str]:
    """Return the numbers of every <Dial> in a TwiML answer."""
    root = ET.fromstring(body)
    assert root.tag == "Response"
    return [(n.text or "").strip() for n in root.iter("Number")]


class TestFailOpen:
    """With the database gone, calls still reach a person."""

    def test_fallback_route_dials_every_fallback_number_at_once(
        self, client: FlaskClient, app: Flask
    ) -> None:
        app.config["HOTLINE_FALLBACK_NUMBERS"] = [FALLBACK, "+12065550198"]
        answer = post(client, "/voice/fallback", {"CallSid": "CA1"})
        root = ET.fromstring(answer.data)
        (dial,) = root.iter("Dial")
        assert dial.get("action") is None
        assert dialled(answer.data) == [FALLBACK, "+12065550198"]

    def test_without_fallback_numbers_the_caller_is_told_to_call_911(
        self, client: FlaskClient, app: Flask
    ) -> None:
        app.config["HOTLINE_FALLBACK_NUMBERS"] = []
        root = ET.fromstring(post(client, "/voice/fallback", {"CallSid": "CA1"}).data)
        said = " ".join(s.text or "" for s in root.iter("Say"))
        assert "9 1 1" in said and list(root.iter("Dial")) == []

    @pytest.mark.parametrize("program_kept", [False, True], ids=["first call", "program kept"])
    def test_a_call_whose_records_cannot_all_be_written_keeps_none_and_falls_open(
        self,
        app: Flask,
        client: FlaskClient,
        program: Program,
        monkeypatch: pytest.MonkeyPatch,
        program_kept: bool,
    ) -> None:
        import hotline.services.call_arrival as arrival

        app.config["HOTLINE_FALLBACK_NUMBERS"] = [FALLBACK]
        before = (0, 0, 0)
        if program_kept:  # the records then go straight to the driver
            first = {"CallSid": "CA8", "From": program.officer.phone, "To": HOTLINE}
            post(client, "/voice/incoming", first)
            before = counts(app)
            assert before == (1, 1, 1)
        on_the_driver: list[bool] = []
        as_kept = arrival._start_as_kept

        def watched(*args: Any) -> arrival.Arrival:
            on_the_driver.append(True)
            return as_kept(*args)

        monkeypatch.setattr(arrival, "_start_as_kept", watched)
        # A first step naming nobody on file: its leg breaks a foreign key, the last insert.
        monkeypatch.setattr(
            arrival, "chain_steps", lambda *args: [{"number": program.ana.phone, "user_id": 987654}]
        )
        params = {"CallSid": "CA9", "From": program.officer.phone, "To": HOTLINE}
        answer = post(client, "/voice/incoming", params)
        assert answer.status_code == 200 and dialled(answer.data) == [FALLBACK]
        assert counts(app) == before  # not the call nor its referral without the rest
        assert on_the_driver == ([True] if program_kept else [])

    def test_unreachable_database_answers_incoming_with_the_fallback(
        self, app_config: dict[str, Any]
    ) -> None:
        config = {**app_config, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/gone"}
        app = create_app(config)  # starts although the database cannot be reached
        client = app.test_client()
        params = {"CallSid": "CA1", "From": "+12065550177", "To": HOTLINE}
        for path in ROUTES:
            if path == "/voice/status":
                continue
            answer = post(client, path, params)
            assert answer.status_code == 200, path
            if path in ("/voice/whisper?call=1&step=0", "/voice/accept?call=1&step=0"):
                continue  # the dialled person's side: whisper and bridge without the database
            assert dialled(answer.data) == [FALLBACK], path
        # Not stored: 503 makes Twilio send it again (the status URL's retry override).
        assert (
            post(client, "/voice/status", {**params, "CallStatus": "completed"}).status_code == 503
        )

    def test_database_failing_mid_call_still_dials_the_fallback(
        self, app: Flask, client: FlaskClient, program: Program
    ) -> None:
        params = {"CallSid": "CA9", "From": program.officer.phone, "To": HOTLINE}
        assert dialled(post(client, "/voice/incoming", params).data) == [program.ana.phone]
        engine = database(app).engine
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE call_legs"))
        try:
            answer = post(
                client,
                "/voice/dial-result?call=1&step=0",
                {**params, "DialCallStatus": "no-answer"},
            )
            assert answer.status_code == 200 and dialled(answer.data) == [FALLBACK]
            accept = post(client, "/voice/accept?call=1&step=0", {**params, "Digits": "1"})
            assert list(ET.fromstring(accept.data).iter("Hangup")) == []  # still bridged
        finally:
            Base.metadata.tables["call_legs"].create(engine)  # the next test's schema
