"""The CLI refuses far instants in one line and computes around broken rows (SPEC §2)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hotline import create_app, migrations
from hotline.cli import create_cli_app, main
from hotline.db import database, session_scope
from hotline.jobs import JOBS
from hotline.models import JobRun, Message, Override
from tests.factories import add_rotation, add_user


def clean_failure(result: Result) -> bool:
    """Tell whether a command failed with a one-line error, not a traceback."""
    return (
        result.exit_code != 0
        and isinstance(result.exception, SystemExit)
        and len(result.output.strip().splitlines()) == 1
    )


@pytest.mark.parametrize(
    "args",
    [
        ["oncall", "--at", "9999-12-31T23:30Z"],
        ["oncall", "--at", "0001-01-01T00:00"],
        ["jobs", "run", "shift-notices", "--at", "9999-12-31T23:30"],
    ],
)
def test_far_instants_are_one_line_errors(runner: FlaskCliRunner, args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert clean_failure(result), result.output
    assert "--at: must be between the years 1900 and 2200" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["schedule", "--days", "0"], "Invalid value for '--days'"),
        (["schedule", "--tier", "two"], "Invalid value for '--tier'"),
        (["override", "add", "--user", "ana@example.org"], "Missing option '--tier'"),
        (["user", "set", "--email", "ana@example.org"], "give at least one of --role"),
        (
            ["user", "set", "--email", "a@example.org", "--role", "boss"],
            "Invalid value for '--role'",
        ),
        (["jobs", "nope"], "No such command 'nope'"),
    ],
)
def test_a_mistyped_command_line_is_a_one_line_error(
    runner: FlaskCliRunner, args: list[str], says: str
) -> None:
    # SPEC §2: "Invalid input to any command ends with a one-line error and a non-zero exit".
    result = runner.invoke(args=args)
    assert clean_failure(result), result.output
    assert result.output.startswith(f"Error: {says}")
    assert "--help" in result.output  # the usage hint, kept on that line


@pytest.mark.parametrize("via_flask", [False, True])
def test_a_usage_error_raised_by_a_command_itself_names_its_help_once(
    runner: FlaskCliRunner, tmp_path: Path, via_flask: bool
) -> None:
    # `user set` with nothing to change read "… (see 'hotline user set --help') (see '…')".
    args = ["user", "set", "--email", "ana@example.org"]
    shell = {"HOTLINE_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    result = runner.invoke(args=args) if via_flask else CliRunner().invoke(main, args, env=shell)
    assert clean_failure(result), result.output
    assert result.output.count("--help") == 1, result.output


def test_the_console_script_says_a_mistyped_command_line_in_one_line_too() -> None:
    result = CliRunner().invoke(main, ["schedule", "--days", "zero"])
    assert clean_failure(result), result.output
    assert result.output.startswith("Error: Invalid value for '--days'")
    alone = CliRunner().invoke(main, ["jobs"])  # a group alone still shows its help
    assert alone.output.startswith("Usage: hotline jobs") and "Error" not in alone.output


@pytest.mark.parametrize("args", [["oncall"], ["jobs", "run", "shift-notices"]])
def test_an_empty_at_is_refused_not_run_as_now(
    app: Flask, runner: FlaskCliRunner, args: list[str]
) -> None:
    # A script's unset variable (`--at "$WHEN"`) must not send the real notices of now.
    ana = add_user(app, "Ana Diaz")
    in_half_an_hour = datetime.now(ZoneInfo("America/Los_Angeles")) + timedelta(minutes=30)
    add_rotation(app, 1, ana, start=in_half_an_hour.replace(tzinfo=None, microsecond=0))
    result = runner.invoke(args=[*args, "--at", ""])
    assert clean_failure(result), result.output
    assert "--at: not an ISO 8601 time: ''" in result.output
    with session_scope(app) as session:
        assert session.scalars(select(Message)).all() == []
        assert session.scalars(select(JobRun)).all() == []


@pytest.mark.parametrize("option", ["--start", "--end"])
def test_far_override_times_are_one_line_errors(
    app: Flask, runner: FlaskCliRunner, option: str
) -> None:
    ana = add_user(app, "Ana Diaz")
    times = {"--start": "2030-01-01T08:00", "--end": "2030-01-01T10:00", option: "0001-01-01T00:00"}
    args = ["override", "add", "--user", ana.email, "--tier", "1"]
    result = runner.invoke(args=[*args, *(x for pair in times.items() for x in pair)])
    assert clean_failure(result), result.output
    assert f"{option}: must be between the years 1900 and 2200" in result.output


@pytest.mark.parametrize("typed", ["2027-06-01T18.30", "2027-06-01T18,30"])
def test_an_override_time_with_a_dot_for_a_colon_is_refused_not_saved_on_the_hour(
    app: Flask, runner: FlaskCliRunner, typed: str
) -> None:
    # Python reads "18.30" as 18:00 and 0.3 s: the cover began half an hour early.
    ana = add_user(app, "Ana Diaz")
    args = ["override", "add", "--user", ana.email, "--tier", "1", "--start", typed]
    result = runner.invoke(args=[*args, "--end", "2027-06-01T22:00"])
    assert clean_failure(result), result.output
    assert f"--start: not an ISO 8601 time: {typed!r}" in result.output
    with session_scope(app) as session:
        assert session.scalars(select(Override)).all() == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2200-12-31T22:00", "2200-12-31T23:00"),  # year 2200 in the program's zone, 2201 in UTC
        ("1900-01-01T00:00+14:00", "1900-01-01T06:00+14:00"),  # 1899 in UTC
    ],
)
def test_override_times_at_the_edge_of_the_years_are_taken_as_typed(
    app: Flask, runner: FlaskCliRunner, start: str, end: str
) -> None:
    # SPEC §2: "Instants are accepted between the years 1900 and 2200" (the web form and
    # the API read the year as typed, so the command line must too).
    ana = add_user(app, "Ana Diaz")
    args = ["override", "add", "--user", ana.email, "--tier", "1", "--start", start]
    result = runner.invoke(args=[*args, "--end", end])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Override ")


def test_commands_and_jobs_compute_around_a_broken_rotation(
    app: Flask, runner: FlaskCliRunner
) -> None:
    ana, bob = add_user(app, "Ana Diaz"), add_user(app, "Bob Broken")
    add_rotation(app, 1, ana, bob, start=datetime(2020, 1, 6, 8), shift_hours=24)
    add_rotation(app, 2, bob, start=datetime(9999, 12, 31, 23), shift_hours=1)
    oncall = runner.invoke(args=["oncall"])
    assert oncall.exit_code == 0, oncall.output
    assert "tier 1:" in oncall.output and "tier 2" not in oncall.output
    schedule = runner.invoke(args=["schedule", "--days", "3"])
    assert schedule.exit_code == 0 and "Bob Broken" in schedule.output
    at = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%MZ")
    # Left out, but never without a word: tier 2's hole is a broken row, not an empty tier.
    named = 'BROKEN - rotation 2 "Tier 2" is left out of on-call: start 9999-12-31T23:00'
    assert named in oncall.output and named in schedule.output
    for job in ("shift-notices", "coverage-gaps", "escalate-unacked"):
        result = runner.invoke(args=["jobs", "run", job, "--at", at])
        assert result.exit_code == 0, (job, result.output)


class TestOverridesAcrossDst:
    """`override add` says how a local time skipped by DST is saved, or asks which was meant."""

    def add(self, runner: FlaskCliRunner, email: str, start: str, end: str) -> Result:
        args = ["override", "add", "--user", email, "--tier", "1", "--start", start]
        return runner.invoke(args=[*args, "--end", end])

    def test_a_start_in_the_gap_is_saved_at_the_jump_and_said_so(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        result = self.add(runner, ana.email, "2027-03-14T02:30", "2027-03-14T04:00")
        assert result.exit_code == 0, result.output
        assert (
            "02:30 does not exist on Sunday 14 March 2027 in America/Los_Angeles: "
            "clocks jump from 02:00 to 03:00." in result.output
        )
        assert "from Sun 2027-03-14 03:00 PDT to Sun 2027-03-14 04:00 PDT" in result.output

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("02:10", "02:50"),
            # 02:30–03:00 saves as nothing: it said "end must be after start" of 03:00 after 02:30.
            ("02:30", "03:00"),
        ],
    )
    def test_a_span_inside_the_gap_is_refused_plainly(
        self, app: Flask, runner: FlaskCliRunner, start: str, end: str
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        result = self.add(runner, ana.email, f"2027-03-14T{start}", f"2027-03-14T{end}")
        assert clean_failure(result), result.output
        assert (
            f"{start}–{end} on Sunday 14 March 2027 does not exist in America/Los_Angeles: "
            "clocks jump from 02:00 to 03:00." in result.output
        )

    def test_a_time_of_the_repeated_hour_is_refused_until_its_offset_says_which(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        result = self.add(runner, ana.email, "2027-11-06T20:00", "2027-11-07T01:30")
        assert clean_failure(result), result.output
        assert result.output == (
            "Error: --end: 01:30 happens twice on Sunday 7 November 2027 in "
            "America/Los_Angeles (clocks go back from 02:00 to 01:00): write which, "
            "2027-11-07T01:30-07:00 (PDT, the first) or 2027-11-07T01:30-08:00 (PST, the second)\n"
        )
        second = self.add(runner, ana.email, "2027-11-06T20:00", "2027-11-07T01:30-08:00")
        assert second.exit_code == 0, second.output
        assert "to Sun 2027-11-07 01:30 PST" in second.output

    def test_the_refusal_of_a_span_inside_the_gap_names_the_hour_the_clocks_skip(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        # It said "clocks jump from 03:00 to 03:00", as if nothing were skipped.
        ana = add_user(app, "Ana Diaz")
        result = self.add(runner, ana.email, "2027-03-14T02:10", "2027-03-14T02:50")
        assert clean_failure(result), result.output
        assert "clocks jump from 02:00 to 03:00. Choose times outside the jump" in result.output


@pytest.mark.parametrize(
    "args", [["oncall"], ["schedule"], ["jobs", "run", "retention"], ["jobs", "list"]]
)
def test_a_database_out_of_reach_is_one_line_under_flask_too(
    app_config: dict[str, Any], args: list[str]
) -> None:
    # `flask --app hotline …` runs the same commands without the `hotline` group's guard.
    app = create_app({**app_config, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"})
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: database unavailable"), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("kind", [["call"], ["sms", "HELP"]])
def test_simulate_refuses_an_address_that_is_no_app_in_one_line(
    runner: FlaskCliRunner, kind: list[str]
) -> None:
    command, *texts = kind
    for url, says in (
        ("notaurl", "give the app's address"),
        ("http://127.0.0.1:1", "no answer from http://127.0.0.1:1"),
    ):
        args = ["simulate", command, "--from", "+12065550177", "--url", url, "--token", "t"]
        result = runner.invoke(args=[*args, *texts])
        assert result.exit_code != 0, result.output
        assert says in result.output and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


PRODUCTION_SHELL = {
    "SECRET_KEY": "k" * 40,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
    "HOTLINE_NUMBER": "+12065550100",
    "HOTLINE_PROXY_COUNT": "1",
}


def test_simulate_signs_for_the_public_address_the_shell_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Production's settings in a development shell: a program of one's own served at an
    # https address (a production shell itself is refused, tests/cli/test_serve.py).
    for key, value in {
        **PRODUCTION_SHELL,
        "HOTLINE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
    }.items():
        monkeypatch.setenv(key, value)
    cli = CliRunner()
    assert cli.invoke(main, ["db", "upgrade"]).exit_code == 0
    officer = ["--name", "Officer Kay", "--badge", "77", "--agency", "SPD"]
    added = cli.invoke(main, ["officer", "add", *officer, "--phone", "+12065550177"])
    assert added.exit_code == 0, added.output
    result = cli.invoke(main, ["simulate", "sms", "--from", "+12065550177", "HELP"])
    assert result.exit_code == 0 and "REFER" in result.output, result.output  # HELP's reply


def without_production_settings(tmp_path: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run a command line of this Python on a fresh machine: none of the app's settings set."""
    unset = ("HOTLINE_", "TWILIO_", "SECRET_KEY", "DATABASE_URL")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(unset)}
    return subprocess.run(
        [sys.executable, *command],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_flask_without_the_production_settings_is_a_one_line_error(tmp_path: Path) -> None:
    answer = without_production_settings(tmp_path, "-m", "flask", "--app", "hotline", "oncall")
    assert answer.returncode == 1
    assert answer.stderr.strip().splitlines() == [answer.stderr.strip()], answer.stderr
    assert answer.stderr.startswith("Error: HOTLINE_ENV=production refuses to start")


def test_hotline_without_the_production_settings_points_at_the_settings_not_the_help(
    tmp_path: Path,
) -> None:
    """The settings are what is wrong: "see 'hotline oncall --help'" sent people astray."""
    answer = without_production_settings(tmp_path, "-m", "hotline.cli", "oncall")
    assert answer.returncode == 1
    assert answer.stderr.startswith("Error: HOTLINE_ENV=production refuses to start")
    assert "--help" not in answer.stderr and len(answer.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("setting", "value", "job"),
    [
        ("HOTLINE_RETENTION_DAYS", "1000000", "retention"),  # "keep a million days": keep
        ("HOTLINE_INTAKE_DAYS", "1000000", "intake-deadlines"),
        ("HOTLINE_SHIFT_NOTICE_MINUTES", "5000000000", "shift-notices"),
        ("HOTLINE_ACK_MINUTES", "5000000000", "escalate-unacked"),
    ],
)
def test_a_period_longer_than_the_calendar_holds_is_one_line_not_a_traceback_at_each_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, value: str, job: str
) -> None:
    for key, text in {**PRODUCTION_SHELL, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}.items():
        monkeypatch.setenv(key, text)
    cli = CliRunner()
    assert cli.invoke(main, ["db", "upgrade"]).exit_code == 0
    monkeypatch.setenv(setting, value)
    result = cli.invoke(main, ["jobs", "run", job])
    assert clean_failure(result), result.output
    assert result.output.startswith(f"Error: {setting} must be at most"), result.output


