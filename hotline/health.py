"""GET /healthz: the database answers within 1 s and the clock is sending texts (SPEC §2).

An uptime checker polls this without signing in, so it shows no participant
data. The database is probed on a daemon thread joined with a deadline, so a
server that accepts a connection and never answers still gets a 503 in time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from .db import database
from .models import JobRun, Message

DATABASE_DEADLINE_SECONDS = 1.0
CLOCK_STALE_AFTER = timedelta(minutes=3)
CLOCK_JOB = "dispatch-outbox"
EXTENSION_KEY = "hotline.health"
# Bounds of the probe's own PostgreSQL connection, so that a stuck probe thread
# ends by itself (at most one runs at a time; see Probe.check).
PROBE_CONNECT_TIMEOUT_SECONDS = 2
PROBE_STATEMENT_TIMEOUT_MS = 2000

bp = Blueprint("health", __name__)


@dataclass(frozen=True)
class Health:
    """What /healthz answers: each part "ok" or a short description of its failure."""

    database: str
    clock: str
    outbox_queued: int | None

    @property
    def ok(self) -> bool:
        """Tell whether every part is ok."""
        return self.database == "ok" and self.clock == "ok"

    def as_json(self) -> dict[str, Any]:
        """Return the JSON body of /healthz."""
        return {
            "status": "ok" if self.ok else "failing",
            "database": self.database,
            "clock": self.clock,
            "outbox_queued": self.outbox_queued,
        }


def clock_state(succeeded_at: datetime | None, now: datetime) -> str:
    """Return "ok" when dispatch-outbox last succeeded within 3 minutes of `now`, else why not."""
    if succeeded_at is None:
        # A clock process that was never started is the failure to catch, so no grace period.
        return f"never ran: no successful {CLOCK_JOB} run yet, texts are not going out"
    if now - succeeded_at <= CLOCK_STALE_AFTER:
        return "ok"
    minutes = int((now - succeeded_at).total_seconds() // 60)
    return (
        f"stale: last successful {CLOCK_JOB} run {minutes} minutes ago "
        f"({succeeded_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}), texts are not going out"
    )


def last_clock_success(session: Session | Connection) -> datetime | None:
    """Return when dispatch-outbox last succeeded (one small query), or None."""
    value: datetime | None = session.scalar(
        select(JobRun.succeeded_at).where(JobRun.name == CLOCK_JOB)
    )
    return value


def read_health(connection: Connection, now: datetime) -> Health:
    """Ask the database the trivial query, the outbox size and the clock's last success."""
    connection.execute(text("SELECT 1"))
    queued = connection.scalar(
        select(func.count()).select_from(Message).where(Message.status == "queued")
    )
    return Health("ok", clock_state(last_clock_success(connection), now), int(queued or 0))


@dataclass
class _Attempt:
    """One probe of the database, shared by the requests that arrive while it runs."""

    started: float
    done: threading.Event = field(default_factory=threading.Event)
    health: Health | None = None


class Probe:
    """Probe the database on a daemon thread; never more than one thread at a time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._attempt: _Attempt | None = None

    def check(self, now: datetime) -> Health:
        """Return the health as of `now`, waiting at most the deadline for the database."""
        with self._lock:
            attempt = self._attempt
            if attempt is None or attempt.done.is_set():
                attempt = self._attempt = _Attempt(time.monotonic())
                threading.Thread(
                    target=self._run, args=(attempt, now), name="healthz-probe", daemon=True
                ).start()
        remaining = attempt.started + DATABASE_DEADLINE_SECONDS - time.monotonic()
        # An earlier probe still stuck past its deadline answers for this request at once.
        if attempt.done.wait(max(remaining, 0)) and attempt.health is not None:
            return attempt.health
        return Health(
            f"no answer within {DATABASE_DEADLINE_SECONDS:g} s", "unknown (no database)", None
        )

    def _run(self, attempt: _Attempt, now: datetime) -> None:
        try:
            with self._engine.connect() as connection:
                attempt.health = read_health(connection, now)
        except Exception as error:
            # Only the error's kind: its text may name hosts or quote a statement.
            attempt.health = Health(f"error: {type(error).__name__}", "unknown (no database)", None)
        finally:
            attempt.done.set()


def probe_engine(app_engine: Engine) -> Engine:
    """Return an engine for the probe: its own bounded connections on a server database."""
    url = make_url(app_engine.url)
    if url.get_backend_name() == "sqlite":
        return app_engine  # a local file: no network to hang on
    options = " ".join(
        part
        for part in (
            str(url.query.get("options", "")),
            f"-c statement_timeout={PROBE_STATEMENT_TIMEOUT_MS}",
        )
        if part
    )
    return create_engine(
        url,
        poolclass=NullPool,  # nothing stuck stays in a pool
        hide_parameters=True,
        connect_args={"connect_timeout": PROBE_CONNECT_TIMEOUT_SECONDS, "options": options},
    )


def probe(app: Flask) -> Probe:
    """Return the app's probe, creating it (and its engine, still unconnected) on first use."""
    found: Probe | None = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions.setdefault(EXTENSION_KEY, Probe(probe_engine(database(app).engine)))
    return found


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Answer 200 when every part is ok, else 503 naming what fails."""
    health = probe(current_app).check(datetime.now(UTC))
    response = jsonify(health.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if health.ok else 503
