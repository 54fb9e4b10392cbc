"""No participant data in the application's logs, through a whole referral (SPEC §10)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import Referral
from hotline.simulator import SmsEmulator
from tests.api.conftest import Api, token_for
from tests.api.test_assessment import ACCEPTED
from tests.sms.conftest import Program, converse

NAME, PLACE = "Zephyrine Quixotic-Lamb", "Under the Yesler Way overpass"
NOTE = "lives with her sister Marguerite"


@pytest.fixture(autouse=True)
def every_log_line(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every logger at DEBUG, SQLAlchemy's and the app's alike."""
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "hotline", "werkzeug", "twilio"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_a_whole_referral_logs_no_participant_data(
    app: Flask,
    client: FlaskClient,
    phone: SmsEmulator,
    program: Program,
    caplog: pytest.LogCaptureFixture,
) -> None:
    officer = program.officer.phone
    converse(phone, officer, "REFER", "1", NAME, "1", PLACE, "Y", "SEND")
    with session_scope(app) as session:
        number = session.scalars(select(Referral.id)).one()
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    (ack,) = converse(phone, program.ana.phone, f"ACK {number}")
    assert ack.startswith(f"You have #{number}")
    converse(phone, program.ana.phone, f"NOTE {number} {NOTE}")
    api = Api(client, token_for(app, program.ana.id))
    assert api.post(f"/referrals/{number}/assessment", ACCEPTED).status_code == 201
    assert api.get(f"/referrals/{number}").json["participant_name"] == NAME
    converse(phone, program.ana.phone, f"INTAKE {number}")
    converse(phone, officer, f"STATUS {number}")
    run_job(app, "dispatch-outbox", datetime.now(UTC))

    logged = caplog.text
    assert "not sent (HOTLINE_TRANSPORT=log)" in logged  # the capture saw the app
    for secret in (NAME, "Zephyrine", PLACE, NOTE, ACCEPTED["notes"], officer):
        assert secret not in logged, f"{secret!r} reached the logs"
