"""Transports are chosen by HOTLINE_TRANSPORT; the log transport sends nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from hotline import create_app
from hotline.messaging.transport import CallUnknown, LogTransport, SendResult, transport_for
from hotline.messaging.twilio_transport import TwilioTransport


class TestSendResult:
    """A result says whether the carrier took the text, and if not whether to retry."""

    def test_ok(self) -> None:
        result = SendResult.ok("SM1")
        assert (result.succeeded, result.sid, result.retryable) == (True, "SM1", False)

    @pytest.mark.parametrize("result", [SendResult.retry("x"), SendResult.reject("x", "21211")])
    def test_failures_did_not_succeed(self, result: SendResult) -> None:
        assert not result.succeeded


class TestLogTransport:
    """In development a text is logged as sent, by masked number, body never shown."""

    def test_returns_a_log_sid_and_logs_no_body(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger="hotline.messaging")
        result = LogTransport().send(
            to="+12065550177", sender="+12065550100", body="Jane Roe at 3rd and Pine"
        )
        assert result.succeeded and result.sid is not None
        assert result.sid.startswith("LOG") and len(result.sid) == 35
        [record] = caplog.records
        assert "+1******0177" in record.getMessage()
        assert "Jane" not in caplog.text and "2065550177" not in caplog.text

    def test_sids_differ(self) -> None:
        first, second = (LogTransport().send(to="+1", sender="", body="") for _ in range(2))
        assert first.sid != second.sid


class TestTransportFor:
    """The app's settings pick and configure the transport."""

    def test_log(self, app: Flask) -> None:
        assert isinstance(transport_for(app.config), LogTransport)

    def test_twilio(self, app_config: dict[str, Any]) -> None:
        config = {
            **app_config,
            "HOTLINE_TRANSPORT": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "HOTLINE_PUBLIC_URL": "https://hotline.example.org/",
        }
        app = create_app(config)
        transport = transport_for(app.config)
        assert isinstance(transport, TwilioTransport)
        transport.close()
        assert transport.default_sender == "+12065550100"
        # Twilio retries a status answered 5xx (the app could not store it): nothing lost.
        assert transport.status_callback == (
            "https://hotline.example.org/sms/status#rc=5&rp=5xx,ct,rt"
        )

    def test_a_recording_is_logged_as_deleted(self, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.INFO, logger="hotline.messaging")
        sid = "RE" + "a" * 32
        assert LogTransport().delete_recording(sid) == SendResult.ok(sid)
        [record] = caplog.records
        assert sid in record.getMessage() and "not deleted" in record.getMessage()

    def test_a_call_is_not_asked_after(self) -> None:
        state = LogTransport().fetch_call("CA" + "a" * 32)
        assert isinstance(state, CallUnknown) and state.unreachable
