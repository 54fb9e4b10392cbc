"""The `hotline` commands a supervisor runs: people, tokens, roster, on-call, overrides."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import AuditEvent, Message, Officer, Override, User
from hotline.services import roster_import
from tests.api.conftest import Api, token_for
from tests.api.conftest import add_user as add_api_user
from tests.factories import add_officer, add_referral, add_rotation, leave_roster
from tests.web.conftest import Web


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


def person(app: Flask, email: str) -> User:
    """Return the user the commands added with this email."""
    with session_scope(app) as session:
        return session.scalars(select(User).where(User.email == email)).one()


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

    def test_case_managers_and_prosecutors_are_added_and_reassigned(
        self, runner: FlaskCliRunner, app: Flask
    ) -> None:
        add_people(runner)
        args = ["user", "add", "--name", "Pru Vance", "--email", "pru@example.org"]
        result = runner.invoke(args=[*args, "--phone", "206 555 0104", "--role", "prosecutor"])
        assert result.exit_code == 0 and "Added prosecutor Pru Vance" in result.output
        moved = runner.invoke(
            args=["user", "set", "--email", "ben@example.org", "--role", "case_manager"]
        )
        assert moved.exit_code == 0, moved.output
        with session_scope(app) as session:
            roles = dict(session.execute(select(User.email, User.role)).all())
        assert roles["pru@example.org"] == "prosecutor"
        assert roles["ben@example.org"] == "case_manager"

    def test_user_add_with_a_bare_password_option_prompts_for_it_twice_unseen(
        self, app: Flask, runner: FlaskCliRunner, client: FlaskClient
    ) -> None:
        args = ["user", "add", "--name", "Sue", "--email", "sue@example.org"]
        args += ["--phone", "2065550103", "--password", "--role", "supervisor"]  # as SPEC §2
        short = runner.invoke(args=args, input="short\nshort\n")
        assert short.exit_code == 1
        assert short.output.splitlines()[-1] == "Error: password: use at least 10 characters"
        result = runner.invoke(args=args, input="a long password\na long password\n")
        assert result.exit_code == 0, result.output
        assert "a long password" not in result.output  # typed unseen
        with session_scope(app) as session:
            sue = session.scalars(select(User)).one()
        assert Web(client).login(sue, "a long password").status_code == 302

    def test_user_add_refuses_a_used_email_or_phone_before_asking_for_a_password(
        self, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)  # ana@example.org, +12065550101
        args = ["user", "add", "--name", "Ana Two", "--password", "--role", "coordinator"]
        typed = "a long password\na long password\n"
        email = runner.invoke(
            args=[*args, "--email", "ANA@example.org", "--phone", "2065550199"], input=typed
        )
        assert email.exit_code == 1
        assert email.output == "Error: email: email ana@example.org is already used\n"
        phone = runner.invoke(
            args=[*args, "--email", "ana2@example.org", "--phone", "(206) 555-0101"], input=typed
        )
        assert phone.exit_code == 1
        assert phone.output == "Error: phone: phone +12065550101 is already used\n"

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

    def test_officer_set_takes_an_officer_who_left_off_the_roster(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_officer(app)

        left = runner.invoke(args=["officer", "set", "--badge", "4711", "--active", "no"])

        assert (left.exit_code, left.output) == (
            0,
            "Officer Smith, badge 4711, has left the roster: their phone and badge"
            " are now a stranger's.\n",
        )
        with session_scope(app) as session:
            assert session.scalars(select(Officer.active)).one() is False
        back = runner.invoke(args=["officer", "set", "--badge", "4711", "--active", "yes"])
        assert back.output == "Officer Smith, badge 4711, is on the roster.\n"
        unknown = runner.invoke(args=["officer", "set", "--badge", "9999", "--active", "no"])
        assert (unknown.exit_code, unknown.output) == (1, "Error: no officer with badge 9999\n")

    def test_a_person_or_officer_set_as_they_already_are_logs_no_change(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        add_officer(app)
        for _ in "12":  # the second run, from the shell's history, finds it done
            runner.invoke(args=["user", "set", "--email", "ana@example.org", "--active", "no"])
            runner.invoke(args=["officer", "set", "--badge", "4711", "--active", "no"])
        with session_scope(app) as session:
            changes = session.scalars(
                select(AuditEvent.entity).where(AuditEvent.action == "update")
            ).all()
        assert sorted(changes) == ["officer", "user"]

    def test_user_add_refuses_the_hotlines_own_number_as_a_phone(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        ana = ["--name", "Ana Diaz", "--email", "ana@example.org", "--role", "coordinator"]
        added = runner.invoke(args=["user", "add", *ana, "--phone", app.config["HOTLINE_NUMBER"]])
        assert (added.exit_code, added.output) == (
            1,
            "Error: phone: this is the hotline's own number: a call put through to it rings the "
            "hotline again; give their own phone\n",
        )

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
        assert f"{roster}:5: badge 4711 is on line 2 of this file too" in result.output
        assert "Imported 2 officer(s); refused 3 row(s)." in result.output
        with session_scope(app) as session:
            assert sorted(session.scalars(select(Officer.badge))) == ["4711", "4713"]

    def test_officer_import_puts_back_an_officer_who_had_left_and_refuses_a_reissued_badge(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        smith = add_officer(app, "Olive Smith", "4711", "+12065550177")
        jones = add_officer(app, "Ray Jones", "4712", "+12065550178")
        leave_roster(app, smith)
        leave_roster(app, jones)
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "name,badge,agency,phone\n"
            "olive  SMITH,4711,KCSO,206-555-0190\n"  # back, on a new phone and agency
            "Dee Park,4712,SPD,206-555-0191\n"  # Ray Jones' badge, given to someone else
        )
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 1
        assert (
            f"{roster}:3: badge 4712 is Ray Jones', who left the roster: "
            "put them back on their page, or check the badge" in result.output
        )
        assert "Imported 0 officer(s), put back 1 who had left; refused 1 row(s)." in result.output
        with session_scope(app) as session:
            back = session.get_one(Officer, smith.id)
            assert (back.active, back.phone, back.agency) == (True, "+12065550190", "KCSO")
            assert back.name == "Olive Smith"  # the roster's spelling stays
            assert session.get_one(Officer, jones.id).active is False
            assert session.scalar(select(func.count()).select_from(Officer)) == 2

    def test_officer_import_refuses_a_header_naming_a_column_twice_and_imports_nothing(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        # A desk phone and a mobile both headed "phone": one was taken, whichever came last,
        # and officers were put on the roster at a number nobody chose.
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "name,badge,agency,Phone,phone\nOfficer Smith,4711,SPD,206-555-0177,206-555-0178\n"
        )
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 1
        assert f"{roster}:1: the header names phone twice: keep one phone column" in result.output
        assert "Imported 0 officer(s); refused 1 row(s)." in result.output
        with session_scope(app) as session:
            assert session.scalars(select(Officer)).all() == []

    @pytest.mark.parametrize(
        "header",
        ["Name,Badge,Agency,Phone", "NAME, BADGE, AGENCY, PHONE", " phone ,Badge,name,Agency"],
    )
    def test_officer_import_reads_a_header_in_capitals_or_with_spaces(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path, header: str
    ) -> None:
        columns = [name.strip().lower() for name in header.split(",")]
        values = {"name": "Olive Smith", "badge": "4711", "agency": "SPD", "phone": "2065550141"}
        roster = tmp_path / "roster.csv"
        roster.write_text(header + "\n" + ",".join(values[c] for c in columns) + "\n")
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 0, result.output
        with session_scope(app) as session:
            assert [(o.name, o.badge) for o in session.scalars(select(Officer))] == [
                ("Olive Smith", "4711")
            ]

    def test_officer_import_and_user_add_keep_a_name_as_it_looks(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        roster = tmp_path / "roster.csv"
        # Pasted from a web page: a zero-width space and a direction mark nobody sees.
        roster.write_text(
            "name,badge,agency,phone\n"
            "Olive\u200b Smith\u200e,4711,SPD,2065550141\n"
            "\u200b\u200f,4712,SPD,2065550142\n"
        )
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert "3: name" in result.output, "a name of only invisible characters is refused"
        ana = ["--name", "\ufeffAna Diaz", "--email", "ana@lead.example", "--phone", "2065550143"]
        added = runner.invoke(args=["user", "add", *ana, "--role", "coordinator"])
        assert added.exit_code == 0, added.output
        with session_scope(app) as session:
            assert [o.name for o in session.scalars(select(Officer))] == ["Olive Smith"]
            assert session.scalars(select(User.name)).all() == ["Ana Diaz"]

    def test_a_name_too_long_is_refused_in_plain_words_by_user_add_and_the_import(
        self, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        name = "Ana " * 51
        ana = ["--name", name, "--email", "ana@lead.example", "--phone", "2065550143"]
        added = runner.invoke(args=["user", "add", *ana, "--role", "coordinator"])
        assert (added.exit_code, added.output) == (1, "Error: name: use at most 200 characters\n")
        roster = tmp_path / "roster.csv"
        roster.write_text(f"name,badge,agency,phone\n{name},4711,SPD,2065550141\n")
        imported = runner.invoke(args=["officer", "import", str(roster)])
        assert f"{roster}:2: name: use at most 200 characters\n" in imported.output

    @pytest.mark.parametrize("separator", [";", "\t"])
    def test_officer_import_reads_a_file_separated_by_semicolons_or_tabs(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path, separator: str
    ) -> None:
        roster = tmp_path / "roster.csv"
        # Excel writes ";" where the decimal mark is a comma; "Text (Tab delimited)" tabs.
        rows = [["name", "badge", "agency", "phone"], ["Smith, Jr.", "4711", "SPD", "2065550141"]]
        roster.write_text("".join(separator.join(row) + "\n" for row in rows))
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 0, result.output
        with session_scope(app) as session:
            assert [(o.name, o.badge) for o in session.scalars(select(Officer))] == [
                ("Smith, Jr.", "4711")
            ]

    def test_officer_import_of_a_windows_excel_file_says_how_to_save_it_as_the_web_does(
        self, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        roster = tmp_path / "roster.csv"
        # Excel for Windows' "CSV (Comma delimited)" is cp1252, not UTF-8.
        roster.write_bytes(
            "name,badge,agency,phone\nAna Peña,4711,SPD,2065550141\n".encode("cp1252")
        )
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 1
        assert result.output.splitlines() == [
            f"Error: {roster}: this file is not UTF-8 text: save it as CSV UTF-8."
        ]

    def test_officer_import_passes_over_rows_whose_every_cell_is_empty(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        roster = tmp_path / "roster.csv"
        # Excel writes the rows below the data it once held as rows of empty cells.
        roster.write_text(
            "name,badge,agency,phone\r\n,,,\r\nOlive Smith,4711,SPD,2065550141\r\n,,,\r\n , ,,\r\n"
        )
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "Imported 1 officer(s); refused 0 row(s)."

    def test_officer_import_names_a_quoted_value_over_two_lines_without_calling_it_unclosed(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        roster = tmp_path / "roster.csv"
        roster.write_text(  # a spreadsheet cell with a line break in it (Alt+Enter)
            "name,badge,agency,phone\n"
            'Bo Chen,102,"Seattle PD\nEast Precinct",2065550102\n'
            "Cy Diaz,103,SPD,2065550103\n"
        )
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 1
        assert result.output.splitlines() == [
            f"{roster}:2: a quoted value runs over lines 2 to 3: put each officer on one line"
            " (lines 2 to 3 were not imported)",
            "Imported 1 officer(s); refused 1 row(s).",
        ]

    def test_officer_import_gives_the_web_pages_plain_reasons(
        self, app: Flask, runner: FlaskCliRunner, client: FlaskClient, tmp_path: Path
    ) -> None:
        text = "name,badge,agency,phone\nBo Chen,47X,SPD,2065550102\nCy Diaz,103,SPD,\n"
        roster = tmp_path / "roster.csv"
        roster.write_text(text)
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.output.splitlines()[:2] == [
            f"{roster}:2: badge: use 1 to 20 digits, nothing else",
            f"{roster}:3: phone: required",
        ]
        bo = ["--name", "Bo", "--badge", "47X", "--agency", "SPD", "--phone", "2065550102"]
        added = runner.invoke(args=["officer", "add", *bo])
        assert added.output.strip() == "Error: badge: use 1 to 20 digits, nothing else"
        # The people page's import reads the same file in the same words.
        args = ["--name", "Sue", "--email", "sue@example.org", "--phone", "2065550103"]
        runner.invoke(args=["user", "add", *args, "--role", "supervisor", "--password", "a" * 12])
        with session_scope(app) as session:
            sue = session.scalars(select(User)).one()
        web = Web(client)
        web.login(sue, "a" * 12)
        page = web.post(
            "/people/officers/import",
            {"file": (io.BytesIO(text.encode()), "roster.csv")},
            content_type="multipart/form-data",
        ).get_data(as_text=True)
        assert "<tr><td>2</td><td>badge: use 1 to 20 digits, nothing else</td></tr>" in page
        assert "<tr><td>3</td><td>phone: required</td></tr>" in page

    def test_officer_import_on_sqlite_lets_a_call_write_between_its_batches(
        self, app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A call's webhook waits at most 1 s for SQLite's one write lock: never a whole import."""
        url = app.config["DATABASE_URL"]
        if not url.startswith("sqlite"):
            pytest.skip("PostgreSQL locks rows, not the database")
        write = roster_import._Writer.write
        writes: list[str] = []

        def write_after_a_call(writer: Any) -> None:
            if writes == [] and writer.session.scalar(select(func.count()).select_from(Officer)):
                # A call arrives between batches: its write must not wait for the whole file.
                other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
                try:
                    other.execute("BEGIN IMMEDIATE")
                    other.rollback()
                    writes.append("written")
                except sqlite3.OperationalError as error:
                    writes.append(str(error))
                finally:
                    other.close()
            write(writer)

        monkeypatch.setattr(roster_import, "BATCH", 1)
        monkeypatch.setattr(roster_import._Writer, "write", write_after_a_call)
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "name,badge,agency,phone\nAna Ruiz,101,SPD,2065550101\nBo Chen,102,SPD,2065550102\n"
        )
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 0, result.output
        assert writes == ["written"]

    def test_officer_import_of_a_line_csv_cannot_read_is_one_line_not_a_traceback(
        self, runner: FlaskCliRunner, tmp_path: Path
    ) -> None:
        roster = tmp_path / "roster.csv"
        roster.write_text("name,badge,agency,phone\n" + '"' + "x" * 200_000 + '",1,SPD,2\n')
        result = runner.invoke(args=["officer", "import", str(roster)])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"{roster}:2: this line cannot be read as CSV" in result.output


