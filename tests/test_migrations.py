"""Migrations take an empty database to head, and the models match them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from hotline.config import normalize_database_url
from hotline.migrations import alembic_config, head_revision, upgrade
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


def _indexes(inspector: Any, table: str, schema: str | None) -> dict[str, tuple[Any, ...]]:
    """Return a table's indexes by name: columns, uniqueness and WHERE (normalised)."""
    found = {}
    for index in inspector.get_indexes(table, schema=schema):
        options = index.get("dialect_options", {})
        where = options.get("sqlite_where", options.get("postgresql_where"))
        text_of_where = " ".join(str(where).replace("(", " ").replace(")", " ").split())
        found[index["name"]] = (tuple(index["column_names"]), index["unique"], text_of_where)
    return found
