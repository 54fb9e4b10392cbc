"""Two clock processes run the same job at the same moment: each text goes once (SPEC §7).

The README says the clock is safe to run twice. Each clock here is its own
thread with its own database connection, both started by one barrier; on
SQLite the two take turns on the file's write lock, so the race is PostgreSQL's.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import AuditEvent, Call, Referral, ReferralNotice, User
from hotline.services.referral_actions import add_note
from hotline.simulator import SmsEmulator, flask_poster
from tests.api.conftest import Api, token_for
from tests.api.test_participant_retention import LONG_AFTER
from tests.factories import Program, add_officer, add_program, add_user
from tests.jobs.conftest import run, texts_to
from tests.jobs.test_coverage_gaps import NOW, weekday_rotation
from tests.jobs.test_deadlines import CREATED, WINDOW, add_referral
from tests.races import at_once, race_needs_postgresql
from tests.services.test_retention import (
    CREATED as ERASABLE,
)
from tests.services.test_retention import (
    PERIOD,
    SECOND,
    SECRET,
    closed_old_referral,
    erasures,
)
from tests.sms.conftest import HOTLINE, converse
from tests.sms.test_intake import ARREST
from tests.voice.test_webhooks import post

REFERRALS = 4


@pytest.fixture(autouse=True)
def postgresql_only(app_config: dict[str, Any]) -> None:
    race_needs_postgresql(app_config, "the two clocks")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "HOTLINE_NUMBER": HOTLINE}


def two_clocks(app: Flask, job: str, at: datetime) -> list[str]:
    """Run `job` as of `at` in two clocks started at the same moment; return both results."""
    clock = functools.partial(run, app, job, at)
    results: list[str] = at_once(clock, clock)
    return results


@pytest.fixture
def program(app: Flask) -> Program:
    """Put Ana on tier 1, Ben on tier 2; Sue supervises; Officer Smith is on the roster."""
    return add_program(app)


def test_two_clocks_pass_each_unacknowledged_referral_on_once(app: Flask, program: Program) -> None:
    token = app.config["TWILIO_AUTH_TOKEN"]
    phone = SmsEmulator(flask_poster(app.test_client()), token, "http://localhost", HOTLINE)
    for _ in range(REFERRALS):
        converse(phone, program.officer.phone, *ARREST, "SEND")
    with session_scope(app) as session:
        first = max(session.scalars(select(ReferralNotice.at)))
    tess = add_user(app, "Tess Walker", "supervisor")
    results = two_clocks(app, "escalate-unacked", first + timedelta(minutes=10))
    told = sorted(int(result.split()[0]) for result in results)
    assert sum(told) == REFERRALS, results
    assert len(texts_to(app, program.ben.phone)) == REFERRALS
    results = two_clocks(app, "escalate-unacked", first + timedelta(minutes=20))
    assert sum(int(result.split()[0]) for result in results) == 2 * REFERRALS, results
    assert len(texts_to(app, program.sue.phone)) == len(texts_to(app, tess.phone)) == REFERRALS
    assert len(texts_to(app, program.ana.phone)) == REFERRALS


def test_two_clocks_close_each_call_whose_end_never_came_once(app: Flask, program: Program) -> None:
    client = app.test_client()
    for n in range(REFERRALS):
        # A stranger is asked for a badge, hangs up; the final status is lost.
        params = {"CallSid": f"CA-lost-{n}", "From": "+12065550666", "To": HOTLINE}
        assert post(client, "/voice/incoming", params).status_code == 200
    with session_scope(app) as session:
        started = max(session.scalars(select(Call.started_at)))
    results = two_clocks(app, "escalate-unacked", started + timedelta(minutes=31))
    closed = [r for r in results if "calls closed" in r]
    assert sum(int(r.split("; ")[1].split()[0]) for r in closed) == REFERRALS, results
    assert len(texts_to(app, program.ana.phone)) == REFERRALS
    with session_scope(app) as session:
        statuses = session.scalars(select(Referral.status)).all()
    assert statuses == ["notified"] * REFERRALS


def test_two_clocks_close_each_missed_intake_window_once(app: Flask) -> None:
    officer, ana = add_officer(app), add_user(app, "Ana Diaz")
    for _ in range(REFERRALS):
        add_referral(app, "acknowledged", officer_phone=officer.phone, acknowledged_by=ana.id)
    results = two_clocks(app, "intake-deadlines", CREATED + WINDOW + timedelta(seconds=1))
    assert sum(int(result.split()[0]) for result in results) == REFERRALS, results
    assert len(texts_to(app, officer.phone)) == REFERRALS
    assert len(texts_to(app, ana.phone)) == REFERRALS


def test_two_clocks_announce_the_gaps_once(app: Flask) -> None:
    ana, sue = add_user(app, "Ana Diaz"), add_user(app, "Sue Pervis", "supervisor")
    weekday_rotation(app, ana)
    results = two_clocks(app, "coverage-gaps", NOW)
    assert sorted(results) == ["0 new tier-1 gaps announced", "11 new tier-1 gaps announced"]
    assert len(texts_to(app, sue.phone)) == 1


def test_two_clocks_a_day_later_announce_only_the_new_gap_once(app: Flask) -> None:
    ana, sue = add_user(app, "Ana Diaz"), add_user(app, "Sue Pervis", "supervisor")
    weekday_rotation(app, ana)
    run(app, "coverage-gaps", NOW)
    # A day later one more gap comes within the two weeks looked at.
    later = NOW + timedelta(days=1)
    results = two_clocks(app, "coverage-gaps", later)
    assert sorted(results) == ["0 new tier-1 gaps announced", "1 new tier-1 gaps announced"]
    assert len(texts_to(app, sue.phone)) == 2


def test_two_clocks_erase_each_old_referral_and_each_late_note_once(app: Flask) -> None:
    numbers = [closed_old_referral(app) for _ in range(REFERRALS)]
    ana = add_user(app, "Ana Diaz")
    results = two_clocks(app, "retention", ERASABLE + PERIOD + SECOND)
    assert sum(int(result.split()[0]) for result in results) == REFERRALS, results
    assert all(len(erasures(app, number)) == 1 for number in numbers)
    # A note written to each after its erasure: both clocks find it at their next run.
    later = ERASABLE + PERIOD + timedelta(hours=2)
    with session_scope(app) as session:
        for number in numbers:
            add_note(session, number, session.get_one(User, ana.id), SECRET, later, "web")
    two_clocks(app, "retention", later + timedelta(days=1))
    late = [[e.get("written_after_erasure") for e in erasures(app, n)] for n in numbers]
    assert late == [[None, True]] * REFERRALS


def test_two_clocks_erase_each_late_word_of_an_erased_participant_once(app: Flask) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    client = app.test_client()
    manager = Api(client, token_for(app, add_user(app, "Cam Ortiz", "case_manager").id))
    people = [
        manager.post("/participants", {"name": f"Jane Doe {n}", "status": "exited"}).json["id"]
        for n in range(REFERRALS)
    ]
    later = datetime.now(UTC) + LONG_AFTER
    run(app, "retention", later)
    for person in people:  # still exited, each record is written to again
        plan = {"need": "housing", "status": "planned", "note": "sleeps at 3rd & Pine"}
        assert manager.post(f"/participants/{person}/plan", plan).status_code == 201
    two_clocks(app, "retention", later + timedelta(days=1))
    with session_scope(app) as session:
        late = session.scalars(
            select(AuditEvent.entity_id).where(
                AuditEvent.action == "erase", AuditEvent.entity == "participant"
            )
        ).all()
    assert sorted(late) == sorted(people * 2)  # the first erasure and one late erasure each
