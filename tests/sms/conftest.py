"""A phone that texts the hotline (signed like Twilio), and a program on call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Message, Officer, User
from hotline.simulator import SmsEmulator, flask_poster
from tests.factories import add_officer, add_rotation, add_user

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


@dataclass
class Program:
    """Who is who in the SMS tests."""

    officer: Officer
    ana: User  # tier 1
    ben: User  # tier 2
    sue: User  # supervisor


@pytest.fixture
def program(app: Flask) -> Program:
    """Put Ana on tier 1, Ben on tier 2; Sue supervises; Officer Smith is on the roster."""
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    sue = add_user(app, "Sue Pervis", "supervisor")
    add_rotation(app, 1, ana)
    add_rotation(app, 2, ben)
    return Program(add_officer(app), ana, ben, sue)


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
