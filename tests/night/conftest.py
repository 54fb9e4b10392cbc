"""One night's program, Twilio (webhooks in, REST out) and the program's clock, moved by hand.

The night is Saturday 31 October 2026 in Los Angeles: clocks fall back at 02:00
PDT to 01:00 PST before the morning hand-off. Webhooks read the instant at the
edge (voice's `now()`, the SMS views' and the dashboard's `datetime.now`);
these fixtures point those readings at `clock.now`, and the jobs are run as of
it, so that every piece sees the same advancing night.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import hotline.sms.views
import hotline.voice.callback
import hotline.voice.views
import hotline.web.pages
from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import Message, Officer, User
from hotline.simulator import SmsEmulator, VoiceEmulator, flask_poster
from tests.factories import add_officer, add_rotation, add_user
from tests.messaging.fake_twilio import FakeTwilio
from tests.web.conftest import PASSWORD

HOTLINE = "+12065550100"
STRANGER = "+12065550666"
APP_TOKEN = "test-token"  # the tests' TWILIO_AUTH_TOKEN: webhooks are signed with it
ZONE = ZoneInfo("America/Los_Angeles")


def local(day: int, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    """Return the instant of a wall-clock reading in Los Angeles that night (fold=1: PST's)."""
    month = 10 if day == 31 else 11
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE, fold=fold).astimezone(UTC)


@dataclass
class Clock:
    """The night's instant, advanced by the scenario alone."""

    now: datetime

    def at(self, instant: datetime) -> datetime:
        assert instant >= self.now, "the night only goes forward"
        self.now = instant
        return instant

    def tick(self, minutes: float = 1) -> datetime:
        return self.at(self.now + timedelta(minutes=minutes))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Return the night's clock, read by the webhooks and the dashboard."""
    night = Clock(local(31, 16))

    class NightTime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> NightTime:
            return night.now.astimezone(tz)  # type: ignore[return-value]

    for module in (hotline.voice.views, hotline.voice.callback):
        monkeypatch.setattr(module, "now", lambda: night.now)
    for module in (hotline.sms.views, hotline.web.pages):
        monkeypatch.setattr(module, "datetime", NightTime)
    return night


@pytest.fixture
def twilio_rest() -> Iterator[FakeTwilio]:
    """Serve a fake Twilio REST API that accepts the app's own credentials."""
    fake = FakeTwilio(auth_token=APP_TOKEN)
    with fake.serve():
        yield fake


@pytest.fixture
def app_config(app_config: dict[str, Any], twilio_rest: FakeTwilio) -> dict[str, Any]:
    """Send texts through the Twilio transport, to the fake."""
    return {**app_config, **twilio_rest.settings(), "HOTLINE_TRANSPORT": "twilio"}


@pytest.fixture
def voice(client: FlaskClient, app: Flask) -> VoiceEmulator:
    return VoiceEmulator(flask_poster(client), APP_TOKEN, "http://localhost")


@pytest.fixture
def phone(client: FlaskClient, app: Flask) -> SmsEmulator:
    return SmsEmulator(flask_poster(client), APP_TOKEN, "http://localhost", HOTLINE)


@dataclass
class Night:
    """Who works the night: Dee has days and Ana nights on tier 1, Ben backs them up."""

    app: Flask
    clock: Clock
    dee: User
    ana: User
    ben: User
    sue: User  # supervisors, on no tier
    tess: User
    smith: Officer  # calls
    jones: Officer  # texts

    def run(self, job: str) -> str:
        return run_job(self.app, job, self.clock.now)

    def texts_to(self, person: User | Officer) -> list[str]:
        """Return every text to a person that went through the outbox, oldest first."""
        with session_scope(self.app) as session:
            statement = select(Message.body).where(
                Message.direction == "out",
                Message.to_number == person.phone,
                Message.message_sid.is_not(None) | (Message.status == "queued"),
            )
            return [body or "" for body in session.scalars(statement.order_by(Message.id))]


@pytest.fixture
def night(app: Flask, clock: Clock) -> Night:
    dee, ana = add_user(app, "Dee Park"), add_user(app, "Ana Diaz")
    ben = add_user(app, "Ben Okafor")
    # 12-hour shifts from 06:00 and 18:00 local (naive arithmetic: they stay there across DST).
    add_rotation(app, 1, dee, ana, start=datetime(2026, 10, 30, 6), shift_hours=12)
    add_rotation(app, 2, ben)
    sue = add_user(app, "Sue Pervis", "supervisor", password=PASSWORD)
    tess = add_user(app, "Tess Walker", "supervisor")
    smith = add_officer(app)
    jones = add_officer(app, "Officer Jones", "5150", "+12065550178")
    return Night(app, clock, dee, ana, ben, sue, tess, smith, jones)
