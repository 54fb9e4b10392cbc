"""The simulator's on-call phone calls an officer back: rung first, then 1 dials the officer."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Callback
from tests.factories import add_officer, add_referral, add_rotation, add_user
from tests.web.conftest import PRODUCTION, Web
from tests.web.test_simulator import Program, page_text


@pytest.fixture
def program(app: Flask) -> Program:
    """Ana on tier 1 holds the on-call phone; Officer Smith's phone is the one called back."""
    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    return Program(ana, add_user(app, "Ben Okafor"), add_officer(app))


@pytest.fixture
def referral(app: Flask, program: Program) -> int:
    officer = program.officer
    return add_referral(app, officer_id=officer.id, officer_phone=officer.phone)


def call_back(web: Web, program: Program, referral: int, **fields: str) -> str:
    form = {
        "officer": program.officer.phone,
        "oncall": str(program.ana.id),
        "referral": str(referral),
    }
    answer = web.post("/simulator/callback", {**form, **fields})
    assert answer.status_code == 200
    return page_text(answer.get_data(as_text=True))


def outcome(app: Flask) -> tuple[int, str | None]:
    with session_scope(app) as session:
        callback = session.scalars(select(Callback)).one()
        return callback.user_id, callback.outcome


class TestCallBack:
    """The whole call plays against the real webhooks and its outcome is shown."""

    def test_the_on_call_phone_is_rung_first_then_the_officer(
        self, app: Flask, as_coordinator: Web, program: Program, referral: int
    ) -> None:
        page = call_back(as_coordinator, program, referral, press="1", officer_leg="accept")
        assert f"Call back about referral #{referral} : connected to the officer." in page
        assert f"your call back to Officer Smith about referral {referral}" in page
        assert f"Dialling: Officer Smith ({program.officer.phone})" in page
        assert outcome(app) == (program.ana.id, "connected")
        assert "Your phone hears" in page and "You press: 1" in page

    def test_not_pressing_1_never_rings_the_officer(
        self, app: Flask, as_coordinator: Web, program: Program, referral: int
    ) -> None:
        page = call_back(as_coordinator, program, referral, officer_leg="accept")
        assert "the coordinator did not press 1" in page
        assert "Dialling:" not in page

    def test_a_busy_officer_is_said(
        self, app: Flask, as_coordinator: Web, program: Program, referral: int
    ) -> None:
        page = call_back(as_coordinator, program, referral, press="1", officer_leg="busy")
        assert "the officer's line was busy" in page
        assert "The officer's line is busy. Goodbye." in page

    def test_the_form_lists_referrals_with_an_officer_phone(
        self, app: Flask, as_coordinator: Web, program: Program, referral: int
    ) -> None:
        without = add_referral(app, officer_phone=None)
        page = as_coordinator.text(f"/simulator?oncall={program.ana.id}")
        choices = page.split('id="callback-referral"')[1].split("</select>")[0]
        assert f'<option value="{referral}"' in choices
        assert f'<option value="{without}"' not in choices
        assert 'id="callback-button"' in page


class TestSimulatorOff:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, **PRODUCTION}

    def test_the_route_does_not_exist(self, as_coordinator: Web) -> None:
        assert as_coordinator.post("/simulator/callback", {"referral": "1"}).status_code == 404


class TestCallByTextInTheSimulator:
    def test_texting_call_rings_the_on_call_phone_at_once(
        self, app: Flask, as_coordinator: Web, program: Program, referral: int
    ) -> None:
        state = {"officer": program.officer.phone, "oncall": str(program.ana.id)}
        answer = as_coordinator.post(
            "/simulator/text",
            {"phone": "oncall", "body": f"CALL {referral}", **state},
            follow_redirects=True,
        )
        page = page_text(answer.get_data(as_text=True))
        assert f"The hotline called this phone back about #{referral}" in page
        assert "connected to the officer" in page
        assert outcome(app) == (program.ana.id, "connected")
