"""The clock process: APScheduler runs every job on its trigger until SIGTERM (SPEC §7).

A trigger counts from the clock's start, so a clock that was down at 08:00 would
wait for tomorrow's 08:00: each job whose last run is older than its latest
scheduled time runs once as the clock starts.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import select

from ..db import session_scope
from ..logs import log_exception
from ..models import JobRun
from . import JOBS, run_job

log = logging.getLogger(__name__)


def run_safely(app: Flask, name: str) -> None:
    """Run one job as of now; a failure is logged and waits for the next trigger."""
    started = time.monotonic()
    try:
        result = run_job(app, name, datetime.now(UTC))
    except Exception:
        log_exception(log, "job %s failed after %.0f ms", name, (time.monotonic() - started) * 1000)
        return
    log.info("job %s took %.0f ms: %s", name, (time.monotonic() - started) * 1000, result)


def trigger_of(spec: Mapping[str, Any], zone: ZoneInfo) -> BaseTrigger:
    """Return the APScheduler trigger a job's spec names; a time of day is read in `zone`."""
    fields = {key: value for key, value in spec.items() if key != "trigger"}
    if spec["trigger"] == "cron":  # a time of day is the program's: 08:00 where it is
        return CronTrigger(timezone=zone, **fields)
    return IntervalTrigger(timezone=UTC, **fields)


def latest_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """Return when `trigger` last fired at or before `now` (an interval: one interval ago)."""
    if isinstance(trigger, IntervalTrigger):
        interval: timedelta = trigger.interval
        return now - interval
    # Walk the trigger's own fire times (its zone, so DST included) over a widening look-back.
    for days in (2, 8, 32, 367):
        latest: datetime | None = None
        fire: datetime | None = trigger.get_next_fire_time(None, now - timedelta(days=days))
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire)
        if latest is not None:
            return latest
    return None


def due_at_start(
    triggers: Mapping[str, BaseTrigger], last_runs: Mapping[str, datetime], now: datetime
) -> set[str]:
    """Return the jobs whose last run that worked is older than their latest fire time.

    A job never run (or whose last run failed) is due: jobs are idempotent, so a
    run too many costs nothing, and a missed one can cost supervisors a day.
    """
    due = set()
    for name, trigger in triggers.items():
        latest = latest_fire_time(trigger, now)
        ran = last_runs.get(name)
        if latest is not None and (ran is None or ran < latest):
            due.add(name)
    return due


def last_runs(app: Flask) -> dict[str, datetime]:
    """Return, for each job whose last run worked, the instant that run covered.

    That is the earlier of the instant it ran as of (`jobs run --at`, the clock's
    now, a rotation edit's) and when it ended: a run as of tomorrow made today
    covers nothing yet.
    """
    with session_scope(app) as session:
        rows = session.execute(
            select(JobRun.name, JobRun.ran_for, JobRun.finished_at).where(JobRun.ok)
        )
        return {
            name: min(ran_for or finished_at, finished_at)
            for name, ran_for, finished_at in rows
            if finished_at is not None
        }


def build_scheduler(
    app: Flask,
    every_seconds: int | None = None,
    only: tuple[str, ...] = (),
    now: datetime | None = None,
) -> BackgroundScheduler:
    """Return a scheduler with each job on its trigger (or every N seconds, for trials).

    A job that missed its latest fire time (as of `now`, default the clock's) runs at start.
    """
    now = now or datetime.now(UTC)
    zone = ZoneInfo(app.config["HOTLINE_TIMEZONE"])
    triggers = {
        job.name: trigger_of(
            {"trigger": "interval", "seconds": every_seconds} if every_seconds else job.trigger,
            zone,
        )
        for job in JOBS.values()
        if not only or job.name in only
    }
    try:
        ran = last_runs(app)
    except Exception:
        # A clock must start without its database; each job then runs, and fails, at start.
        log_exception(log, "could not read the last runs: every job runs at start")
        ran = {}
    due = due_at_start(triggers, ran, now)
    scheduler = BackgroundScheduler(timezone=UTC)
    for name, trigger in triggers.items():
        start: dict[str, Any] = {"next_run_time": now} if name in due else {}
        scheduler.add_job(
            run_safely,
            trigger,
            args=(app, name),
            id=name,
            name=name,
            # One run at a time per job, and a late run is made once, not once per miss;
            # however late (a paused or stalled process), since a skipped daily run waits a day.
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            **start,
        )
    return scheduler


def run_until_stopped(scheduler: BackgroundScheduler) -> None:
    """Start the scheduler and block until SIGTERM or SIGINT, then stop after running jobs end."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the jobs under way", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler.start()
    log.info("scheduler started with %s", ", ".join(job.id for job in scheduler.get_jobs()))
    while not stop.wait(timeout=1):
        pass
    scheduler.shutdown(wait=True)
    log.info("scheduler stopped")
