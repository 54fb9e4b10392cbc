"""Scheduled jobs: plain functions of (session, now, settings), registered in one table (SPEC §7).

The clock process (`hotline scheduler`) only wires each job's trigger to this
table; `hotline jobs run NAME --at ISO` runs one job once, as of that instant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import case, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..db import session_scope
from ..health import refused_result
from ..logs import log_exception
from ..messaging.dispatch import dispatch_outbox
from ..messaging.transport import transport_for
from ..models import JobRun
from ..services.callbacks import place_due_callbacks
from ..services.deadlines import miss_overdue_intakes
from ..services.erased_recordings import delete_erased_recordings
from ..services.escalation import escalate_unacked
from ..services.notices import announce_gaps, send_shift_notices
from ..services.oncall import COVERAGE_CHANGED
from ..services.participant_erasure import erase_old_participants
from ..services.retention import erase_old_referrals, erase_unfiled_texts
from ..services.voicemail import close_silent_calls, link_kept_recordings
from ..statements import insert_unless_present

Settings = Mapping[str, Any]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a run did, and whether it did what its job is for.

    `served` is False for a run that worked yet failed its purpose (every text
    refused by the carrier, whose answer is `refused`), and None for a run that
    had nothing to judge by (no text to send): the last run's verdict then stands.
    """

    result: str
    served: bool | None = True
    refused: str | None = None


@dataclass(frozen=True)
class Job:
    """A job: its name, its trigger (APScheduler keyword arguments) and what it does."""

    name: str
    trigger: dict[str, Any]
    run: Callable[[Session, datetime, Settings], str | Outcome]
    summary: str

    def describe_trigger(self) -> str:
        """Return the trigger in words, e.g. "interval (1 minutes)"."""
        details = ", ".join(f"{v} {k}" for k, v in self.trigger.items() if k != "trigger")
        where = ", in HOTLINE_TIMEZONE" if self.trigger["trigger"] == "cron" else ""
        return f"{self.trigger['trigger']} ({details}{where})"


def _escalate(session: Session, now: datetime, settings: Settings) -> str:
    sender = settings["HOTLINE_NUMBER"]
    public_url = settings["HOTLINE_PUBLIC_URL"]
    told = escalate_unacked(session, now, settings["HOTLINE_ACK_MINUTES"], sender, public_url)
    # After the escalations: a call that cannot be closed must not hold them back.
    closed = close_silent_calls(session, now, sender, public_url, transport_for(settings))
    silent = f"; {closed} calls closed whose end never came" if closed else ""
    linked = link_kept_recordings(session, now, sender, public_url)
    kept = f"; {linked} voicemail messages linked late" if linked else ""
    return f"{told} people texted about unacknowledged referrals{silent}{kept}"


def _shift_notices(session: Session, now: datetime, settings: Settings) -> str:
    notice = timedelta(minutes=settings["HOTLINE_SHIFT_NOTICE_MINUTES"])
    zone = ZoneInfo(settings["HOTLINE_TIMEZONE"])
    sent = send_shift_notices(session, now, notice, zone, settings["HOTLINE_NUMBER"])
    return f"{sent} shift notices"


def _coverage_gaps(session: Session, now: datetime, settings: Settings) -> str:
    zone = ZoneInfo(settings["HOTLINE_TIMEZONE"])
    new = announce_gaps(
        session, now, zone, settings["HOTLINE_NUMBER"], settings["HOTLINE_PUBLIC_URL"]
    )
    return f"{new} new tier-1 gaps announced"


def _intake_deadlines(session: Session, now: datetime, settings: Settings) -> str:
    days = settings["HOTLINE_INTAKE_DAYS"]
    missed = miss_overdue_intakes(session, now, days, settings["HOTLINE_NUMBER"])
    return f"{missed} referrals past the intake window"


def _retention(session: Session, now: datetime, settings: Settings) -> str:
    days = settings["HOTLINE_RETENTION_DAYS"]
    # Recordings at Twilio are this account's: their URLs stay until Twilio deleted them.
    account = settings.get("TWILIO_ACCOUNT_SID") if days else None
    erased = erase_old_referrals(session, now, days, account)
    people = erase_old_participants(session, now, days, account)
    texts = erase_unfiled_texts(session, now, days)
    recordings = delete_erased_recordings(session, now, transport_for(settings), account)
    counts = (
        f"{erased} referrals erased, {people} participants erased, "
        f"{texts} texts outside any record erased"
    )
    if recordings.deleted or recordings.waiting:
        counts += (
            f"; {recordings.deleted} recordings deleted at Twilio, "
            f"{recordings.waiting} waiting for Twilio"
        )
    return counts


