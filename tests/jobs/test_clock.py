"""The clock process runs jobs on their triggers, survives a failing job and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from hotline import jobs
from hotline.db import session_scope
from hotline.jobs.clock import build_scheduler
from hotline.models import JobRun

DEADLINE_SECONDS = 20


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until it holds, failing after a deadline (no fixed sleeps)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def runs(app: Flask) -> dict[str, JobRun]:
    with session_scope(app) as session:
        return {run.name: run for run in session.scalars(select(JobRun))}


def test_a_failing_job_does_not_stop_the_others(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(
        jobs.JOBS,
        "broken",
        jobs.Job("broken", {"trigger": "interval", "seconds": 1}, broken, "fails"),
    )
    scheduler = build_scheduler(app, every_seconds=1, only=("broken", "dispatch-outbox"))
    scheduler.start()
    try:
        wait_for(
            lambda: "broken" in runs(app) and "dispatch-outbox" in runs(app), "both jobs to run"
        )
        first = runs(app)["dispatch-outbox"].finished_at
        wait_for(
            lambda: runs(app)["dispatch-outbox"].finished_at != first,
            "dispatch-outbox to run again",
        )
    finally:
        scheduler.shutdown(wait=True)
    broken_run = runs(app)["broken"]
    assert not broken_run.ok and broken_run.result == "failed: RuntimeError: disk on fire"
    assert runs(app)["dispatch-outbox"].ok


def test_scheduler_process_runs_a_job_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clock.db'}"
    env = {
        **os.environ,
        "HOTLINE_ENV": "production",
        "SECRET_KEY": "clock-test-" + "k" * 22,
        "TWILIO_AUTH_TOKEN": "clock-test",
        "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
        "DATABASE_URL": url,
    }
    hotline = [sys.executable, "-m", "hotline.cli"]
    subprocess.run([*hotline, "db", "upgrade"], env=env, check=True, capture_output=True)
    clock = subprocess.Popen(
        [*hotline, "scheduler", "--every", "1", "--only", "dispatch-outbox"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    engine = create_engine(url)
    try:

        def ran() -> bool:
            with engine.connect() as connection:
                return connection.execute(text("SELECT count(*) FROM job_runs")).scalar_one() > 0

        wait_for(ran, "the clock to run dispatch-outbox")
        clock.send_signal(signal.SIGTERM)
        output, _ = clock.communicate(timeout=DEADLINE_SECONDS)
    finally:
        engine.dispose()
        if clock.poll() is None:
            clock.kill()
    assert clock.returncode == 0, output
    assert "job dispatch-outbox took" in output
    assert "scheduler stopped" in output


def test_the_daily_runs_keep_the_programs_hours_not_utcs(app: Flask) -> None:
    # Coverage gaps at 08:00 where the program is: at 08:00 UTC, supervisors in Los Angeles
    # were texted at midnight.
    scheduler = build_scheduler(app)
    zone = ZoneInfo(app.config["HOTLINE_TIMEZONE"])
    winter = datetime(2026, 12, 5, 12, tzinfo=UTC)
    for name, hour_minute in (("coverage-gaps", (8, 0)), ("retention", (3, 30))):
        trigger = scheduler.get_job(name).trigger
        fire = trigger.get_next_fire_time(None, winter).astimezone(zone)
        assert (fire.hour, fire.minute) == hour_minute, name
        summer = trigger.get_next_fire_time(None, datetime(2027, 7, 1, tzinfo=UTC))
        assert summer.astimezone(zone).hour == hour_minute[0], name


def test_a_daily_run_missed_while_the_clock_was_paused_runs_when_it_resumes(app: Flask) -> None:
    # A clock process paused over 08:00 (a host suspended, a stalled machine) used to skip
    # the day's coverage-gaps run when it woke more than 60 s late: gaps waited a day.
    scheduler = build_scheduler(app, only=("coverage-gaps",))
    scheduler.start(paused=True)
    try:
        five_minutes_late = datetime.now(UTC) - timedelta(minutes=5)
        scheduler.modify_job("coverage-gaps", next_run_time=five_minutes_late)
        scheduler.resume()
        wait_for(lambda: "coverage-gaps" in runs(app), "the missed daily run")
    finally:
        scheduler.shutdown(wait=True)
    assert runs(app)["coverage-gaps"].ok
