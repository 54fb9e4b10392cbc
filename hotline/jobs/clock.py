"""The clock process: APScheduler runs every job on its trigger until SIGTERM (SPEC §7)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from ..logs import log_exception
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


def build_scheduler(
    app: Flask, every_seconds: int | None = None, only: tuple[str, ...] = ()
) -> BackgroundScheduler:
    """Return a scheduler with each job on its trigger (or every N seconds, for trials)."""
    scheduler = BackgroundScheduler(timezone=UTC)
    for job in JOBS.values():
        if only and job.name not in only:
            continue
        trigger = (
            {"trigger": "interval", "seconds": every_seconds} if every_seconds else job.trigger
        )
        if trigger["trigger"] == "cron":  # a time of day is the program's: 08:00 where it is
            trigger = {**trigger, "timezone": ZoneInfo(app.config["HOTLINE_TIMEZONE"])}
        scheduler.add_job(
            run_safely,
            args=(app, job.name),
            id=job.name,
            name=job.name,
            # One run at a time per job, and a late run is made once, not once per miss;
            # however late (a paused or stalled process), since a skipped daily run waits a day.
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            **trigger,
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
