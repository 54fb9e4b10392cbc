"""Sessions: one per app context, closed after each request; SQLite tuned on connect."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, make_url, select, text
from sqlalchemy.orm import Session

from hotline.db import build_engine, get_session, session_scope
from hotline.models import User

NOW = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)


def coordinator(email: str = "ana@example.org") -> User:
    """Return an unsaved coordinator."""
    return User(name="Ana", email=email, phone="+12065550111", role="coordinator", created_at=NOW)


class TestGetSession:
    """get_session gives each app context one session and closes it afterwards."""

    def test_same_session_within_an_app_context(self, app: Flask) -> None:
        with app.app_context():
            assert get_session() is get_session()

    def test_uncommitted_work_is_rolled_back_at_teardown(self, app: Flask) -> None:
        with app.app_context():
            get_session().add(coordinator())
            get_session().flush()
        with app.app_context():
            assert get_session().scalar(select(func.count(User.id))) == 0

    def test_each_request_gets_a_fresh_session(self, app: Flask, session: Session) -> None:
        seen: list[Session] = []

        @app.get("/_session")
        def remember_session() -> str:
            seen.append(get_session())
            return ""

        client = app.test_client()
        client.get("/_session")
        client.get("/_session")
        assert seen[0] is not seen[1]
        assert session not in seen


class TestSessionScope:
    """session_scope commits on success and rolls back on error."""

    def test_commits(self, app: Flask, session: Session) -> None:
        with session_scope(app) as scoped:
            scoped.add(coordinator())
        assert session.scalar(select(User.email)) == "ana@example.org"

    def test_rolls_back_on_error(self, app: Flask, session: Session) -> None:
        with pytest.raises(RuntimeError), session_scope(app) as scoped:
            scoped.add(coordinator())
            scoped.flush()
            raise RuntimeError("job failed")
        assert session.scalar(select(func.count(User.id))) == 0

    def test_aware_instants_round_trip(self, app: Flask, session: Session) -> None:
        with session_scope(app) as scoped:
            scoped.add(coordinator())
        assert session.scalars(select(User)).one().created_at == NOW


class TestSqlite:
    """SQLite connections enforce foreign keys, use WAL and wait on locks."""

    def test_pragmas(self, tmp_path: Path) -> None:
        engine = build_engine(f"sqlite:///{tmp_path / 'nested' / 'folder' / 'x.db'}")
        try:
            with engine.connect() as connection:
                assert connection.scalar(text("PRAGMA foreign_keys")) == 1
                assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
                # It waits on other writers, but ends inside the webhook deadline (2 s).
                assert connection.scalar(text("PRAGMA busy_timeout")) == 1000
        finally:
            engine.dispose()
        assert (tmp_path / "nested" / "folder" / "x.db").exists()


def test_database_errors_are_logged_without_the_values_they_carry(app, caplog) -> None:  # type: ignore[no-untyped-def]
    """A failed statement is logged by class and the database's own code, never its row."""
    import logging

    from sqlalchemy.exc import IntegrityError

    from hotline.db import database, session_scope
    from hotline.logs import log_exception
    from hotline.models import Referral

    logger = logging.getLogger("hotline.test")
    try:
        with session_scope(app) as session:
            session.add(Referral(channel="sms", participant_name="Jane Secret", created_at=None))
            session.flush()
    except IntegrityError:
        log_exception(logger, "saving a referral failed")
    assert "saving a referral failed (database error" in caplog.text
    assert "Jane Secret" not in caplog.text
    # The database's own code, which an operator can look up: not SQLAlchemy's link code.
    postgresql = database(app).engine.dialect.name == "postgresql"
    assert ("SQLSTATE 23502" if postgresql else "SQLITE_CONSTRAINT_NOTNULL") in caplog.text


def test_a_failure_while_handling_a_database_error_does_not_log_its_row(app, caplog) -> None:  # type: ignore[no-untyped-def]
    """A traceback prints the whole chain: the database error's failing row with it."""
    import logging

    from sqlalchemy.exc import IntegrityError

    from hotline.db import session_scope
    from hotline.logs import log_exception
    from hotline.models import Referral

    logger = logging.getLogger("hotline.test")
    try:
        try:
            with session_scope(app) as session:
                session.add(
                    Referral(channel="sms", participant_name="Jane Secret", created_at=None)
                )
                session.flush()
        except IntegrityError:
            raise RuntimeError("the fail-open answer failed too")  # noqa: B904
    except RuntimeError:
        log_exception(logger, "answering failed")
    assert "answering failed (RuntimeError after a database error) (database error" in caplog.text
    assert "Jane Secret" not in caplog.text


def test_a_database_url_with_its_own_options_keeps_the_webhooks_time_limits(
    database_url: str,
) -> None:
    """A deployer's `?options=` (a search path, say) must not drop the 3 s deadline's limits."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("server time limits are PostgreSQL's")
    url = make_url(database_url).update_query_dict({"options": "-c application_name=hotline-web"})
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            shown = {
                name: connection.scalar(text(f"SHOW {name}"))
                for name in (
                    "lock_timeout",
                    "statement_timeout",
                    "idle_in_transaction_session_timeout",
                    "application_name",
                )
            }
    finally:
        engine.dispose()
    assert shown == {
        "lock_timeout": "1500ms",
        "statement_timeout": "10s",
        "idle_in_transaction_session_timeout": "1min",
        "application_name": "hotline-web",
    }


def test_a_connection_gives_up_on_a_vanished_server_within_half_a_minute(
    database_url: str,
) -> None:
    """A host that vanishes (a fail-over, a partition) sends no reset: only TCP can tell.

    The clock's jobs have no webhook deadline: with the system's defaults a job waited
    on such a connection for 15 minutes to 2 hours, and dispatch-outbox with it.
    """
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("a network connection is PostgreSQL's")
    engine = build_engine(database_url)
    try:
        with engine.connect() as connection:
            descriptor = connection.connection.dbapi_connection.fileno()  # type: ignore[union-attr]
            with socket.socket(fileno=os.dup(descriptor)) as peer:
                shown = {
                    "keepalive": peer.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                    "idle": peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                    "interval": peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
                    "count": peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
                    "unacknowledged": peer.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
                }
    finally:
        engine.dispose()
    assert shown["keepalive"] == 1
    # A silent peer is probed after 10 s of quiet and dropped after 3 unanswered probes.
    assert shown["idle"] + shown["interval"] * shown["count"] <= 30
    # Data the server never acknowledges is given up on within 20 s.
    assert 0 < shown["unacknowledged"] <= 20_000
