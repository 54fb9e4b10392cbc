"""Scheduled jobs: plain functions of (session, now, settings), registered in one table (SPEC §7).

The clock process (`hotline scheduler`) only wires each job's trigger to this
table; `hotline jobs run NAME --at ISO` runs one job once, as of that instant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from ..db import session_scope
from ..messaging.dispatch import dispatch_outbox
from ..messaging.transport import transport_for
from ..models import JobRun
from ..services.escalation import escalate_unacked

Settings = Mapping[str, Any]


@dataclass(frozen=True)
class Job:
    """A job: its name, its trigger (APScheduler keyword arguments) and what it does."""

    name: str
    trigger: dict[str, Any]
    run: Callable[[Session, datetime, Settings], str]
    summary: str

    def describe_trigger(self) -> str:
        """Return the trigger in words, e.g. "interval (1 minutes)"."""
        details = ", ".join(f"{v} {k}" for k, v in self.trigger.items() if k != "trigger")
        return f"{self.trigger['trigger']} ({details})"


def _escalate(session: Session, now: datetime, settings: Settings) -> str:
    told = escalate_unacked(
        session, now, settings["HOTLINE_ACK_MINUTES"], settings["HOTLINE_NUMBER"]
    )
    return f"{told} people texted about unacknowledged referrals"


def _dispatch(session: Session, now: datetime, settings: Settings) -> str:
    report = dispatch_outbox(session, now, transport_for(settings))
    return (
        f"{report.sent} sent, {report.retried} to retry, {report.failed} failed, "
        f"{report.suppressed} suppressed"
    )


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "escalate-unacked",
            {"trigger": "interval", "minutes": 1},
            _escalate,
            "text the next person about SMS referrals nobody acknowledged",
        ),
        Job(
            "dispatch-outbox",
            {"trigger": "interval", "seconds": 10},
            _dispatch,
            "send queued texts, retrying failures with backoff",
        ),
    )
}


def run_job(app: Flask, name: str, now: datetime) -> str:
    """Run one job once as of `now`, recording its run; return what it did."""
    job = JOBS[name]
    started = datetime.now(UTC)
    try:
        with session_scope(app) as session:
            result = job.run(session, now, app.config)
    except Exception as error:
        _record_run(app, name, started, now, f"failed: {type(error).__name__}: {error}", ok=False)
        raise
    _record_run(app, name, started, now, result, ok=True)
    return result


def _record_run(
    app: Flask, name: str, started: datetime, now: datetime, result: str, ok: bool
) -> None:
    with session_scope(app) as session:
        run = session.get(JobRun, name) or JobRun(name=name, started_at=started)
        run.started_at, run.finished_at, run.ran_for = started, datetime.now(UTC), now
        run.result, run.ok = result[:300], ok
        session.merge(run)
