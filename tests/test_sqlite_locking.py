"""SQLite writers of the app wait for each other with SQLite's own busy handler, within 1 s.

The app's connections (db.build_engine) open their write transaction at the
first write, so a second writer waits in SQLite's busy handler for the lock
and goes on when the first commits; past `busy_timeout` it fails with
"database is locked" (a call then falls open, within the 3 s voice deadline).
A writer that dies mid-transaction leaves nothing, and the kernel frees its lock.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from hotline.db import SQLITE_BUSY_TIMEOUT_MS, build_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = build_engine(f"sqlite:///{tmp_path / 'locks.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    yield engine
    engine.dispose()


def bodies(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT body FROM notes ORDER BY id")).scalars())


def test_a_second_writer_waits_for_the_first_to_commit(engine: Engine) -> None:
    first = engine.connect()
    first.execute(text("INSERT INTO notes (body) VALUES ('first')"))  # holds the write lock
    done = threading.Event()
    errors: list[BaseException] = []

    def write_second() -> None:
        try:
            with engine.begin() as second:
                second.execute(text("INSERT INTO notes (body) VALUES ('second')"))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        done.set()

    writer = threading.Thread(target=write_second)
    writer.start()
    assert not done.wait(timeout=0.2), "the second writer did not wait for the lock"
    first.commit()
    first.close()
    writer.join(timeout=10)
    assert errors == [] and bodies(engine) == ["first", "second"]


def test_a_writer_waits_no_longer_than_the_busy_timeout(engine: Engine) -> None:
    holder = engine.connect()
    holder.execute(text("INSERT INTO notes (body) VALUES ('held')"))
    started = time.monotonic()
    with pytest.raises(Exception, match="database is locked"), engine.begin() as late:
        late.execute(text("INSERT INTO notes (body) VALUES ('late')"))
    waited = time.monotonic() - started
    holder.rollback()
    holder.close()
    assert SQLITE_BUSY_TIMEOUT_MS / 1000 * 0.9 <= waited < 3.0  # inside the voice deadline


def test_a_writer_killed_mid_transaction_leaves_nothing_and_blocks_nobody(
    engine: Engine, tmp_path: Path
) -> None:
    holder = f"""
import time
from sqlalchemy import text
from hotline.db import build_engine
connection = build_engine({str(engine.url)!r}).connect()
connection.execute(text("INSERT INTO notes (body) VALUES ('never committed')"))
print("holding", flush=True)
time.sleep(120)  # killed long before
"""
    process: Any
    with subprocess.Popen(
        [sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "holding"
        finally:
            process.kill()
            process.wait(timeout=10)
    with engine.begin() as survivor:
        survivor.execute(text("INSERT INTO notes (body) VALUES ('after')"))
    assert bodies(engine) == ["after"]
