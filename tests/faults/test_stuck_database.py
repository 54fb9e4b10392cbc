"""A stuck database (SPEC §4.8): every webhook answers within 3 s, and the next call routes.

Stuck is worse than down: a refused connection fails at once, but a server
that accepts and never answers, a statement waiting on a lock, or a pooled
connection gone half-open would each hold a call in silence until Twilio
gives up. Each case here is reproduced for real on loopback.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from hotline import create_app
from hotline.db import database
from hotline.deadline import DeadlineExceeded
from hotline.simulator import sign
from tests.conftest import is_sqlite
from tests.factories import add_officer, add_rotation, add_user
from tests.faults.stuck import FreezingLink, silent_server
from tests.test_deadline import LIMIT_S, Busy
from tests.voice.test_webhooks import CALLBACK_ROUTES, ROUTES

HOTLINE = "+12065550100"
FALLBACK = "+12065550199"
OFFICER = "+12065550177"
SPEC_DEADLINE_S = 3.0  # SPEC §4.8: the caller hears an answer within 3 s
# Every voice route but the two that need no step of a call (fallback, status).
VOICE_STEPS = [route for route in ROUTES if route not in ("/voice/fallback", "/voice/status")]


def post(client: FlaskClient, path: str, params: dict[str, str]) -> tuple[Any, float]:
    """Post a signed webhook; return the answer and how long it took."""
    signature = sign("test-token", "http://localhost" + path, params)
    started = time.monotonic()
    answer = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    return answer, time.monotonic() - started


def dialled(body: bytes) -> list[str]:
    root = ET.fromstring(body)
    assert root.tag == "Response"
    return [(number.text or "").strip() for number in root.iter("Number")]


def call(client: FlaskClient, sid: str) -> tuple[list[str], float]:
    """Place a call from the rostered officer; return who is dialled and how long it took."""
    answer, took = post(client, "/voice/incoming", {"CallSid": sid, "From": OFFICER, "To": HOTLINE})
    assert answer.status_code == 200
    return dialled(answer.data), took


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "HOTLINE_FALLBACK_NUMBERS": FALLBACK}


@pytest.fixture
def silent_database(app_config: dict[str, Any]) -> Iterator[Flask]:
    """Yield an app whose PostgreSQL server accepts connections and never answers."""
    with silent_server() as port:
        url = f"postgresql+psycopg://hotline@127.0.0.1:{port}/hotline"
        app = create_app({**app_config, "DATABASE_URL": url})
        yield app
        database(app).engine.dispose()


def on_call(app: Flask) -> str:
    """Put a coordinator on tier 1 and the officer on the roster; return the coordinator's phone."""
    add_officer(app, phone=OFFICER)
    user = add_user(app, "Ana Diaz")
    add_rotation(app, 1, user)
    return user.phone


class TestServerThatNeverAnswers:
    """The database host accepts the connection, then says nothing."""

    @pytest.mark.parametrize("path", VOICE_STEPS)
    def test_each_voice_step_answers_within_3_s(self, silent_database: Flask, path: str) -> None:
        params = {"CallSid": "CA1", "From": OFFICER, "To": HOTLINE, "Digits": "1"}
        answer, took = post(silent_database.test_client(), path, params)
        assert took < SPEC_DEADLINE_S
        assert answer.status_code == 200 and answer.mimetype == "text/xml"
        if path.startswith(("/voice/whisper", "/voice/accept")):
            ET.fromstring(answer.data)  # the dialled person's side: whisper, bridge
        else:
            assert dialled(answer.data) == [FALLBACK]

    @pytest.mark.parametrize("path", CALLBACK_ROUTES[:3])
    def test_each_callback_step_ends_the_call_in_words_within_3_s(
        self, silent_database: Flask, path: str
    ) -> None:
        params = {"CallSid": "CA1", "From": HOTLINE, "To": OFFICER, "Digits": "1"}
        answer, took = post(silent_database.test_client(), path, params)
        assert took < SPEC_DEADLINE_S
        assert answer.status_code == 200 and answer.mimetype == "text/xml"
        root = ET.fromstring(answer.data)
        assert root.find("Hangup") is not None and root.find("Dial") is None

    def test_a_callback_status_is_refused_so_that_twilio_sends_it_again(
        self, silent_database: Flask
    ) -> None:
        params = {"CallSid": "CA1", "CallStatus": "no-answer"}
        answer, took = post(silent_database.test_client(), CALLBACK_ROUTES[3], params)
        assert took < SPEC_DEADLINE_S and answer.status_code == 503

    def test_a_call_status_is_refused_so_that_twilio_sends_it_again(
        self, silent_database: Flask
    ) -> None:
        params = {"CallSid": "CA1", "CallStatus": "completed", "CallDuration": "30"}
        answer, took = post(silent_database.test_client(), "/voice/status", params)
        assert took < SPEC_DEADLINE_S and answer.status_code == 503

    def test_a_text_is_answered_with_call_the_hotline_within_3_s(
        self, silent_database: Flask
    ) -> None:
        params = {"MessageSid": "SM1", "From": OFFICER, "To": HOTLINE, "Body": "REFER"}
        answer, took = post(silent_database.test_client(), "/sms/incoming", params)
        assert took < SPEC_DEADLINE_S and answer.status_code == 200
        (message,) = ET.fromstring(answer.data).iter("Message")
        assert "call the hotline at +12065550100" in (message.text or "")

    def test_a_delivery_status_is_refused_so_that_twilio_sends_it_again(
        self, silent_database: Flask
    ) -> None:
        params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
        answer, took = post(silent_database.test_client(), "/sms/status", params)
        assert took < SPEC_DEADLINE_S and answer.status_code == 503


