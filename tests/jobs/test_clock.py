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
from hotline.jobs.clock import build_scheduler, due_at_start, last_runs, trigger_of
from hotline.models import JobRun
from tests.jobs.conftest import SPEC_JOBS

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


def test_the_scheduler_registers_each_job_of_the_contract_once_on_its_trigger(
    app: Flask,
) -> None:
    # SPEC §7: "registered once in `hotline scheduler`", each on its trigger: escalate-unacked
    # every minute, shift-notices every 5 min, coverage-gaps daily, intake-deadlines hourly,
    # dispatch-outbox every 10 s, retention daily.
    scheduler = build_scheduler(app)
    names = [job.id for job in scheduler.get_jobs()]
    assert sorted(names) == sorted(SPEC_JOBS)
    after = datetime(2026, 12, 5, 12, tzinfo=UTC)  # no DST change in the next days
    expected = {
        "escalate-unacked": timedelta(minutes=1),
        "shift-notices": timedelta(minutes=5),
        "coverage-gaps": timedelta(days=1),
        "intake-deadlines": timedelta(hours=1),
        "dispatch-outbox": timedelta(seconds=10),
        "retention": timedelta(days=1),
    }
    for name, every in expected.items():
        trigger = scheduler.get_job(name).trigger
        first = trigger.get_next_fire_time(None, after)
        second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
        assert second - first == every, name


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


LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def pacific(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Return an instant of 2027 by the wall clock in Los Angeles."""
    return datetime(2027, month, day, hour, minute, tzinfo=LOS_ANGELES)


class TestDueAtStart:
    """A clock starting after a job's scheduled time runs the job once if it missed it."""

    @pytest.mark.parametrize(
        ("name", "last_run", "now", "due"),
        [
            # 14 March 2027: clocks spring forward; 24 h before 08:00 PDT is 07:00 PST.
            ("coverage-gaps", pacific(3, 13, 7, 30), pacific(3, 14, 7, 30), True),
            ("coverage-gaps", pacific(3, 13, 8), pacific(3, 14, 7, 59), False),
            ("coverage-gaps", pacific(3, 13, 8), pacific(3, 14, 8), True),
            ("coverage-gaps", pacific(3, 14, 8, 1), pacific(3, 14, 8, 5), False),
            ("retention", pacific(3, 13, 3, 30), pacific(3, 14, 3, 35), True),
            # 7 November 2027: clocks fall back; 24 h before 08:00 PST is 09:00 PDT.
            ("coverage-gaps", pacific(11, 6, 8), pacific(11, 7, 7, 30), False),
            ("coverage-gaps", pacific(11, 6, 8), pacific(11, 7, 8, 5), True),
            ("coverage-gaps", None, pacific(11, 7, 7, 30), True),
            ("intake-deadlines", pacific(11, 7, 7), pacific(11, 7, 7, 59), False),
            ("intake-deadlines", pacific(11, 7, 7), pacific(11, 7, 8, 1), True),
        ],
    )
    def test_a_job_is_due_when_its_last_run_is_older_than_its_latest_scheduled_time(
        self, name: str, last_run: datetime | None, now: datetime, due: bool
    ) -> None:
        triggers = {name: trigger_of(jobs.JOBS[name].trigger, LOS_ANGELES)}
        last_runs = {name: last_run} if last_run else {}

        assert due_at_start(triggers, last_runs, now) == ({name} if due else set())

    def test_a_run_by_hand_or_after_an_edit_counts_and_a_failed_one_does_not(
        self, app: Flask, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        now = datetime.now(UTC)
        jobs.run_job(app, "coverage-gaps", now - timedelta(hours=1))  # `hotline jobs run`
        jobs.run_job(app, "retention", now + timedelta(days=3))  # as of a day not yet come

        def broken(*args: object) -> str:
            raise RuntimeError("disk on fire")

        monkeypatch.setitem(
            jobs.JOBS, "broken", jobs.Job("broken", {"trigger": "interval", "hours": 1}, broken, "")
        )
        with pytest.raises(RuntimeError):
            jobs.run_job(app, "broken", now)

        ran = last_runs(app)

        assert ran["coverage-gaps"] == now - timedelta(hours=1)
        assert now < ran["retention"] < datetime.now(UTC)  # when it ended, not its --at
        assert "broken" not in ran


def test_a_clock_started_after_a_missed_daily_run_makes_it_once_and_not_one_up_to_date(
    app: Flask,
) -> None:
    # The clock was down at 08:00 (a deploy, a crash): coverage-gaps used to wait a day.
    now = datetime.now(UTC)
    two_days_ago = now - timedelta(days=2)
    with session_scope(app) as session:
        session.add_all(
            [
                JobRun(
                    name="coverage-gaps",
                    started_at=two_days_ago,
                    finished_at=two_days_ago,
                    ran_for=two_days_ago,
                    result="0 new tier-1 gaps announced",
                ),
                JobRun(
                    name="retention", started_at=now, finished_at=now, ran_for=now, result="kept"
                ),
            ]
        )
    scheduler = build_scheduler(app, only=("coverage-gaps", "retention"))
    scheduler.start()
    try:
        wait_for(lambda: runs(app)["coverage-gaps"].ran_for > now, "the missed run at start")
        next_gaps = scheduler.get_job("coverage-gaps").next_run_time
        next_retention = scheduler.get_job("retention").next_run_time
    finally:
        scheduler.shutdown(wait=True)
    zone = ZoneInfo(app.config["HOTLINE_TIMEZONE"])
    assert runs(app)["coverage-gaps"].ok
    # Once: the next run is the next 08:00, within a day.
    assert now < next_gaps <= now + timedelta(days=1)
    assert (next_gaps.astimezone(zone).hour, next_gaps.astimezone(zone).minute) == (8, 0)
    assert runs(app)["retention"].result == "kept"  # up to date: left to its 03:30
    assert (next_retention.astimezone(zone).hour, next_retention.astimezone(zone).minute) == (3, 30)
