"""Read the database on a daemon thread joined with a deadline (for /healthz and /metrics).

A server that accepts a connection and never answers would otherwise hold the
request, and the worker, until gunicorn's timeout. At most one read per reader
runs at a time, on connections bounded by their own timeouts, so a stuck
database never piles up threads or connections.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

T = TypeVar("T")

# Bounds of the reader's own PostgreSQL connections, so a stuck thread ends by itself.
CONNECT_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 2000


class Unanswered(Exception):
    """The database did not answer in time, or failed; the message says which, in short.

    A read may raise it itself, with words of its own that hold no data.
    """


@dataclass
class _Attempt(Generic[T]):
    """One read, shared by the requests that arrive while it runs."""

    started: float
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    failure: str | None = None


class BoundedReader(Generic[T]):
    """Run one read function against an engine, answering within `deadline` seconds."""

    def __init__(self, engine: Engine, read: Callable[[Connection], T], deadline: float) -> None:
        self._engine = bounded_engine(engine)
        self._read = read
        self.deadline = deadline
        self._lock = threading.Lock()
        self._attempt: _Attempt[T] | None = None

    def __call__(self) -> T:
        """Return what the read returned, or raise Unanswered."""
        with self._lock:
            attempt = self._attempt
            if attempt is None or attempt.done.is_set():
                attempt = self._attempt = _Attempt(time.monotonic())
                threading.Thread(
                    target=self._run, args=(attempt,), name="bounded-read", daemon=True
                ).start()
        # A read started earlier and still stuck past its deadline answers at once.
        remaining = attempt.started + self.deadline - time.monotonic()
        if not attempt.done.wait(max(remaining, 0)):
            raise Unanswered(f"no answer within {self.deadline:g} s")
        if attempt.failure is not None:
            raise Unanswered(attempt.failure)
        return attempt.value  # type: ignore[return-value]

    def _run(self, attempt: _Attempt[T]) -> None:
        try:
            with self._engine.connect() as connection:
                attempt.value = self._read(connection)
        except Unanswered as error:
            attempt.failure = str(error)
        except Exception as error:
            # Only the error's kind: its text may name hosts or quote a statement.
            attempt.failure = f"error: {type(error).__name__}"
        finally:
            attempt.done.set()


def bounded_engine(app_engine: Engine) -> Engine:
    """Return an engine whose connections give up by themselves on a server database."""
    url = make_url(app_engine.url)
    if url.get_backend_name() == "sqlite":
        return app_engine  # a local file: no network to hang on
    options = " ".join(
        part
        for part in (
            str(url.query.get("options", "")),
            f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        )
        if part
    )
    return create_engine(
        url,
        poolclass=NullPool,  # nothing stuck stays in a pool
        hide_parameters=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "options": options},
    )