def _dispatch(session: Session, now: datetime, settings: Settings) -> Outcome:
    transport = transport_for(settings)
    report = dispatch_outbox(session, now, transport)
    # Calls back asked for by text wait here; one asked for on the web is placed at once.
    calls = place_due_callbacks(session, now, transport, settings["HOTLINE_NUMBER"])
    placed = sum(1 for call in calls if call.result.succeeded)
    counts = (
        f"{report.sent} sent, {report.retried} to retry, {report.failed} failed, "
        f"{report.suppressed} suppressed; {placed} of {len(calls)} calls back placed"
    )
    if report.carrier_error:
        # The clock runs, but texts are not going out: /healthz must say so (SPEC §2).
        refused = f"Twilio answered {report.carrier_error}"
        return Outcome(refused_result(refused, counts), served=False, refused=refused)
    return Outcome(counts, served=True if report.tried else None)


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "escalate-unacked",
            {"trigger": "interval", "minutes": 1},
            _escalate,
            "text the next person about referrals (texts, calls nobody took) nobody acknowledged",
        ),
        Job(
            "shift-notices",
            {"trigger": "interval", "minutes": 5},
            _shift_notices,
            "text each person before an on-call segment of theirs starts",
        ),
        Job(
            "coverage-gaps",
            {"trigger": "cron", "hour": 8, "minute": 0},
            _coverage_gaps,
            "text supervisors about new tier-1 gaps in the next 14 days",
        ),
        Job(
            "intake-deadlines",
            {"trigger": "interval", "hours": 1},
            _intake_deadlines,
            "mark arrest diversions past the intake window intake_missed",
        ),
        Job(
            "dispatch-outbox",
            {"trigger": "interval", "seconds": 10},
            _dispatch,
            "send queued texts, retrying failures with backoff, and place calls back",
        ),
        Job(
            "retention",
            {"trigger": "cron", "hour": 3, "minute": 30},
            _retention,
            "erase participant identifiers of old closed referrals",
        ),
    )
}


def run_job(app: Flask, name: str, now: datetime) -> str:
    """Run one job once as of `now`, recording its run; return what it did."""
    return run_job_for_outcome(app, name, now).result


def run_job_for_outcome(app: Flask, name: str, now: datetime) -> Outcome:
    """Run one job once as of `now`, recording its run; return its outcome."""
    job = JOBS[name]
    started = datetime.now(UTC)
    try:
        with session_scope(app) as session:
            done = job.run(session, now, app.config)
    except Exception as error:
        # A database error's text can quote a row: keep only its kind.
        reason = (
            "database error"
            if isinstance(error, DBAPIError)
            else f"{type(error).__name__}: {error}"
        )
        _record_run(app, name, started, now, Outcome(f"failed: {reason}", served=False))
        raise
    outcome = done if isinstance(done, Outcome) else Outcome(done)
    _record_run(app, name, started, now, outcome)
    return outcome


def _record_run(app: Flask, name: str, started: datetime, now: datetime, outcome: Outcome) -> None:
    with session_scope(app) as session:
        # Two clocks may finish the same job at once: create the row once, then update it.
        insert_unless_present(session, JobRun, {"name": name, "started_at": started, "ok": True})
        finished = datetime.now(UTC)
        values: dict[str, Any] = {"started_at": started, "finished_at": finished, "ran_for": now}
        run = JobRun.__table__.c
        if outcome.served is None:
            # Nothing to judge by: a carrier's refusal stands until a text goes out,
            # anything else (an earlier crash) is over, since this run worked.
            refused = run.refused.is_not(None)
            values |= {
                "result": case((refused, run.result), else_=outcome.result[:300]),
                "ok": case((refused, False), else_=True),
                "succeeded_at": case((refused, run.succeeded_at), else_=finished),
            }
        else:
            refusal = outcome.refused[:300] if outcome.refused else None
            values |= {"result": outcome.result[:300], "ok": outcome.served, "refused": refusal}
            if outcome.served:
                # A failed run keeps the time of the last success: /healthz counts from it.
                values["succeeded_at"] = finished
        session.execute(update(JobRun).where(JobRun.name == name).values(**values))


def check_coverage_if_changed(app: Flask, session: Session, now: datetime) -> None:
    """Run coverage-gaps right after a committed rotation, override or staffing change."""
    if not session.info.pop(COVERAGE_CHANGED, False):
        return
    try:
        run_job(app, "coverage-gaps", now)
    except Exception:
        # The change itself is saved; the daily run will announce what this one could not.
        log_exception(log, "coverage check after a change failed")