def test_a_job_failing_unexpectedly_is_one_line_naming_it_and_logged_with_its_traceback(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A database error was one line already; any other failure printed Python's traceback.
    def broken(*_: object) -> str:
        raise RuntimeError("no schedule for tier 1")

    monkeypatch.setitem(JOBS, "coverage-gaps", replace(JOBS["coverage-gaps"], run=broken))
    result = runner.invoke(args=["jobs", "run", "coverage-gaps"])
    assert clean_failure(result), result.output
    assert result.output == "Error: coverage-gaps failed: RuntimeError: no schedule for tier 1\n"
    (logged,) = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert "coverage-gaps" in logged.getMessage()
    assert logged.exc_info is not None and logged.exc_info[0] is RuntimeError


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql+psycopg2://hotline@db.internal/hotline", "psycopg2"),
        ("mysql://hotline@db.internal/hotline", "MySQLdb"),
    ],
)
def test_a_database_url_whose_driver_is_not_installed_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, url: str, driver: str
) -> None:
    # A guide's postgresql+psycopg2:// printed a ModuleNotFoundError traceback at every command.
    for key, text in {**PRODUCTION_SHELL, "DATABASE_URL": url}.items():
        monkeypatch.setenv(key, text)
    result = CliRunner().invoke(main, ["oncall"])
    assert clean_failure(result), result.output
    assert result.output.startswith("Error: DATABASE_URL"), result.output
    assert driver in result.output


