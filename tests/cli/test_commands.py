"""The `hotline` commands a supervisor runs: people, tokens, roster, on-call, overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Officer, Override


def add_people(runner: FlaskCliRunner) -> None:
    for name, email, phone, role in [
        ("Ana Diaz", "ana@example.org", "206 555 0101", "coordinator"),
        ("Ben Ode", "ben@example.org", "206-555-0102", "coordinator"),
        ("Sue Pervis", "sue@example.org", "+1 206 555 0103", "supervisor"),
    ]:
        result = runner.invoke(
            args=["user", "add", "--name", name, "--email", email, "--phone", phone, "--role", role]
        )
        assert result.exit_code == 0, result.output


class TestPeopleCommands:
    """Users, tokens and officers from the command line."""

    def test_token_create_prints_a_working_token_last(self, runner: FlaskCliRunner, client) -> None:  # type: ignore[no-untyped-def]
        add_people(runner)
        result = runner.invoke(args=["token", "create", "--email", "SUE@example.org"])
        assert result.exit_code == 0
        token = result.output.strip().splitlines()[-1]
        answer = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
        assert [u["phone"] for u in answer.json["items"]] == [
            "+12065550101",
            "+12065550102",
            "+12065550103",
        ]

    def test_bad_input_is_one_line_and_non_zero(self, runner: FlaskCliRunner) -> None:
        add_people(runner)
        bad_phone = runner.invoke(
            args=[
                "user",
                "add",
                "--name",
                "X",
                "--email",
                "x@example.org",
                "--phone",
                "12",
                "--role",
                "coordinator",
            ]
        )
        assert bad_phone.exit_code != 0
        assert bad_phone.output.strip().startswith("Error: phone:")
        assert len(bad_phone.output.strip().splitlines()) == 1
        clash = runner.invoke(
            args=[
                "user",
                "add",
                "--name",
                "X",
                "--email",
                "ana@example.org",
                "--phone",
                "2065550111",
                "--role",
                "coordinator",
            ]
        )
        assert clash.exit_code != 0 and "email" in clash.output
        unknown = runner.invoke(args=["token", "create", "--email", "nobody@example.org"])
        assert unknown.exit_code != 0 and "Traceback" not in unknown.output

    def test_officer_import_keeps_good_rows_and_reports_bad_ones(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "name,badge,agency,phone\n"
            "Officer Smith,4711,SPD,206-555-0177\n"
            "Officer Jones,47X,SPD,206-555-0178\n"
            "Officer Brown,4712,KCSO,12\n"
            "Officer Green,4711,KCSO,206-555-0179\n"
            "Officer White,4713,KCSO,206-555-0180\n"
        )
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 1
        assert f"{roster}:3: badge:" in result.output
        assert f"{roster}:4: phone:" in result.output
        assert f"{roster}:5: badge 4711 is already used" in result.output
        assert "Imported 2 officer(s); refused 3 row(s)." in result.output
        with session_scope(app) as session:
            assert sorted(session.scalars(select(Officer.badge))) == ["4711", "4713"]


class TestOnCallCommands:
    """Overrides, on call and the schedule from the command line."""

    def test_override_then_oncall_and_schedule_show_it_with_gaps(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        added = runner.invoke(
            args=[
                "override",
                "add",
                "--user",
                "ben@example.org",
                "--tier",
                "1",
                "--start",
                "2030-01-02T08:00",
                "--end",
                "2030-01-02T20:00-08:00",
            ]
        )
        assert added.exit_code == 0, added.output
        during = runner.invoke(args=["oncall", "--at", "2030-01-02T17:00:00Z"])
        assert (
            "tier 1: Ben Ode +12065550102 (override), until Wed 2030-01-02 20:00 PST"
            in during.output
        )
        before = runner.invoke(args=["oncall", "--at", "2030-01-02T07:00"])
        assert "nobody is on call" in before.output
        empty = runner.invoke(args=["schedule", "--days", "7"])
        assert "tier 1 is a GAP throughout" in empty.output
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:00Z")
        later = (datetime.now(UTC) + timedelta(days=1, hours=6)).strftime("%Y-%m-%dT%H:00Z")
        runner.invoke(
            args=[
                "override",
                "add",
                "--user",
                "ana@example.org",
                "--tier",
                "1",
                "--start",
                tomorrow,
                "--end",
                later,
            ]
        )
        rows = runner.invoke(args=["schedule", "--days", "3"]).output.splitlines()[1:]
        assert [row.startswith("!!") for row in rows] == [True, False, True]
        assert "Ana Diaz (override)" in rows[1] and "GAP" in rows[0]

    def test_override_with_end_before_start_is_refused(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        result = runner.invoke(
            args=[
                "override",
                "add",
                "--user",
                "ana@example.org",
                "--tier",
                "1",
                "--start",
                "2030-01-02T08:00",
                "--end",
                "2030-01-01T08:00",
            ]
        )
        assert result.exit_code != 0 and "end" in result.output
        bad_time = runner.invoke(args=["oncall", "--at", "noon"])
        assert bad_time.exit_code != 0 and "--at" in bad_time.output
        with session_scope(app) as session:
            assert session.scalars(select(Override)).first() is None
