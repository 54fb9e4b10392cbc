"""Alembic environment: migrate the database named by the caller (see hotline/migrations.py)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event, pool

from hotline.db import sqlite_file
from hotline.migrations import MIGRATION_LOCK_TIMEOUT_MS, ONE_RELEASE_AT_A_TIME
from hotline.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write UTCDateTime as the plain column type it stores, so migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def database_url() -> str:
    """Return the URL that hotline.migrations.alembic_config() set."""
    url = config.attributes.get("sqlalchemy.url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: use hotline.migrations.alembic_config(url)")
    return str(url)


def configure(**options: Any) -> None:
    """Configure the migration context with this project's comparison and rendering choices."""
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        **options,
    )


def run_offline() -> None:
    """Emit the migrations as SQL instead of running them."""
    url = database_url()
    configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    """Run the migrations on an open connection."""
    sqlite = connection.dialect.name == "sqlite"
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead. Its DDL is
    # transactional too (see transactional_sqlite): a release cut short undoes itself.
    configure(connection=connection, render_as_batch=sqlite, transactional_ddl=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # hotline.migrations.upgrade tries again when a lock is not granted in time.
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {MIGRATION_LOCK_TIMEOUT_MS}")
            # Two hosts' release steps at once: the second reads the revision only once the
            # first has committed, instead of creating the tables the first is creating.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ONE_RELEASE_AT_A_TIME})")
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the caller's connection, or on a new one to the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = database_url()
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # Not the app's engine: its SQLite connections enforce foreign keys, and a
    # batch migration that drops and rebuilds a parent table must not cascade.
    engine = create_engine(url, poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":
        transactional_sqlite(engine)
    try:
        with engine.connect() as connection:
            run_on(connection)
    finally:
        engine.dispose()


def transactional_sqlite(engine: Engine) -> None:
    """Make each transaction of `engine` a real one that DDL joins, holding the write lock.

    The sqlite3 module commits a CREATE TABLE at once, so a release killed while a
    batch migration rebuilt a table left `_alembic_tmp_…` behind, and every later
    upgrade stopped on it. IMMEDIATE takes the write lock up front: in WAL mode a
    transaction that read before another process wrote could not write at all.
    """

    @event.listens_for(engine, "connect")
    def leave_transactions_to_sqlalchemy(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
