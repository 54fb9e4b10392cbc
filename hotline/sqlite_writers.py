"""SQLite writers take turns on a file lock, so a waiting writer starts the moment the lock frees.

SQLite's own busy handler sleeps 1, 2, 5, 10 … ms between tries. A webhook holds
the write lock for a fraction of a millisecond (its inserts and the commit), so
a worker that collides with the other one would sleep far longer than it had to
wait, while requests queue behind it. Here each connection takes an exclusive
`flock` on `<database>.writers` just before the statement that opens its write
transaction, and lets go when the transaction ends (commit, rollback, close).

The wait is bounded by the same `busy_timeout`: past it the statement fails with
"database is locked", as it would have after SQLite's own wait, so a stuck
writer delays the others no longer than before. A writer that does not take
turns (the sqlite3 shell, say) is still handled by SQLite's busy handler. The
kernel drops the lock of a process that dies, so a killed worker blocks nobody.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# sqlite3 (in its default, "legacy" transaction mode) opens a transaction before
# these statements and no others: the turn is taken at the same moment.
_OPENS_TRANSACTION = ("INSERT", "UPDATE", "DELETE", "REPLAC")

# Polling steps while another writer holds the turn: short, as a turn is short.
_FIRST_PAUSE_S = 0.00005
_LONGEST_PAUSE_S = 0.0002


class WriterTurn:
    """One connection's exclusive turn to write, taken on a lock file beside the database."""

    def __init__(self, lock_path: Path, timeout_s: float) -> None:
        self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._timeout_s = timeout_s
        self.held = False

    def take(self) -> bool:
        """Wait for the turn, at most the timeout; tell whether it was taken."""
        deadline = time.monotonic() + self._timeout_s
        pause = _FIRST_PAUSE_S
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE_S)
                continue
            self.held = True
            return True

    def give_back(self) -> None:
        """Let the next writer go."""
        if self.held:
            self.held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Give the turn back and close the lock file."""
        if self._fd >= 0:
            self.give_back()
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        # A connection dropped without close() must not leave its lock file open (or held).
        if self._fd >= 0:
            os.close(self._fd)


class TurnTakingCursor(sqlite3.Cursor):
    """A cursor that takes its connection's turn before a statement that starts a write."""

    connection: TurnTakingConnection

    def execute(self, sql: str, parameters: Any = (), /) -> TurnTakingCursor:
        with self.connection.turn_for(sql):
            super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> TurnTakingCursor:
        with self.connection.turn_for(sql):
            super().executemany(sql, seq_of_parameters)
        return self


class TurnTakingConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions take turns (see the module's docstring)."""

    turn: WriterTurn | None = None

    def take_turns(self, lock_path: Path, timeout_s: float) -> None:
        """Start taking turns on `lock_path`, waiting at most `timeout_s` for one."""
        self.turn = WriterTurn(lock_path, timeout_s)

    @contextmanager
    def turn_for(self, sql: str) -> Iterator[None]:
        """Take the turn for `sql` if it opens a write; give it back unless a write is left open."""
        turn = self.turn
        if (
            turn is not None
            and not turn.held
            and not self.in_transaction
            and sql.lstrip()[:6].upper() in _OPENS_TRANSACTION
            and not turn.take()
        ):
            raise sqlite3.OperationalError("database is locked")
        try:
            yield
        finally:
            self.end_turn_outside_transaction()

    def cursor(self, factory: Any = TurnTakingCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, seq_of_parameters)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn_outside_transaction()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn_outside_transaction()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.turn is not None:
                self.turn.close()
                self.turn = None

    def end_turn_outside_transaction(self) -> None:
        """Give the turn back unless a write transaction is still open."""
        # Called after commit and rollback, and after every statement: one that failed
        # before it began, or ran in autocommit mode, leaves no transaction to wait for.
        if self.turn is not None and self.turn.held and not self.in_transaction:
            self.turn.give_back()


def writers_lock_path(database_file: Path) -> Path:
    """Return the lock file the writers of `database_file` take turns on."""
    return database_file.with_name(database_file.name + ".writers")
