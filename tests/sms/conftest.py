"""A phone that texts the hotline (signed like Twilio), and a program on call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.health import CLOCK_JOB
from hotline.models import JobRun, Message
from hotline.simulator import SmsEmulator, flask_poster
from tests.factories import Program, add_program

HOTLINE = "+12065550100"
STRANGER = "+12065550666"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Give the app its own number (the sender of outbound texts)."""
    return {**app_config, "HOTLINE_NUMBER": HOTLINE}


@pytest.fixture
def phone(client: FlaskClient, app: Flask) -> SmsEmulator:
    """Return a phone that texts the app through an emulated Twilio."""
    return SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", HOTLINE
    )


@pytest.fixture
def program(app: Flask) -> Program:
    """Put Ana on tier 1, Ben on tier 2; Sue supervises; Officer Smith is on the roster."""
    return add_program(app)


def outbox(app: Flask, to: str | None = None) -> list[str]:
    """Return the bodies of outbound texts queued for the outbox (to one number, or all)."""
    with session_scope(app) as session:
        statement = select(Message).where(Message.direction == "out", Message.status == "queued")
        if to is not None:
            statement = statement.where(Message.to_number == to)
        return [m.body or "" for m in session.scalars(statement.order_by(Message.id))]


def converse(phone: SmsEmulator, sender: str, *texts: str) -> list[str]:
    """Send texts one after another; return the last reply of each."""
    answers = []
    for text in texts:
        result = phone.send(sender, text)
        assert result.status == 200
        answers.append(result.replies[-1] if result.replies else "")
    return answers


def clock_sent_texts(app: Flask, ago: timedelta = timedelta(0)) -> None:
    """Record that the clock's dispatch-outbox last sent the queued texts `ago`."""
    at = datetime.now(UTC) - ago
    with session_scope(app) as session:
        session.merge(
            JobRun(name=CLOCK_JOB, started_at=at, finished_at=at, ran_for=at, succeeded_at=at)
        )