NO_SCHEMA = "Error: the database has no schema yet: run `hotline db upgrade`"


def invoked(monkeypatch: pytest.MonkeyPatch, url: str, command: list[str]) -> Result:
    """Run `hotline COMMAND` on the database at `url`, closing its connections afterwards."""
    monkeypatch.setenv("HOTLINE_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", url)
    apps: list[Flask] = []

    def created() -> Flask:
        apps.append(create_cli_app())
        return apps[-1]

    monkeypatch.setattr(main, "create_app", created)
    try:
        return CliRunner().invoke(main, command)
    finally:
        for app in apps:  # its pooled connection, before the database is dropped
            database(app).engine.dispose()


@pytest.mark.parametrize(
    "command",
    [
        ["oncall"],
        ["schedule"],
        ["jobs", "list"],
        ["jobs", "run", "dispatch-outbox"],
        ["token", "create", "--email", "sam@example.org"],
        ["calendar", "rotate"],
    ],
)
def test_a_database_never_migrated_says_to_run_db_upgrade_in_one_line(
    monkeypatch: pytest.MonkeyPatch, empty_database_url: str, command: list[str]
) -> None:
    # Was "database unavailable: no such table: program_settings" (SQLite) or "database error:
    # relation "program_settings" does not exist" (PostgreSQL): the database is there, and
    # the operator needs the one command that makes its tables.
    result = invoked(monkeypatch, empty_database_url, command)
    assert clean_failure(result), result.output
    assert result.exit_code == 1
    assert result.output.splitlines() == [NO_SCHEMA]


def test_a_database_behind_this_release_says_so_as_healthz_does(
    monkeypatch: pytest.MonkeyPatch, empty_database_url: str
) -> None:
    migrations.upgrade(empty_database_url, "0001")
    result = invoked(monkeypatch, empty_database_url, ["oncall"])
    assert clean_failure(result), result.output
    assert result.output.splitlines() == [
        f"Error: behind: the database is at revision 0001, this release needs "
        f"{migrations.head_revision()}: run `hotline db upgrade`"
    ]
