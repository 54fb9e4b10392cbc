"""A call's blank referral, completed over the API, lives like a texted one (SPEC §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Call, Referral
from hotline.services.reports import load_report
from hotline.simulator import CallScript, Leg, SmsEmulator, VoiceEmulator, flask_poster
from tests.api.conftest import Api, token_for
from tests.api.test_assessment import ACCEPTED
from tests.jobs.conftest import run, texts_to
from tests.voice.conftest import HOTLINE, Program

COMPLETION = {
    "type": "arrest_diversion",
    "offense": "possession",
    "participant_name": "Jane Doe",
    "location": "3rd & Pine",
    "consent": True,
}


def take_a_call(app: Flask, twilio: VoiceEmulator, program: Program) -> int:
    """Have the officer call and Ana press 1; return the call's referral number."""
    twilio.call(
        program.officer.phone, HOTLINE, CallScript(legs={program.ana.phone: [Leg("accept")]})
    )
    with session_scope(app) as session:
        referral_id = session.scalars(select(Call.referral_id)).one()
        assert referral_id is not None
        referral = session.get_one(Referral, referral_id)
        assert (referral.type, referral.participant_name) == (None, None)
        return referral_id


def test_a_completed_call_referral_misses_its_intake_window_and_the_officer_is_told(
    app: Flask, client: FlaskClient, twilio: VoiceEmulator, program: Program
) -> None:
    number = take_a_call(app, twilio, program)
    ana = Api(client, token_for(app, program.ana.id))
    answer = ana.patch(f"/referrals/{number}", COMPLETION)
    assert answer.status_code == 200 and answer.json["consent_by"] == program.ana.id
    window = timedelta(days=app.config["HOTLINE_INTAKE_DAYS"])
    later = datetime.now(UTC) + window + timedelta(minutes=5)
    assert run(app, "intake-deadlines", later).startswith("1 ")
    assert ana.get(f"/referrals/{number}").json["status"] == "intake_missed"
    assert texts_to(app, program.officer.phone)[-1] == f"LEAD #{number}: intake not completed."
    assert ana.patch(f"/referrals/{number}", {"location": "elsewhere"}).status_code == 409
    with session_scope(app) as session:
        start = later - window - timedelta(days=1)
        report = load_report(session, start, later, ZoneInfo("UTC"), Decimal(0))
    assert (report.intake.referrals, report.intake.completed, report.intake.missed) == (1, 0, 1)


def test_reports_count_a_completed_call_referral_by_type_and_savings(
    app: Flask, client: FlaskClient, twilio: VoiceEmulator, program: Program
) -> None:
    number = take_a_call(app, twilio, program)
    ana = Api(client, token_for(app, program.ana.id))
    assert ana.patch(f"/referrals/{number}", COMPLETION).status_code == 200
    assert ana.post(f"/referrals/{number}/assessment", ACCEPTED).status_code == 201
    now = datetime.now(UTC)
    with session_scope(app) as session:
        report = load_report(
            session, now - timedelta(days=7), now + timedelta(days=1), ZoneInfo("UTC"), Decimal(100)
        )
    assert sum(week.by_type.get("arrest_diversion", 0) for week in report.weeks) == 1
    assert sum(week.by_type.get("not set", 0) for week in report.weeks) == 0
    assert report.bookings_avoided == 1 and report.savings == Decimal(100)


def test_noncomply_by_text_closes_a_completed_call_referral_and_the_officer_can_ask(
    app: Flask, client: FlaskClient, twilio: VoiceEmulator, program: Program
) -> None:
    app.config["HOTLINE_NUMBER"] = HOTLINE
    number = take_a_call(app, twilio, program)
    ana = Api(client, token_for(app, program.ana.id))
    assert ana.patch(f"/referrals/{number}", COMPLETION).status_code == 200
    phone = SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", HOTLINE
    )
    (reply,) = phone.send(program.ana.phone, f"NONCOMPLY {number} no show").replies
    assert reply == f"#{number}: intake not completed; the officer was told."
    assert texts_to(app, program.officer.phone)[-1] == f"LEAD #{number}: intake not completed."
    (status,) = phone.send(program.officer.phone, f"STATUS {number}").replies
    assert status == f"LEAD #{number}: intake not completed."
