"""Migrations take an empty database, or older rows, to head; the models match them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Connection, Engine, MetaData, create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from hotline import create_app, migrations
from hotline.db import build_engine, database
from hotline.migrations import alembic_config, current_revision, head_revision, upgrade
from hotline.models import Base
from hotline.models.referrals import STATUSES


class TestMigrations:
    """The migrations under db/ are the schema of record."""

    def test_upgrade_reaches_head_and_matches_models(self, empty_database_url: str) -> None:
        upgrade(empty_database_url)

        engine = create_engine(empty_database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert context.get_current_revision() == head_revision()
                assert compare_metadata(context, Base.metadata) == []
        finally:
            engine.dispose()

    def test_migrated_indexes_are_the_models_partial_predicates_included(
        self, empty_database_url: str, tmp_path: Path
    ) -> None:
        # compare_metadata() does not look at an index's WHERE: a partial index the
        # migrations made whole (or the reverse) would pass it unseen.
        upgrade(empty_database_url)
        migrated = create_engine(empty_database_url, poolclass=NullPool)
        from_models = create_engine(empty_database_url, poolclass=NullPool)
        if migrated.dialect.name == "sqlite":
            from_models = create_engine(f"sqlite:///{tmp_path / 'models.db'}", poolclass=NullPool)
        else:
            with from_models.begin() as connection:
                connection.execute(text('CREATE SCHEMA "from_models"'))
            from_models = from_models.execution_options(schema_translate_map={None: "from_models"})
        try:
            Base.metadata.create_all(from_models)
            schema = None if from_models.dialect.name == "sqlite" else "from_models"
            for table in Base.metadata.sorted_tables:
                have = _indexes(inspect(migrated), table.name, None)
                want = _indexes(inspect(from_models), table.name, schema)
                assert have == want, table.name
            partial = _indexes(inspect(migrated), "referrals", None)["ix_referrals_participant_id"]
            assert "is not null" in partial[2].lower()
            assert "ix_call_legs_call_id" not in _indexes(inspect(migrated), "call_legs", None)
        finally:
            if migrated.dialect.name != "sqlite":
                with migrated.begin() as connection:
                    connection.execute(text('DROP SCHEMA "from_models" CASCADE'))
            migrated.dispose()
            from_models.dispose()

    def test_downgrade_to_base_removes_every_table(self, empty_database_url: str) -> None:
        upgrade(empty_database_url)
        command.downgrade(alembic_config(empty_database_url), "base")

        engine = create_engine(empty_database_url, poolclass=NullPool)
        try:
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        finally:
            engine.dispose()

    def test_history_has_one_head(self) -> None:
        script = ScriptDirectory.from_config(alembic_config(""))
        assert len(script.get_heads()) == 1


class TestStoredRowsSurvive:
    """A program's rows, written at each older revision, come through to head unchanged."""

    def test_every_row_and_value_written_before_an_upgrade_is_still_there_after_it(
        self, empty_database_url: str
    ) -> None:
        engine = create_engine(empty_database_url, poolclass=NullPool)
        written: dict[str, list[dict[str, Any]]] = {}
        try:
            for revision, rows in ROWS_BY_REVISION.items():
                upgrade(empty_database_url, revision)
                _insert(engine, rows)
                written = _rows(engine)
            upgrade(empty_database_url)
            after = _rows(engine)
        finally:
            engine.dispose()

        # 0005 drops the calendar token kept in clear; 0006 dates the last success.
        kept = [row for row in written["program_settings"] if row["key"] != "calendar_token"]
        assert after["program_settings"] == kept
        assert [run["succeeded_at"] for run in after["job_runs"]] == [
            run["finished_at"] if run["ok"] else None for run in after["job_runs"]
        ]
        for table, rows in written.items():
            if table == "program_settings":
                continue
            old_columns = rows[0].keys() if rows else ()
            assert [{k: row[k] for k in old_columns} for row in after[table]] == rows, table
        assert {(user["session_epoch"], user["language"]) for user in after["users"]} == {(0, "en")}
        assert {officer["language"] for officer in after["officers"]} == {"en"}


def _at(year: int, month: int = 1, day: int = 1, hour: int = 0) -> datetime:
    """Return an aware UTC instant."""
    return datetime(year, month, day, hour, tzinfo=UTC)