class TestLockedOrFrozen:
    """A real database, locked by another session or cut off mid-connection."""

    @pytest.mark.parametrize("program_kept", [False, True], ids=["first call", "program kept"])
    def test_a_call_waiting_on_a_table_lock_fails_open_and_the_next_call_routes(
        self, app: Flask, client: FlaskClient, program_kept: bool
    ) -> None:
        coordinator = on_call(app)
        if program_kept:  # the worker keeps the program: the records go straight to the driver
            assert call(client, "CA0")[0] == [coordinator]
        url = app.config["DATABASE_URL"]
        with held_write_lock(url):
            fallback, took = call(client, "CA1")
            assert took < SPEC_DEADLINE_S and fallback == [FALLBACK]
        assert call(client, "CA2")[0] == [coordinator]

    def test_a_frozen_connection_fails_open_and_the_next_call_routes(
        self, app_config: dict[str, Any], app: Flask
    ) -> None:
        coordinator = on_call(app)
        with through_freezing_link(app_config) as (linked, link):
            client = linked.test_client()
            assert call(client, "CA1")[0] == [coordinator]  # the pool now holds a connection
            link.freeze()
            fallback, took = call(client, "CA2")
            assert took < SPEC_DEADLINE_S and fallback == [FALLBACK]
            link.thaw()
            assert call(client, "CA3")[0] == [coordinator]

    def test_a_link_that_freezes_once_the_whisper_is_read_still_answers_in_time(
        self, app_config: dict[str, Any], app: Flask
    ) -> None:
        coordinator = on_call(app)
        with through_freezing_link(app_config) as (linked, link):
            frozen_after_reading = threading.Event()

            @linked.after_request
            def freeze_once_answered(response: Response) -> Response:
                if frozen_after_reading.is_set():  # the whisper read the call; its answer is made
                    link.freeze()
                return response

            client = linked.test_client()
            arrival = {"CallSid": "CA1", "From": OFFICER, "To": HOTLINE}
            number = ET.fromstring(post(client, "/voice/incoming", arrival)[0].data).find(
                "Dial/Number"
            )
            assert number is not None and number.text == coordinator
            parts = urlsplit(number.attrib["url"])
            frozen_after_reading.set()
            whisper, took = post(client, f"{parts.path}?{parts.query}", {"CallSid": "CA-leg"})
            frozen_after_reading.clear()
            assert took < SPEC_DEADLINE_S
            said = [say.text or "" for say in ET.fromstring(whisper.data).iter("Say")]
            assert "Officer Smith" in said[0]  # the whisper itself, not the anonymous one
            link.thaw()
            assert call(client, "CA3")[0] == [coordinator]