class TestProgramRegion:
    """HOTLINE_DEFAULT_REGION: the region of numbers written without + (SPEC §2)."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "HOTLINE_DEFAULT_REGION": "GB"}

    def test_numbers_written_without_a_plus_are_read_in_the_programs_region(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        ann = ["--name", "Ann Lee", "--email", "ann@example.org", "--role", "coordinator"]
        added = runner.invoke(args=["user", "add", *ann, "--phone", "020 7946 0018"])
        assert added.exit_code == 0, added.output
        bo = ["--name", "Bo Hale", "--badge", "4711", "--agency", "Met"]
        officer = runner.invoke(args=["officer", "add", *bo, "--phone", "020 7946 0019"])
        assert officer.exit_code == 0, officer.output
        cy = ["--name", "Cy Ode", "--email", "cy@example.org", "--role", "coordinator"]
        abroad = runner.invoke(args=["user", "add", *cy, "--phone", "+1 206 555 0101"])
        assert abroad.exit_code == 0, abroad.output
        assert person(app, "ann@example.org").phone == "+442079460018"
        assert person(app, "cy@example.org").phone == "+12065550101"
        with session_scope(app) as session:
            assert session.scalars(select(Officer.phone)).all() == ["+442079460019"]


class TestOnCallCommands:
    """Overrides, on call and the schedule from the command line."""

    def test_schedule_shows_tier_1_as_a_gap_when_only_tier_2_has_a_rotation(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        ben = person(app, "ben@example.org")
        add_rotation(app, 2, ben)
        shown = runner.invoke(args=["schedule", "--days", "7"])
        assert shown.exit_code == 0, shown.output
        rows = shown.output.splitlines()[1:]
        # As /schedule and coverage-gaps have it: nobody answers first, so tier 1 is a gap.
        assert rows[0].startswith("!!1 ") and rows[0].endswith("GAP - nobody on call")
        assert rows[1].startswith("  2 ") and "Ben Ode (rotation)" in rows[1]
        only_two = runner.invoke(args=["schedule", "--days", "7", "--tier", "2"])
        assert [row[:4] for row in only_two.output.splitlines()[1:]] == ["  2 "]

    def test_schedule_gives_the_real_end_of_a_stretch_that_runs_past_its_days(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        ana, ben = person(app, "ana@example.org"), person(app, "ben@example.org")
        add_rotation(app, 2, ana, ben, start=datetime(2026, 11, 1, 8), shift_hours=24)
        shown = runner.invoke(args=["schedule", "--days", "3"])
        assert shown.exit_code == 0, shown.output
        rows = shown.output.splitlines()[1:]
        ends = {row[:5].strip("! "): [] for row in rows}
        for row in rows:
            ends[row[:5].strip("! ")].append(row[31:57].strip())
        # Nobody is ever scheduled on tier 1; tier 2 hands over at 08:00, past the 3 days too.
        assert ends["1"] == ["further notice"]
        assert len(ends["2"]) >= 3 and all(" 08:00 P" in end for end in ends["2"]), ends

    def test_oncall_shows_tier_1_as_a_gap_when_only_tier_2_has_a_rotation(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        add_rotation(app, 2, person(app, "ben@example.org"))
        shown = runner.invoke(args=["oncall"])
        assert shown.exit_code == 0, shown.output
        lines = shown.output.splitlines()
        # As the dashboard has it: a call rings tier 2 first, and the hole must show.
        assert lines[1] == (
            "  tier 1: GAP - nobody (no rotation for tier 1: calls go to the next tier)"
        )
        assert lines[2].startswith("  tier 2: Ben Ode +12065550102 (rotation)")

    def test_jobs_run_at_a_local_time_dst_repeats_or_skips_says_which_instant_it_runs_as(
        self, runner: FlaskCliRunner
    ) -> None:
        # As `oncall --at` says it: the night's 01:30 is two instants an hour apart.
        twice = runner.invoke(args=["jobs", "run", "retention", "--at", "2026-11-01T01:30"])
        assert twice.exit_code == 0, twice.output
        assert twice.output.splitlines()[0] == (
            "01:30 happens twice on Sunday 1 November 2026 in America/Los_Angeles (clocks go "
            "back from 02:00 to 01:00): the first, 01:30 PDT, is used."
        )
        skipped = runner.invoke(args=["jobs", "run", "retention", "--at", "2026-03-08T02:30"])
        assert skipped.output.splitlines()[0] == (
            "02:30 does not exist on Sunday 8 March 2026 in America/Los_Angeles: "
            "clocks jump from 02:00 to 03:00."
        )
        plain = runner.invoke(args=["jobs", "run", "retention", "--at", "2026-11-01T01:30-08:00"])
        assert plain.output.startswith("retention: ")

    def test_oncall_at_a_local_time_dst_repeats_or_skips_says_which_instant_it_answers(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        add_rotation(app, 1, person(app, "ana@example.org"))
        # 01:30 happens twice that night: the answer may differ, so say which one is shown.
        twice = runner.invoke(args=["oncall", "--at", "2026-11-01T01:30"])
        assert twice.exit_code == 0, twice.output
        assert twice.output.splitlines()[0] == (
            "01:30 happens twice on Sunday 1 November 2026 in America/Los_Angeles (clocks go "
            "back from 02:00 to 01:00): the first, 01:30 PDT, is used."
        )
        assert "On call at Sun 2026-11-01 01:30 PDT:" in twice.output
        skipped = runner.invoke(args=["oncall", "--at", "2026-03-08T02:30"])
        assert skipped.output.splitlines()[0] == (
            "02:30 does not exist on Sunday 8 March 2026 in America/Los_Angeles: "
            "clocks jump from 02:00 to 03:00."
        )
        plain = runner.invoke(args=["oncall", "--at", "2026-11-01T01:30-08:00"])
        assert plain.output.startswith("On call at Sun 2026-11-01 01:30 PST:")

    def test_oncall_says_in_words_that_nothing_changes_within_a_year(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        add_rotation(app, 1, person(app, "ana@example.org"))  # Ana alone: she is always on
        shown = runner.invoke(args=["oncall"])
        assert shown.exit_code == 0, shown.output
        assert "tier 1: Ana Diaz +12065550101 (rotation), until further notice" in shown.output

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

    def test_override_add_errors_name_the_option_the_supervisor_typed(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        cam = ["--name", "Cam Manager", "--email", "cam@example.org", "--phone", "206 555 0104"]
        assert runner.invoke(args=["user", "add", *cam, "--role", "case_manager"]).exit_code == 0

        def refused(email: str, tier: str, start: str, end: str) -> Result:
            args = ["override", "add", "--user", email, "--tier", tier]
            result = runner.invoke(args=[*args, "--start", start, "--end", end])
            assert result.exit_code != 0 and len(result.output.splitlines()) == 1, result.output
            return result

        # Not "end: end must be after start", "tier: Input should be…" or "user_id: …".
        backwards = refused("ana@example.org", "1", "2030-01-02T08:00", "2030-01-01T08:00")
        assert backwards.output == (
            "Error: --end: must be after --start (Wed 2030-01-02 08:00 PST)\n"
        )
        tier = refused("ana@example.org", "0", "2030-01-01T08:00", "2030-01-02T08:00")
        assert "'--tier': 0 is not in the range 1<=x<=100" in tier.output
        assert tier.exit_code == 2
        case_manager = refused("cam@example.org", "1", "2030-01-01T08:00", "2030-01-02T08:00")
        assert case_manager.output.startswith("Error: --user: user ")
        assert "is a case manager: only coordinators and supervisors go on call" in (
            case_manager.output
        )
        with session_scope(app) as session:
            assert session.scalars(select(Override)).first() is None

    def test_override_for_an_inactive_person_is_saved_with_a_warning_it_does_not_apply(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        runner.invoke(args=["user", "set", "--email", "ben@example.org", "--active", "no"])
        span = ["--start", "2030-01-02T08:00", "--end", "2030-01-02T20:00"]
        args = ["override", "add", "--user", "ben@example.org", "--tier", "1", *span]
        added = runner.invoke(args=args)
        assert added.exit_code == 0, added.output
        assert "Ben Ode is inactive: this override does not apply" in added.output
        during = runner.invoke(args=["oncall", "--at", "2030-01-02T12:00"])
        assert "Ben Ode" not in during.output  # SPEC §3: an inactive user is never on call

    def test_an_override_wholly_in_the_past_is_saved_with_a_warning_it_changes_nothing(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        span = ["--start", "2025-01-02T08:00", "--end", "2025-01-02T20:00"]  # 2027 meant
        args = ["override", "add", "--user", "ben@example.org", "--tier", "1", *span]
        added = runner.invoke(args=args)
        assert added.exit_code == 0, added.output
        assert "This span is over: the override changes nothing from now on." in added.output


class TestUserSet:
    """`hotline user set`: recovery from the command line, never leaving no supervisor."""

    def user_set(self, runner: FlaskCliRunner, *args: str, given: str | None = None) -> Result:
        return runner.invoke(args=["user", "set", "--email", "sue@example.org", *args], input=given)

    @pytest.mark.parametrize(
        ("args", "field"), [(("--role", "coordinator"), "role"), (("--active", "no"), "active")]
    )
    def test_the_last_supervisor_is_kept(
        self, app: Flask, runner: FlaskCliRunner, args: tuple[str, str], field: str
    ) -> None:
        add_people(runner)
        result = self.user_set(runner, *args)
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: {field}: this is the last active supervisor")
        assert len(result.output.strip().splitlines()) == 1
        with session_scope(app) as session:
            sue = session.scalars(select(User).where(User.email == "sue@example.org")).one()
            assert (sue.role, sue.active) == ("supervisor", True)

    def test_reactivates_promotes_and_resets_a_password(
        self, app: Flask, runner: FlaskCliRunner, client: FlaskClient
    ) -> None:
        add_people(runner)
        promoted = runner.invoke(
            args=["user", "set", "--email", "ana@example.org", "--role", "supervisor"]
        )
        assert promoted.exit_code == 0, promoted.output
        assert self.user_set(runner, "--active", "no").exit_code == 0
        result = self.user_set(
            runner, "--active", "yes", "--password", given="a new password\na new password\n"
        )
        assert result.exit_code == 0, result.output
        assert "a new password" not in result.output  # typed unseen
        assert "is now an active supervisor" in result.output
        sue = person(app, "sue@example.org")
        assert Web(client).login(sue, "a new password").status_code == 302

    def test_deactivating_someone_says_how_many_open_referrals_they_held_as_the_web_does(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        ana = person(app, "ana@example.org")
        add_referral(app, "acknowledged", acknowledged_by=ana.id)
        result = runner.invoke(args=["user", "set", "--email", ana.email, "--active", "no"])
        assert result.output == (
            "Ana Diaz <ana@example.org> is now an inactive coordinator.\n"
            "They held 1 open referral: it is listed on the dashboard for someone to take over.\n"
        )

    def test_deactivating_the_person_on_call_texts_supervisors_about_the_gap(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        ana = person(app, "ana@example.org")
        add_rotation(app, 1, ana)
        result = runner.invoke(args=["user", "set", "--email", ana.email, "--active", "no"])
        assert result.exit_code == 0, result.output
        with session_scope(app) as session:
            texts = session.scalars(
                select(Message.body).where(Message.to_number == "+12065550103")
            ).all()
        assert len(texts) == 1 and (texts[0] or "").startswith("LEAD coverage gap")

    @pytest.mark.parametrize(
        ("args", "given", "action"),
        [
            (("--password",), "a new password\na new password\n", "set_password"),
            (("--reset-mfa",), None, "reset"),
        ],
    )
    def test_a_new_password_or_factor_alone_logs_no_empty_change_of_the_user(
        self, app: Flask, runner: FlaskCliRunner, args: tuple[str], given: str | None, action: str
    ) -> None:
        add_people(runner)
        with session_scope(app) as session:
            before = session.scalar(select(func.max(AuditEvent.id)))
        assert self.user_set(runner, *args, given=given).exit_code == 0
        with session_scope(app) as session:
            logged = session.scalars(select(AuditEvent.action).where(AuditEvent.id > before)).all()
        assert logged == [action]  # the audit log's line says what was done, nothing else

    def test_password_prompt_needs_the_same_text_twice_and_ten_characters(
        self, app: Flask, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        short = self.user_set(runner, "--password", given="short\nshort\n")
        assert short.exit_code == 1
        assert short.output.strip().splitlines()[-1] == (
            "Error: password: use at least 10 characters"
        )
        mismatch = self.user_set(runner, "--password", given="first password\nother password\n" * 3)
        assert mismatch.exit_code != 0
        with session_scope(app) as session:
            sue = session.scalars(select(User).where(User.email == "sue@example.org")).one()
            assert sue.password_hash is None

    def test_an_unknown_email_is_refused_before_a_new_password_is_asked_for(
        self, runner: FlaskCliRunner
    ) -> None:
        add_people(runner)
        args = ["user", "set", "--email", "nobody@example.org", "--password"]
        result = runner.invoke(args=args, input="a new password\na new password\n")
        assert result.exit_code == 1
        assert result.output == "Error: no user with email nobody@example.org\n"

    def test_unknown_email_and_no_change_are_one_line_errors(self, runner: FlaskCliRunner) -> None:
        add_people(runner)
        unknown = runner.invoke(
            args=["user", "set", "--email", "nobody@example.org", "--role", "supervisor"]
        )
        assert unknown.exit_code == 1
        assert unknown.output.strip() == "Error: no user with email nobody@example.org"
        nothing = self.user_set(runner)
        assert nothing.exit_code == 2
        assert "give at least one of --role, --active, --password" in nothing.output


class TestCalendarRotate:
    """`hotline calendar rotate` replaces the feed's secret URL."""

    def test_rotate_prints_a_new_url_and_the_old_one_is_404(
        self, app: Flask, runner: FlaskCliRunner, client: FlaskClient
    ) -> None:
        supervisor_api = Api(client, token_for(app, add_api_user(app, "supervisor", "Sam")))
        old = supervisor_api.get("/calendar").json["url"].removeprefix("http://localhost")
        assert client.get(old).status_code == 200

        result = runner.invoke(args=["calendar", "rotate"])

        assert result.exit_code == 0, result.output
        new_url = result.output.strip().splitlines()[-1]
        assert new_url.startswith("http://localhost/api/v1/calendar/") and new_url.endswith(".ics")
        new = new_url.removeprefix("http://localhost")
        assert new != old
        assert client.get(old).status_code == 404
        assert client.get(new).status_code == 200
        assert supervisor_api.get("/calendar").json["url"] == new_url

    def test_rotate_works_before_the_feed_was_ever_asked_for(self, runner: FlaskCliRunner) -> None:
        result = runner.invoke(args=["calendar", "rotate"])
        assert result.exit_code == 0, result.output
        assert result.output.strip().endswith(".ics")
