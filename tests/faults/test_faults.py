"""Faults a 24/7 line meets: the database restarts, a worker dies mid-request, the clock crashes."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool
from werkzeug.test import TestResponse

from hotline.db import database, session_scope
from hotline.models import Message, Referral
from hotline.simulator import SmsEmulator, flask_poster, sign
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

    real = views.answer_text

    def dies_once(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(views, "answer_text", real)
        raise OSError("worker killed")

    monkeypatch.setattr(views, "answer_text", dies_once)
    first = phone.send(officer.phone, "REFER", message_sid="SM-retried")
    assert first.replies[0].startswith("The LEAD hotline cannot read texts right now")
    with session_scope(app) as session:  # the failed attempt wrote only its trace and reply
        trace, reply = session.scalars(select(Message).order_by(Message.id)).all()
        assert (trace.direction, trace.message_sid, trace.error) == (
            "in",
            None,
            "not handled (OSError): the sender was told to call",
        )
        assert (reply.direction, reply.body) == ("out", first.replies[0])
        assert session.scalars(select(Referral)).all() == []
    retry = phone.send(
        officer.phone, "REFER", message_sid="SM-retried"
    )  # Twilio retries the same text
    again = phone.send(officer.phone, "REFER", message_sid="SM-retried")
    assert retry.replies[0].startswith("LEAD referral, Officer Smith.") and again.replies == []
    with session_scope(app) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.direction == "in", Message.message_sid == "SM-retried")
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

    real = notices.notify
    calls = {"n": 0}

    def dies_on_the_second_text(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("clock killed")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(notices, "notify", dies_on_the_second_text)
    with pytest.raises(OSError):
        run(app, "shift-notices", at)
    monkeypatch.setattr(notices, "notify", real)
    run(app, "shift-notices", at)  # the restarted clock
    run(app, "shift-notices", at + timedelta(minutes=5))
    assert len(texts_to(app, ana.phone)) == 1 and len(texts_to(app, ben.phone)) == 1


def end_every_app_session(app: Flask) -> None:
    """End the app's PostgreSQL sessions on the server, as a restart does, and wait until gone."""
    engine = database(app).engine
    # A connection of its own, outside the pool, and each statement its own transaction:
    # pg_stat_activity is read once per transaction.
    admin = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    others = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    with admin.connect() as connection:
        ended = connection.execute(others).scalars().all()
        for pid in ended:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while set(connection.execute(others).scalars()) & set(ended):
            assert time.monotonic() < deadline, "the sessions did not end"
            time.sleep(0.01)
    admin.dispose()


def first_number_dialled(app: Flask, call_sid: str, caller: str) -> list[str]:
    params = {"CallSid": call_sid, "From": caller, "To": HOTLINE}
    signature = sign(app.config["TWILIO_AUTH_TOKEN"], "http://localhost/voice/incoming", params)
    answer = app.test_client().post(
        "/voice/incoming", data=params, headers={"X-Twilio-Signature": signature}
    )
    return [(n.text or "").strip() for n in ET.fromstring(answer.data).iter("Number")]


@pytest.mark.parametrize("check", ["the socket, just used", "a ping, after idling"])
def test_calls_ring_the_chain_right_after_postgresql_ends_every_session(
    app: Flask, monkeypatch: pytest.MonkeyPatch, check: str
) -> None:
    if database(app).engine.dialect.name != "postgresql":
        pytest.skip("a server that ends sessions: PostgreSQL only")
    import hotline.connection_check as connection_check

    if check == "a ping, after idling":  # as if idle for long: the ping must find it dead
        monkeypatch.setattr(connection_check, "server_hung_up", lambda dbapi_connection: False)
        monkeypatch.setattr(connection_check, "RECENT_USE_S", 0.0)
    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    officer = add_officer(app)
    app.config["HOTLINE_FALLBACK_NUMBERS"] = ["+12065550199"]
    assert first_number_dialled(app, "CA1", officer.phone)[0] == ana.phone
    end_every_app_session(app)
    # Not the fallback: the pooled connection that died is refused, a fresh one opened.
    assert first_number_dialled(app, "CA2", officer.phone)[0] == ana.phone


def test_a_whisper_whose_session_postgresql_ends_before_the_request_is_over_is_answered(
    app: Flask,
) -> None:
    """The end of a request rolls back its reads: a session the server ended meanwhile.

    The rollback's error used to leave the request from its teardown, and the
    coordinator's phone got a 500 instead of the whisper already made.
    """
    if database(app).engine.dialect.name != "postgresql":
        pytest.skip("a server that ends sessions: PostgreSQL only")
    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    officer = add_officer(app)
    ending = []

    @app.after_request
    def end_sessions_once_answered(response: Response) -> Response:
        if ending:  # the whisper read the call and made its answer; a restart comes now
            ending.clear()
            end_every_app_session(app)
        return response

    client = app.test_client()
    params = {"CallSid": "CA1", "From": officer.phone, "To": HOTLINE}
    number = ET.fromstring(signed_post(client, "/voice/incoming", params).data).find("Dial/Number")
    assert number is not None and number.text == ana.phone
    whisper_url = urlsplit(number.attrib["url"])
    ending.append(True)
    whisper = signed_post(client, f"{whisper_url.path}?{whisper_url.query}", {"CallSid": "CA-l"})
    assert not ending and whisper.status_code == 200
    said = [say.text or "" for say in ET.fromstring(whisper.data).iter("Say")]
    assert "Officer Smith" in said[0]
    assert first_number_dialled(app, "CA2", officer.phone)[0] == ana.phone


def signed_post(client: FlaskClient, path: str, params: dict[str, str]) -> TestResponse:
    """Post a webhook signed as Twilio would."""
    signature = sign("test-token", "http://localhost" + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})
