"""GET /healthz: the database answers within 1 s and the clock is sending texts (SPEC §2).

An uptime checker polls this without signing in, so it shows no participant
data. The database is read on a daemon thread joined with a 1 s deadline
(bounded_read), so a server that accepts a connection and never answers
still gets a 503 in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from .bounded_read import BoundedReader, Unanswered
from .db import database
from .migrations import behind
from .models import JobRun, Message

DATABASE_DEADLINE_SECONDS = 1.0
CLOCK_STALE_AFTER = timedelta(minutes=3)
CLOCK_JOB = "dispatch-outbox"
EXTENSION_KEY = "hotline.health"
# How a dispatch-outbox run whose texts the carrier refused words its result, for
# `hotline jobs list` (the refusal itself has its own column): "<this><reason>; <counts>".
NOT_GOING_OUT = "texts are not going out: "

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


@dataclass(frozen=True)
class ClockRun:
    """What the clock's dispatch-outbox last did: when it last succeeded, and a refusal since."""

    succeeded_at: datetime | None = None
    # Why the carrier refused the texts since (e.g. "Twilio answered HTTP 401 …"), if it did.
    refused: str | None = None


def refused_result(reason: str, counts: str) -> str:
    """Return the recorded result of a dispatch-outbox run whose texts were refused."""
    return f"{NOT_GOING_OUT}{reason}; {counts}"


def clock_state(run: ClockRun, now: datetime) -> str:
    """Return "ok" when dispatch-outbox last succeeded within 3 minutes of `now`, else why not."""
    why = f"{NOT_GOING_OUT}{run.refused}" if run.refused else NOT_GOING_OUT.removesuffix(": ")
    if run.succeeded_at is None:
        # A clock process that was never started is the failure to catch, so no grace period.
        return f"never ran: no successful {CLOCK_JOB} run yet, {why}"
    if now - run.succeeded_at <= CLOCK_STALE_AFTER:
        return "ok"
    minutes = int((now - run.succeeded_at).total_seconds() // 60)
    return (
        f"stale: last successful {CLOCK_JOB} run {minutes} minutes ago "
        f"({run.succeeded_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}), {why}"
    )


def last_clock_run(session: Session | Connection) -> ClockRun:
    """Return what dispatch-outbox last did (one small query)."""
    row = session.execute(
        select(JobRun.succeeded_at, JobRun.refused).where(JobRun.name == CLOCK_JOB)
    ).first()
    if row is None:
        return ClockRun()
    succeeded_at, refused = row
    return ClockRun(succeeded_at, refused)


def read_outbox_and_clock(connection: Connection) -> tuple[int, ClockRun]:
    """Ask the trivial query, then the outbox size and what the clock last did.

    A database the release step left behind is named as such, with the command that
    mends it, not as the error its missing columns would raise.
    """
    connection.execute(text("SELECT 1"))
    why = behind(connection)
    if why is not None:
        raise Unanswered(why)
    queued = connection.scalar(
        select(func.count()).select_from(Message).where(Message.status == "queued")
    )
    return int(queued or 0), last_clock_run(connection)


def reader(app: Flask) -> BoundedReader[tuple[int, ClockRun]]:
    """Return the app's health reader, created (still unconnected) on first use."""
    found: BoundedReader[tuple[int, ClockRun]] | None = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions.setdefault(
            EXTENSION_KEY,
            BoundedReader(database(app).engine, read_outbox_and_clock, DATABASE_DEADLINE_SECONDS),
        )
    return found


def check(app: Flask, now: datetime) -> Health:
    """Return the health as of `now`, waiting at most 1 s for the database."""
    try:
        queued, run = reader(app)()
    except Unanswered as failure:
        return Health(str(failure), "unknown (no database)", None)
    return Health("ok", clock_state(run, now), queued)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Answer 200 when every part is ok, else 503 naming what fails."""
    health = check(current_app, datetime.now(UTC))
    response = jsonify(health.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if health.ok else 503
