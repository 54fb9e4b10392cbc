"""SQLite writers take turns on a lock file: a waiting writer goes on as soon as the turn frees."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline import sqlite_writers
from hotline.db import build_engine
from hotline.sqlite_writers import TurnTakingConnection, WriterTurn, writers_lock_path


def connect(path: Path, turn_timeout_s: float = 5.0) -> TurnTakingConnection:
    """Open a connection that takes turns, with SQLite's own busy wait off (it would hide them)."""
    connection = sqlite3.connect(path, factory=TurnTakingConnection, check_same_thread=False)
    assert isinstance(connection, TurnTakingConnection)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=0")
    connection.take_turns(writers_lock_path(path), turn_timeout_s)
    return connection


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "turns.db"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    setup.commit()
    setup.close()
    yield path


def turn_is_free(path: Path) -> bool:
    """Tell whether a third writer could take the turn right now."""
    probe = WriterTurn(writers_lock_path(path), timeout_s=0)
    try:
        return probe.take()
    finally:
        probe.close()


def test_a_second_writer_waits_for_the_first_to_commit(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = connect(database), connect(database)
    second_is_waiting = threading.Event()
    real_sleep = sqlite_writers.time.sleep

    def noticed_sleep(seconds: float) -> None:
        second_is_waiting.set()
        real_sleep(seconds)

    monkeypatch.setattr(sqlite_writers.time, "sleep", noticed_sleep)
    first.execute("INSERT INTO notes (body) VALUES ('first')")
    errors: list[Exception] = []

    def write_second() -> None:
        try:
            second.execute("INSERT INTO notes (body) VALUES ('second')")
            second.commit()
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    writer = threading.Thread(target=write_second)
    writer.start()
    # Without turns, SQLite (busy_timeout=0) would refuse the second writer at once.
    assert second_is_waiting.wait(timeout=10), "the second writer never waited for its turn"
    first.commit()
    writer.join(timeout=10)
    assert not writer.is_alive()
    assert errors == []
    rows = first.execute("SELECT body FROM notes ORDER BY id").fetchall()
    assert rows == [("first",), ("second",)]


def test_a_writer_waits_no_longer_than_its_timeout(database: Path) -> None:
    holder, waiter = connect(database), connect(database, turn_timeout_s=0.05)
    waiter.execute("PRAGMA busy_timeout=20000")  # SQLite's own wait must not add to it
    holder.execute("INSERT INTO notes (body) VALUES ('held')")
    outcome: list[BaseException] = []

    def write() -> None:
        try:
            waiter.execute("INSERT INTO notes (body) VALUES ('late')")
        except sqlite3.OperationalError as exc:
            outcome.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(timeout=10)
    assert not writer.is_alive(), "a writer waited past its timeout"
    # Past the timeout the write fails as it would after SQLite's own wait, and leaves nothing.
    assert [str(exc) for exc in outcome] == ["database is locked"]
    assert not waiter.in_transaction
    holder.rollback()
    assert waiter.execute("SELECT count(*) FROM notes").fetchone() == (0,)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_turn_is_given_back_when_the_transaction_ends(database: Path, end: str) -> None:
    writer = connect(database)
    writer.execute("INSERT INTO notes (body) VALUES ('x')")
    assert not turn_is_free(database)
    getattr(writer, end)()
    assert turn_is_free(database)


def test_many_rows_at_once_take_the_turn_too(database: Path) -> None:
    writer = connect(database)
    writer.executemany("INSERT INTO notes (body) VALUES (?)", [("a",), ("b",)])
    assert not turn_is_free(database)
    writer.commit()
    assert turn_is_free(database)


def test_a_write_that_leaves_no_transaction_open_gives_the_turn_back(database: Path) -> None:
    writer = connect(database)
    with pytest.raises(sqlite3.OperationalError):
        writer.execute("INSERT INTO no_such_table VALUES (1)")  # fails before it begins
    assert not writer.in_transaction and turn_is_free(database)
    writer.isolation_level = None  # autocommit: each statement commits by itself
    writer.execute("INSERT INTO notes (body) VALUES ('at once')")
    assert turn_is_free(database)


def test_reading_does_not_take_the_turn(database: Path) -> None:
    reader = connect(database)
    assert reader.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    assert turn_is_free(database)


def test_a_failed_insert_keeps_the_turn_until_rollback(database: Path) -> None:
    writer = connect(database)
    with pytest.raises(sqlite3.IntegrityError):
        writer.execute("INSERT INTO notes (id, body) VALUES (1, 'a'), (1, 'b')")
    assert writer.in_transaction and not turn_is_free(database)
    writer.rollback()
    assert turn_is_free(database)


def test_app_connections_to_a_file_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    engine = build_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        assert isinstance(connection.connection.driver_connection, TurnTakingConnection)
        assert not turn_is_free(path)
    assert turn_is_free(path)
    engine.dispose()


def test_a_connection_dropped_without_closing_frees_the_turn(database: Path) -> None:
    writer = connect(database)
    writer.execute("INSERT INTO notes (body) VALUES ('x')")
    assert not turn_is_free(database)
    del writer
    gc.collect()
    assert turn_is_free(database)


def test_a_writer_killed_mid_transaction_frees_the_turn_and_leaves_nothing(
    database: Path,
) -> None:
    holder = f"""
import sqlite3, time
from pathlib import Path
from hotline.sqlite_writers import TurnTakingConnection, writers_lock_path
path = Path({str(database)!r})
connection = sqlite3.connect(path, factory=TurnTakingConnection)
connection.take_turns(writers_lock_path(path), 5)
connection.execute("INSERT INTO notes (body) VALUES ('never committed')")
print("holding", flush=True)
time.sleep(120)  # killed long before
"""
    with subprocess.Popen(
        [sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "holding"
            assert not turn_is_free(database)
        finally:
            process.kill()
            process.wait(timeout=10)
    assert turn_is_free(database)
    survivor = connect(database)
    survivor.execute("INSERT INTO notes (body) VALUES ('after')")
    survivor.commit()
    assert survivor.execute("SELECT body FROM notes").fetchall() == [("after",)]