def test_a_stuck_call_fails_open_even_when_the_first_deadline_is_swallowed(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deadline's first raise lands in a finalizer and is lost; the next one still comes."""
    coordinator = on_call(app)
    app.config["WEBHOOK_DEADLINE_S"] = 0.3
    swallowed: list[BaseException | None] = []
    monkeypatch.setattr(
        sys, "unraisablehook", lambda unraisable: swallowed.append(unraisable.exc_value)
    )
    engine = database(app).engine
    stuck, ran_out = [True], []

    def statement_that_never_returns(*args: Any) -> None:
        if stuck:
            stuck.clear()
            Busy(LIMIT_S)  # finalized here, past the deadline: Python swallows its raise
            if not threading.Event().wait(LIMIT_S):  # the server says nothing (interruptible)
                ran_out.append(True)

    event.listen(engine, "do_execute", statement_that_never_returns)
    try:
        fallback, took = call(client, "CA1")
    finally:
        event.remove(engine, "do_execute", statement_that_never_returns)
    assert any(isinstance(error, DeadlineExceeded) for error in swallowed)
    assert not ran_out and fallback == [FALLBACK] and took < LIMIT_S
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert_free_for_another_writer(engine)
    assert call(client, "CA2")[0] == [coordinator]


def assert_free_for_another_writer(engine: Engine) -> None:
    """Fail unless another connection takes the calls table's write lock within a second.

    A transaction the stuck request left open would hold it (PostgreSQL: its
    reads' locks; SQLite: the file's lock). A dropped connection's server side
    may take a moment to end, hence the polling.
    """
    url = engine.url.render_as_string(False)
    limit = time.monotonic() + 1.0
    while True:
        try:
            with held_write_lock(url, wait=False):  # taken and let go at once
                return
        except (sqlite3.OperationalError, OperationalError):
            if time.monotonic() > limit:
                raise
            time.sleep(0.02)


@contextmanager
def through_freezing_link(app_config: dict[str, Any]) -> Iterator[tuple[Flask, FreezingLink]]:
    """Yield an app whose connections to PostgreSQL pass a link the test can freeze."""
    url = make_url(app_config["DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("a network link to freeze needs a database server (PostgreSQL)")
    link = FreezingLink(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=link.port)
    linked = create_app({**app_config, "DATABASE_URL": relayed.render_as_string(False)})
    try:
        yield linked, link
    finally:
        database(linked).engine.dispose()
        link.close()


@contextmanager
def held_write_lock(url: str, *, wait: bool = True) -> Iterator[None]:
    """Hold the calls table's write lock from a second connection, as a migration would.

    Without `wait`, a lock someone else holds is an error at once, not waited for.
    """
    if is_sqlite(url):
        # Another process's writer, outside the app's turn-taking: SQLite's own busy wait.
        path = make_url(url).database
        assert path is not None
        writer = sqlite3.connect(path, isolation_level=None, timeout=5 if wait else 0)
        writer.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            writer.rollback()
            writer.close()
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            lock = "LOCK TABLE calls IN ACCESS EXCLUSIVE MODE" + ("" if wait else " NOWAIT")
            connection.execute(text(lock))
            yield
            connection.rollback()
    finally:
        engine.dispose()


@contextmanager
def held_messages_lock(url: str) -> Iterator[None]:
    """Hold the message log's write lock from a second connection, as a migration would."""
    if is_sqlite(url):
        with held_write_lock(url):  # SQLite has one write lock for every table
            yield
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE"))
            yield
            connection.rollback()
    finally:
        engine.dispose()


def test_a_text_waiting_on_a_locked_message_log_is_answered_within_3_s(
    app: Flask, client: FlaskClient
) -> None:
    """The text's own wait and the try to log it as failed share one deadline.

    Logging the failed text waited on the same lock again, from a deadline of
    its own: on PostgreSQL the officer's text was answered after 3 s or more.
    """
    on_call(app)
    params = {"MessageSid": "SM1", "From": OFFICER, "To": HOTLINE, "Body": "HELP"}
    with held_messages_lock(app.config["DATABASE_URL"]):
        answer, took = post(client, "/sms/incoming", params)
    assert answer.status_code == 200
    (message,) = ET.fromstring(answer.data).iter("Message")
    assert "call the hotline at +12065550100" in (message.text or "")
    assert took < SPEC_DEADLINE_S
    again, _ = post(client, "/sms/incoming", params)  # the lock let go: Twilio's text is handled
    (reply,) = ET.fromstring(again.data).iter("Message")
    assert "call the hotline" not in (reply.text or "")
