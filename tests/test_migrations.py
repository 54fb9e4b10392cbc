"""Migrations take an empty database to head, and the models match them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from hotline import create_app, migrations
from hotline.config import normalize_database_url
from hotline.db import build_engine
from hotline.migrations import alembic_config, current_revision, head_revision, upgrade
from hotline.models import Base

TEST_DATABASE_VARIABLE = "HOTLINE_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a database with nothing in it, on each backend under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    configured = normalize_database_url(os.environ.get(TEST_DATABASE_VARIABLE))
    if not configured:
        pytest.skip(f"{TEST_DATABASE_VARIABLE} is not set")
    # A schema of its own leaves the tables the other fixtures share untouched.
    schema = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(configured, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(configured).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
        app = create_app(
            {
                "TESTING": True,
                "HOTLINE_ENV": "development",
                "INSTANCE_PATH": tmp_path,
                "DATABASE_URL": empty_database_url,
            }
        )
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


def _wait_for_a_lock_wait(engine: Engine, within_s: float = 30.0) -> None:
    """Return once some session of the database waits on a table lock."""
    deadline = time.monotonic() + within_s
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'relation'")
            ).scalar_one()
            watcher.rollback()
            if waiting:
                return
    pytest.fail("the release never waited on the held table")


def _indexes(inspector: Any, table: str, schema: str | None) -> dict[str, tuple[Any, ...]]:
    """Return a table's indexes by name: columns, uniqueness and WHERE (normalised)."""
    found = {}
    for index in inspector.get_indexes(table, schema=schema):
        options = index.get("dialect_options", {})
        where = options.get("sqlite_where", options.get("postgresql_where"))
        text_of_where = " ".join(str(where).replace("(", " ").replace(")", " ").split())
        found[index["name"]] = (tuple(index["column_names"]), index["unique"], text_of_where)
    return found
