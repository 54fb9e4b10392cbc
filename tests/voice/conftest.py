"""A Twilio emulator driving the app's voice webhooks, and a small program on call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.simulator import VoiceEmulator, flask_poster
from tests.factories import Program, add_program
from tests.messaging.fake_twilio import FakeTwilio

HOTLINE = "+12065550100"
FALLBACK = "+12065550199"
STRANGER = "+12065550666"
APP_TOKEN = "test-token"  # the tests' TWILIO_AUTH_TOKEN: webhooks are signed with it


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Give the app a fallback number."""
    return {**app_config, "HOTLINE_FALLBACK_NUMBERS": FALLBACK}


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """Serve a fake Twilio REST API that accepts the app's own credentials (calls back, asks)."""
    fake = FakeTwilio(auth_token=APP_TOKEN)
    with fake.serve():
        yield fake


@pytest.fixture
def twilio(client: FlaskClient, app: Flask) -> VoiceEmulator:
    """Return an emulator of Twilio Voice posting signed webhooks to the app."""
    return VoiceEmulator(flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost")


@pytest.fixture
def program(app: Flask) -> Program:
    """Put Ana on tier 1, Ben on tier 2; Sue supervises; Officer Smith is on the roster."""
    return add_program(app)
