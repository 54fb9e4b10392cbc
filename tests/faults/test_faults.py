"""Faults a 24/7 line meets: the database restarts, a worker dies mid-request, the clock crashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from hotline.db import database, session_scope
from hotline.models import Message, Referral
from hotline.simulator import SmsEmulator, flask_poster
from tests.factories import add_officer, add_rotation, add_user
from tests.jobs.conftest import run, texts_to

HOTLINE = "+12065550100"


def phone_for(app: Flask) -> SmsEmulator:
    return SmsEmulator(
        flask_poster(app.test_client()),
        app.config["TWILIO_AUTH_TOKEN"],
        "http://localhost",
        HOTLINE,
    )


def drop_every_connection(app: Flask) -> None:
    """Cut the app's database connections as a database restart does."""
    engine = database(app).engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as admin:
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    engine.pool.dispose()  # SQLite: the file stays; the pool's connections are gone


def test_intake_resumes_after_the_database_restarts(app: Flask) -> None:
    add_rotation(app, 1, add_user(app, "Ana Diaz"))
    officer = add_officer(app)
    phone = phone_for(app)
    for answer in ("REFER", "1", "Jane Doe"):
        phone.send(officer.phone, answer)
    drop_every_connection(app)
    replies = [
        phone.send(officer.phone, answer).replies[-1] for answer in ("1", "Pine St", "Y", "SEND")
    ]
    assert replies[-1].startswith("Sent: LEAD referral #1.")
    with session_scope(app) as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.participant_name, referral.location) == ("Jane Doe", "Pine St")


def test_a_worker_dying_mid_request_leaves_nothing_half_written(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = add_officer(app)
    phone = phone_for(app)
    import hotline.sms.views as views

    real = views.handle_text

    def dies_once(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(views, "handle_text", real)
        raise OSError("worker killed")

    monkeypatch.setattr(views, "handle_text", dies_once)
    first = phone.send(officer.phone, "REFER", message_sid="SM-retried")
    assert first.replies[0].startswith("The LEAD hotline cannot read texts right now")
    with session_scope(app) as session:  # the failed attempt wrote nothing
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    retry = phone.send(
        officer.phone, "REFER", message_sid="SM-retried"
    )  # Twilio retries the same text
    again = phone.send(officer.phone, "REFER", message_sid="SM-retried")
    assert retry.replies[0].startswith("LEAD referral, Officer Smith.") and again.replies == []
    with session_scope(app) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Message).where(Message.direction == "in")
            )
            == 1
        )


def test_a_clock_killed_mid_run_loses_and_doubles_nothing(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana, ben, start=datetime(2026, 5, 1, 8), shift_hours=24)
    add_rotation(app, 2, ben, ana, start=datetime(2026, 5, 1, 8), shift_hours=24)
    at = datetime(2026, 5, 3, 15, tzinfo=UTC) - timedelta(
        minutes=30
    )  # both tiers hand off at 15:00 UTC
    import hotline.services.notices as notices

    real = notices.queue_notice
    calls = {"n": 0}

    def dies_on_the_second_text(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("clock killed")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(notices, "queue_notice", dies_on_the_second_text)
    with pytest.raises(OSError):
        run(app, "shift-notices", at)
    monkeypatch.setattr(notices, "queue_notice", real)
    run(app, "shift-notices", at)  # the restarted clock
    run(app, "shift-notices", at + timedelta(minutes=5))
    assert len(texts_to(app, ana.phone)) == 1 and len(texts_to(app, ben.phone)) == 1
