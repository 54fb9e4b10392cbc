"""A coordinator's text and another's button on the referral page, at the same moment (SPEC §5, §9).

The text and the page are two workers: each its own thread, client, app context and
database connection, started by one barrier. On SQLite the two writers take turns on
the file's lock, so the race is PostgreSQL's.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Referral, ReferralEvent, User
from hotline.simulator import SmsEmulator, flask_poster
from tests.factories import Program, add_program, add_user
from tests.jobs.conftest import texts_to
from tests.races import at_once, race_needs_postgresql
from tests.sms.conftest import HOTLINE
from tests.sms.test_commands import refer
from tests.web.conftest import PASSWORD, Web

ROUNDS = 6


@pytest.fixture(autouse=True)
def postgresql_only(app_config: dict[str, Any]) -> None:
    race_needs_postgresql(app_config, "the text and the page")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "HOTLINE_NUMBER": HOTLINE}


@pytest.fixture
def program(app: Flask) -> Program:
    """Put Ana on tier 1, Ben on tier 2; Sue supervises; Officer Smith is on the roster."""
    return add_program(app)


@pytest.fixture
def cora(app: Flask) -> User:
    return add_user(app, "Cora Lee", "coordinator", password=PASSWORD)


def own_phone(app: Flask) -> SmsEmulator:
    token = app.config["TWILIO_AUTH_TOKEN"]
    return SmsEmulator(flask_poster(app.test_client()), token, "http://localhost", HOTLINE)


def signed_in(app: Flask, user: User) -> Web:
    web = Web(app.test_client())
    assert web.login(user).status_code == 302
    return web


def events(app: Flask, number: int, kind: str) -> list[ReferralEvent]:
    with session_scope(app) as session:
        rows = session.scalars(
            select(ReferralEvent).where(
                ReferralEvent.referral_id == number, ReferralEvent.kind == kind
            )
        ).all()
        session.expunge_all()
        return list(rows)


def test_an_ack_by_text_and_take_it_on_the_page_at_once_have_one_winner(
    app: Flask, program: Program, cora: User
) -> None:
    phone, web = own_phone(app), signed_in(app, cora)
    for _ in range(ROUNDS):
        number = refer(own_phone(app), program)
        told_before = len(texts_to(app, program.officer.phone))
        reply, answer = at_once(
            lambda n=number: phone.send(program.ana.phone, f"ACK {n}").replies[0],
            lambda n=number: web.post(f"/referrals/{n}/actions", {"action": "ack"}),
        )
        page = answer.get_data(as_text=True)
        text_won = reply.startswith(f"You have #{number}")
        page_won = answer.status_code == 302
        assert text_won != page_won, (reply, answer.status_code)
        if text_won:  # the page's loser is told plainly who has it, and nothing changed
            assert answer.status_code == 409 and "already taken by Ana Diaz" in page
        else:
            assert reply.startswith(f"#{number} is already taken by Cora Lee"), reply
        with session_scope(app) as session:
            referral = session.get_one(Referral, number)
            winner = program.ana.id if text_won else cora.id
            assert (referral.status, referral.acknowledged_by) == ("acknowledged", winner)
        assert [e.actor_id for e in events(app, number, "acknowledged")] == [winner]
        # The officer is told once who has it.
        assert len(texts_to(app, program.officer.phone)) == told_before + 1


def test_intake_by_text_and_on_the_page_at_once_close_it_once(
    app: Flask, program: Program, cora: User
) -> None:
    phone, web = own_phone(app), signed_in(app, cora)
    for _ in range(ROUNDS):
        number = refer(own_phone(app), program)
        assert phone.send(program.ana.phone, f"ACK {number}").replies[0].startswith("You have")
        told_before = len(texts_to(app, program.officer.phone))
        reply, answer = at_once(
            lambda n=number: phone.send(program.ana.phone, f"INTAKE {n}").replies[0],
            lambda n=number: web.post(f"/referrals/{n}/actions", {"action": "intake_missed"}),
        )
        page_won = answer.status_code == 302
        closed = events(app, number, "intake_completed") + events(app, number, "intake_missed")
        assert len(closed) == 1, (reply, answer.status_code)
        with session_scope(app) as session:
            status = session.get_one(Referral, number).status
        assert status == ("intake_missed" if page_won else "intake_completed"), reply
        if page_won:
            assert reply.startswith(f"#{number} is already closed"), reply
        else:
            assert answer.status_code == 409
            assert "its status cannot change" in answer.get_data(as_text=True)
        assert len(texts_to(app, program.officer.phone)) == told_before + 1
