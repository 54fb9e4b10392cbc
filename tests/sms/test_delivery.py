"""From a text to a coordinator's phone: the outbox sends through Twilio, delivery comes back."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Message
from hotline.simulator import SmsEmulator
from tests.messaging.fake_twilio import FakeTwilio
from tests.sms.conftest import Program
from tests.sms.test_commands import refer


@pytest.fixture
def app_config(app_config: dict[str, Any], fake_twilio: FakeTwilio) -> dict[str, Any]:
    """Send through the Twilio transport, pointed at the fake, with webhooks signed by its token."""
    return {
        **app_config,
        **fake_twilio.settings(),
    }


def test_alert_is_sent_once_and_its_delivery_recorded(
    app: Flask,
    runner: FlaskCliRunner,
    phone: SmsEmulator,
    program: Program,
    fake_twilio: FakeTwilio,
) -> None:
    number = refer(phone, program)
    first = runner.invoke(args=["jobs", "run", "dispatch-outbox"])
    assert "1 sent" in first.output, first.output
    again = runner.invoke(args=["jobs", "run", "dispatch-outbox"])
    assert "0 sent" in again.output
    (request,) = fake_twilio.accepted
    assert request.to == program.ana.phone and request.body.startswith(f"LEAD #{number}: Reply ACK")
    with session_scope(app) as session:
        sid = session.scalars(
            select(Message.message_sid).where(Message.to_number == program.ana.phone)
        ).one()
    assert sid is not None and sid.startswith("SM")
    assert phone.delivery_status(sid, "delivered") == 204
    assert phone.delivery_status(sid, "sent") == 204  # late and out of order: ignored
    with session_scope(app) as session:
        message = session.scalars(select(Message).where(Message.message_sid == sid)).one()
        assert message.status == "delivered"


def test_unsigned_status_callback_is_refused(client, program: Program) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.post(
            "/sms/status", data={"MessageSid": "SM1", "MessageStatus": "failed"}
        ).status_code
        == 403
    )