def _insert(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert rows into the tables as the database has them now (no models: they moved on)."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for table, values in rows.items():
            connection.execute(insert(tables.tables[table]), values)


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Return every row of every table, in primary-key order, with UTC instants."""
    tables = MetaData()
    tables.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for name, table in tables.tables.items():
            if name == "alembic_version":
                continue
            query = select(table).order_by(*table.primary_key.columns)
            found[name] = [
                {key: _utc(value) for key, value in row._mapping.items()}
                for row in connection.execute(query)
            ]
    return found


def _utc(value: Any) -> Any:
    """Read an instant as naive UTC on both databases (SQLite keeps no offset)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


MESSAGES = [("in", "received"), ("out", "queued"), ("out", "sent"), ("out", "delivered")]
MESSAGES += [("out", "failed"), ("out", "suppressed")]
ROLES = ("coordinator", "supervisor", "case_manager", "prosecutor")

# What a program holds at each revision: every status, role and outcome, NULLs where
# allowed, words that are not ASCII, instants at the ends of the years accepted.
ROWS_BY_REVISION: dict[str, dict[str, list[dict[str, Any]]]] = {
    "0002": {
        "users": [
            {
                "id": n,
                "name": f"Zoë Ñúñez {n} 李",
                "email": f"user{n}@example.org",
                "phone": f"+1206555{1000 + n}",
                "role": ROLES[n % 4],
                "active": n % 3 != 0,
                "password_hash": None if n % 2 else "pbkdf2:sha256:1$salt$hash",
                "created_at": _at(1900) if n == 1 else _at(2026, 1, n),
            }
            for n in range(1, 9)
        ],
        "officers": [
            {
                "id": 1,
                "name": "Agente Muñoz",
                "badge": "ÄB-9",
                "agency": "Seattle PD",
                "phone": "+12065550150",
                "created_at": _at(2200, 12, 31, 23),
            }
        ],
        "program_settings": [
            {"key": "calendar_token", "value": "kept-in-clear"},
            {"key": "note", "value": "señal"},
        ],
        "rotations": [
            {
                "id": 1,
                "name": "Primär",
                "tier": 1,
                "priority": 0,
                "timezone": "America/Los_Angeles",
                "start_local": datetime(1900, 1, 1, 8),
                "shift_hours": 168,
                "windows": [{"days": ["mon"], "start": "22:00", "end": "06:00"}],
                "created_at": _at(2026),
                "updated_at": _at(2026),
            }
        ],
        "rotation_participants": [
            {"rotation_id": 1, "position": p, "user_id": user} for p, user in enumerate((1, 5, 1))
        ],
        "overrides": [
            {
                "id": 1,
                "user_id": 5,
                "tier": 1,
                "start": _at(1900),
                "end": _at(2200, 12, 31),
                "created_at": _at(2026),
                "created_by": None,
            }
        ],
        "api_tokens": [
            {
                "id": 1,
                "user_id": 2,
                "token_hash": "a" * 64,
                "created_at": _at(2026),
                "revoked_at": _at(2026, 2),
            }
        ],
        "audit_events": [
            {
                "id": 1,
                "at": _at(2026),
                "actor_id": None,
                "channel": "cli",
                "action": "update",
                "entity": "user",
                "entity_id": 3,
                "before": {"active": True},
                "after": {"name": "Zoë"},
            }
        ],
        "referrals": [
            {
                "id": n,
                "channel": ("voice", "sms", "web")[n % 3],
                "type": (None, "arrest_diversion", "social_contact")[n % 3],
                "offense": "possession" if n % 3 == 1 else None,
                "status": status,
                "officer_id": 1 if n % 2 else None,
                "badge": None if n % 2 else "4711",
                "officer_phone": "+12065550150",
                "participant_name": None if n % 4 == 0 else f"José Ünal {n}",
                "location": "3rd & Pine — café",
                "consent_at": None if n % 2 else _at(2026, 3),
                "created_at": _at(2026, 3),
                "acknowledged_by": None if n < 3 else 1,
                "acknowledged_at": None if n < 3 else _at(2026, 3, 1, 1),
                "call_outcome": ("answered", "voicemail", "abandoned", None)[n % 4],
                "answered_by": 1 if n % 4 == 1 else None,
                "recording_url": None,
            }
            for n, status in enumerate(STATUSES, start=1)
        ],
        "calls": [
            {
                "id": 1,
                "call_sid": "CA" + "1" * 32,
                "from_number": "+12065550150",
                "to_number": "+12065550100",
                "officer_id": 1,
                "referral_id": 1,
                "status": "completed",
                "call_outcome": "answered",
                "answered_by": 1,
                "started_at": _at(2026, 3),
                "answered_at": None,
                "ended_at": None,
                "duration": None,
                "recording_url": None,
                "recording_duration": None,
                "chain": ["+12065551001", "+12065551005"],
                "voicemail_notified_at": None,
            }
        ],
        "call_legs": [
            {
                "id": step + 1,
                "call_id": 1,
                "step": step,
                "number": "+12065551001",
                "user_id": None if step == 5 else 1,
                "outcome": outcome,
                "at": _at(2026, 3),
                "accepted_at": None,
                "duration": None,
            }
            for step, outcome in enumerate(
                ("declined", "no-answer", "busy", "failed", "canceled", "accepted")
            )
        ],
        "messages": [
            {
                "id": n,
                "direction": direction,
                "from_number": "+12065550150",
                "to_number": "+12065550100",
                "body": None if n == 1 else f"REFER ñ 😀 {n}",
                "status": status,
                "message_sid": None if status == "queued" else f"SM{n:032d}",
                "referral_id": n if n % 2 else None,
                "created_at": _at(2026, 3, n),
                "attempts": n,
                "next_attempt_at": None,
                "error": "30003" if status == "failed" else None,
            }
            for n, (direction, status) in enumerate(MESSAGES, start=1)
        ],
        "referral_events": [
            {
                "id": 1,
                "referral_id": 3,
                "at": _at(2026, 3),
                "kind": "acknowledged",
                "actor_id": 1,
                "channel": "sms",
                "detail": {"nombre": "José"},
            }
        ],
    },
    "0004": {
        "job_runs": [
            {
                "name": name,
                "started_at": _at(2026),
                "finished_at": finished,
                "ran_for": None,
                "result": None,
                "ok": ok,
            }
            for name, finished, ok in (
                ("dispatch-outbox", _at(2026, 1, 2), True),
                ("retention", _at(2026, 1, 3), False),
                ("shift-notices", None, True),
            )
        ],
        "assessments": [
            {
                "id": version,
                "referral_id": 4,
                "version": version,
                "offense": "possession",
                "exclusions": [],
                "consent_confirmed": True,
                "needs": ["housing"],
                "risks": [],
                "services": ["detox — ñ"],
                "disposition": "accepted",
                "age_range": None,
                "gender": None,
                "race_ethnicity": "Latinx",
                "notes": None if version == 1 else "Notas: ü",
                "completed_by": 1,
                "completed_at": _at(2026, 3, version),
            }
            for version in (1, 2)
        ],
    },
    "0012": {
        "participants": [
            {
                "id": 1,
                "name": "José Ünal",
                "aliases": ["Pepe"],
                "date_of_birth": date(1900, 1, 1),
                "status": "active",
                "case_manager_id": 3,
                "created_at": _at(2026),
                "created_by": None,
                "exited_at": None,
                "erased_at": None,
            }
        ],
        "consents": [
            {
                "id": 1,
                "participant_id": 1,
                "scope": "prosecutor",
                "given_at": _at(2026),
                "expires_at": _at(2200),
                "revoked_at": None,
                "recorded_by": 3,
            }
        ],
        "plan_entries": [
            {
                "id": 1,
                "participant_id": 1,
                "need": "housing",
                "provider_id": None,
                "status": "started",
                "started_on": date(2026, 1, 1),
                "ended_on": None,
                "note": "ñ",
                "created_at": _at(2026),
                "updated_at": _at(2026),
            }
        ],
        "charges": [
            {
                "id": 1,
                "participant_id": 1,
                "date": date(2026, 2, 1),
                "description": "Theft — ü",
                "recorded_by": 4,
                "recorded_at": _at(2026),
            }
        ],
    },
}


def test_a_refusal_standing_at_the_upgrade_to_0017_is_kept_in_its_column(
    empty_database_url: str,
) -> None:
    # Before 0017 the carrier's refusal lived only in the result's words: /healthz and
    # the banner must still name it, and a run with nothing to send must not clear it.
    upgrade(empty_database_url, "0016")
    engine = create_engine(empty_database_url, poolclass=NullPool)
    refusal = "Twilio answered HTTP 401 (Twilio error 20003)"
    runs = {
        "dispatch-outbox": (False, f"texts are not going out: {refusal}; 0 sent, 1 to retry"),
        "retention": (False, "failed: RuntimeError: texts are not going out: no"),
        "shift-notices": (True, "texts are not going out: 0 shift notices"),
    }
    try:
        _insert(
            engine,
            {
                "job_runs": [
                    {"name": name, "started_at": _at(2026), "ok": ok, "result": result}
                    for name, (ok, result) in runs.items()
                ]
            },
        )
        upgrade(empty_database_url)
        after = {run["name"]: run for run in _rows(engine)["job_runs"]}
    finally:
        engine.dispose()

    assert {name: run["refused"] for name, run in after.items()} == {
        "dispatch-outbox": refusal,
        "retention": None,
        "shift-notices": None,
    }
    assert {name: (run["ok"], run["result"]) for name, run in after.items()} == runs


class TestReleaseWhileTheAppRuns:
    """`hotline db upgrade` runs as the release step while the hotline keeps answering."""

    # 0013 rebuilds an index of messages, which every text reads and writes; a backup's
    # pg_dump or a long report holds the table the way `holder` does here.
    BEFORE = "0012"

    def test_a_release_held_up_by_a_locked_table_fails_in_one_line_and_changes_nothing(
        self, empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _postgresql_only(empty_database_url)
        monkeypatch.setattr(migrations, "LOCKED_TRIES", 2, raising=False)
        monkeypatch.setattr(migrations, "LOCKED_PAUSE_S", 0.0, raising=False)
        upgrade(empty_database_url, self.BEFORE)
        engine = create_engine(empty_database_url, poolclass=NullPool)
        app = app_on(empty_database_url, tmp_path)
        outcome: dict[str, Any] = {}
        try:
            with engine.connect() as holder:
                _hold(holder)
                release = threading.Thread(
                    target=lambda: outcome.update(
                        result=app.test_cli_runner().invoke(args=["db", "upgrade"])
                    )
                )
                release.start()
                release.join(timeout=30)
                waited_on = release.is_alive()
                holder.rollback()
            release.join()
            assert not waited_on, "the release waited on the held table without end"
            result = outcome["result"]
            assert result.exit_code == 1
            last = result.output.strip().splitlines()[-1]
            assert last.startswith("Error: a table stayed locked by another session"), last
            assert "still at revision 0012" in last
            assert "Traceback" not in result.output
            # PostgreSQL's DDL is transactional: 0013's first steps were rolled back too.
            assert current_revision(engine) == self.BEFORE
            where = _indexes(inspect(engine), "referrals", None)["ix_referrals_participant_id"][2]
            assert "null" not in where.lower()
        finally:
            engine.dispose()

    def test_a_text_arriving_while_the_release_waits_on_a_lock_is_still_read(
        self, empty_database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _postgresql_only(empty_database_url)
        monkeypatch.setattr(migrations, "LOCKED_PAUSE_S", 0.05, raising=False)
        upgrade(empty_database_url, self.BEFORE)
        engine = create_engine(empty_database_url, poolclass=NullPool)
        webhooks = build_engine(empty_database_url)  # the app's own lock_timeout
        failures: list[BaseException] = []
        try:
            with engine.connect() as holder:
                _hold(holder)
                release = threading.Thread(
                    target=_upgrade_noting_failure(empty_database_url, failures)
                )
                release.start()
                try:
                    _wait_for_a_lock_wait(engine)
                    # The text's statement queues behind the release's lock request,
                    # which must give up before the text's own lock_timeout does.
                    with webhooks.connect() as connection:
                        connection.execute(text("SELECT count(*) FROM messages")).scalar_one()
                finally:
                    holder.rollback()
                    release.join(timeout=60)
            assert not failures
            assert current_revision(engine) == head_revision()
        finally:
            webhooks.dispose()
            engine.dispose()


class TestAReleaseCutShort:
    """A release killed mid-migration (a deploy cancelled, a timeout, a restart) undoes itself."""

    def test_a_release_killed_mid_migration_leaves_the_old_schema_and_the_next_one_succeeds(
        self, empty_database_url: str
    ) -> None:
        upgrade(empty_database_url, "0013")
        engine = create_engine(empty_database_url, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                connection.execute(text(KEPT_TEXT))

            # 0014 adds messages.participant_id: SQLite rebuilds the table to do it.
            killed = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    KILLED_AFTER_THE_FIRST_CHANGE_TO_MESSAGES,
                    empty_database_url,
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )

            assert killed.returncode == 9, killed.stderr
            assert current_revision(engine) == "0013"
            assert not [name for name in inspect(engine).get_table_names() if "tmp" in name]
            columns = {column["name"] for column in inspect(engine).get_columns("messages")}
            assert "participant_id" not in columns
            upgrade(empty_database_url)
            assert current_revision(engine) == head_revision()
            with engine.connect() as connection:
                bodies = connection.execute(text("SELECT body FROM messages")).scalars().all()
            assert bodies == ["REFER ñ"]
        finally:
            engine.dispose()


KEPT_TEXT = (
    "INSERT INTO messages (direction, from_number, to_number, body, status, created_at, attempts)"
    " VALUES ('in', '+12065550150', '+12065550100', 'REFER ñ', 'received', '2026-03-01', 0)"
)

# A release process that dies right after the first statement changing `messages`.
KILLED_AFTER_THE_FIRST_CHANGE_TO_MESSAGES = textwrap.dedent(
    """
    import os, re, sys
    from sqlalchemy import Engine, event
    from hotline.migrations import upgrade

    FIRST_CHANGE = re.compile(
        r"\\s*(CREATE TABLE _alembic_tmp_messages|ALTER TABLE messages ADD)", re.I
    )

    @event.listens_for(Engine, "after_cursor_execute")
    def die(connection, cursor, statement, *rest):
        if FIRST_CHANGE.match(statement):
            os._exit(9)

    upgrade(sys.argv[1])
    """
)


def app_on(url: str, instance: Path) -> Flask:
    """Return the app in development on the database at `url` (its release step run or not)."""
    config = {"TESTING": True, "HOTLINE_ENV": "development", "DATABASE_URL": url}
    return create_app({**config, "INSTANCE_PATH": instance})


def _postgresql_only(url: str) -> None:
    """Skip on SQLite, which has no lock queue: a waiting writer holds up nobody."""
    if make_url(url).get_backend_name() == "sqlite":
        pytest.skip("PostgreSQL's table locks")


def _hold(holder: Connection) -> None:
    """Keep `messages` locked in share mode, as a backup's pg_dump does while it runs."""
    holder.execute(text("SELECT count(*) FROM messages")).scalar_one()


def _upgrade_noting_failure(url: str, failures: list[BaseException]) -> Any:
    """Return a thread's target that upgrades `url` to head, keeping what it raised."""

    def run() -> None:
        try:
            upgrade(url)
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)

    return run


def _wait_for_a_lock_wait(
    engine: Engine, within_s: float = 30.0, locktype: str | None = "relation"
) -> None:
    """Return once some session of the database waits on a lock (a table's by default)."""
    deadline = time.monotonic() + within_s
    query = "SELECT count(*) FROM pg_locks WHERE NOT granted"
    if locktype is not None:
        query += f" AND locktype = '{locktype}'"
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(text(query)).scalar_one()
            watcher.rollback()
            if waiting:
                return
    pytest.fail("the release never waited on the held lock")


def _indexes(inspector: Any, table: str, schema: str | None) -> dict[str, tuple[Any, ...]]:
    """Return a table's indexes by name: columns, uniqueness and WHERE (normalised)."""
    found = {}
    for index in inspector.get_indexes(table, schema=schema):
        options = index.get("dialect_options", {})
        where = options.get("sqlite_where", options.get("postgresql_where"))
        text_of_where = " ".join(str(where).replace("(", " ").replace(")", " ").split())
        found[index["name"]] = (tuple(index["column_names"]), index["unique"], text_of_where)
    return found


def migrated_by_a_newer_release(url: str) -> Engine:
    """Upgrade the database at `url`, then mark it at a revision this release lacks (9999)."""
    upgrade(url)
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    return engine


def test_a_database_migrated_by_a_newer_release_is_refused_in_words_and_left_alone(
    empty_database_url: str,
) -> None:
    # Alembic said only "Can't locate revision identified by '9999'".
    engine = migrated_by_a_newer_release(empty_database_url)
    try:
        with pytest.raises(migrations.CommandError) as caught:
            upgrade(empty_database_url)
        assert str(caught.value) == (
            "the database is at revision 9999, which this release does not have: a newer "
            "release migrated it; deploy that release (or a later one) again. Nothing was changed."
        )
        assert current_revision(engine) == "9999"
    finally:
        engine.dispose()


def test_a_second_release_started_while_the_first_migrates_an_empty_database_succeeds(
    empty_database_url: str,
) -> None:
    # Two hosts' release steps at once: the second read "no revision" while the first was
    # still creating the tables, then failed on "duplicate key value … pg_type_typname_nsp_index".
    _postgresql_only(empty_database_url)
    engine = create_engine(empty_database_url, poolclass=NullPool)
    env = {
        **os.environ,
        "HOTLINE_ENV": "production",
        "SECRET_KEY": "release-test-" + "k" * 22,
        "TWILIO_AUTH_TOKEN": "release-test",
        "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
        "DATABASE_URL": empty_database_url,
    }
    try:
        with engine.connect() as first, first.begin():
            config = alembic_config(empty_database_url)
            config.attributes["connection"] = first
            command.upgrade(config, "head")  # the first release, not yet committed
            second = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            _wait_for_a_lock_wait(engine, locktype=None)
        output, _ = second.communicate(timeout=120)
        assert second.returncode == 0, output
        assert output.strip().endswith(f"is at revision {head_revision()} (head)."), output
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


class TestAnAppOnADatabaseBehindThisRelease:
    """The release step did not run (or failed): the hotline says what to run, in words."""

    BEFORE = "0015"  # before officers.active, which every call's first read asks for

    def test_healthz_fails_naming_the_revision_and_the_command_to_run(
        self, empty_database_url: str, tmp_path: Path
    ) -> None:
        # /healthz said only "error: ProgrammingError" (PostgreSQL) or "error:
        # OperationalError" (SQLite), as if the database were down.
        upgrade(empty_database_url, self.BEFORE)
        app = app_on(empty_database_url, tmp_path)
        try:
            answer = app.test_client().get("/healthz")
            assert answer.status_code == 503
            assert answer.get_json()["database"] == (
                f"behind: the database is at revision {self.BEFORE}, this release needs "
                f"{head_revision()}: run `hotline db upgrade`"
            )

            upgrade(empty_database_url)
            assert app.test_client().get("/healthz").get_json()["database"] == "ok"
        finally:
            database(app).engine.dispose()

    def test_a_database_a_newer_release_migrated_is_not_behind(
        self, empty_database_url: str, tmp_path: Path
    ) -> None:
        # A rolled-back release runs on the newer schema (migrations only add): no alarm.
        engine = migrated_by_a_newer_release(empty_database_url)
        try:
            app = app_on(empty_database_url, tmp_path)
            assert app.test_client().get("/healthz").get_json()["database"] == "ok"
        finally:
            engine.dispose()


def test_a_database_made_without_migrations_is_refused_in_words_and_left_alone(
    empty_database_url: str, tmp_path: Path
) -> None:
    # Tables made from the models (create_all) record no revision: the release step said
    # "database unavailable: table officers already exists" (SQLite), as if it were down.
    engine = create_engine(empty_database_url, poolclass=NullPool)
    app = app_on(empty_database_url, tmp_path)
    try:
        Base.metadata.create_all(engine)
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 1
        assert result.output.splitlines() == [
            "Error: the database already has tables (api_tokens, assessments, …) but no "
            "migration revision: it was not made by `hotline db upgrade`. Nothing was changed; "
            "point DATABASE_URL at an empty database or at one `hotline db upgrade` made."
        ]
        assert "alembic_version" not in inspect(engine).get_table_names()
    finally:
        database(app).engine.dispose()
        engine.dispose()
