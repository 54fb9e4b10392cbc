"""Run the Alembic migrations under the repository's db/ folder, no alembic.ini needed."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, inspect, pool, text
from sqlalchemy.exc import DBAPIError, OperationalError

from .db import POSTGRES_LOCK_TIMEOUT_MS

# db/ sits beside the package in the repository (the app is deployed from a checkout).
SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "db"

# On PostgreSQL a migration's request for a table lock queues every webhook's statement
# on that table behind it: it gives up before their own lock_timeout would, so a table
# held by another session (a backup's pg_dump, a long report) never holds the hotline.
MIGRATION_LOCK_TIMEOUT_MS = POSTGRES_LOCK_TIMEOUT_MS * 2 // 3
# The whole upgrade is one transaction there, rolled back when a lock is not granted;
# it is tried again from the start, then the release fails and the old one keeps serving.
LOCKED_TRIES = 12
LOCKED_PAUSE_S = 5.0
LOCK_NOT_AVAILABLE = "55P03"
VERSION_TABLE = "alembic_version"
DUPLICATE_OBJECT = {"42P07", "42710"}  # a table or index, another object of that name
# The key of the PostgreSQL advisory lock an upgrade holds for its transaction.
ONE_RELEASE_AT_A_TIME = 0x686F746C696E65  # "hotline"

log = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration that migrates the database at `url`."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # Passed as an attribute, not an option: options interpolate "%", which
    # URL-encoded passwords contain.
    config.attributes["sqlalchemy.url"] = url
    # `alembic revision --autogenerate` output is formatted like the rest of the code.
    config.set_main_option("hooks", "ruff")
    config.set_main_option("ruff.type", "module")
    config.set_main_option("ruff.module", "ruff")
    config.set_main_option("ruff.options", "format REVISION_SCRIPT_FILENAME")
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`, trying again while a table is held."""
    for attempt in range(1, LOCKED_TRIES + 1):
        try:
            command.upgrade(alembic_config(url), revision)
            return
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                refuse_tables_made_without_migrations(url, error)
                raise
        except DBAPIError as error:
            refuse_tables_made_without_migrations(url, error)
            raise
        except CommandError:
            refuse_an_unknown_revision(url)
            raise
        if attempt < LOCKED_TRIES:
            log.warning(
                "a table is locked by another session; trying again in %g s (%d of %d)",
                LOCKED_PAUSE_S,
                attempt + 1,
                LOCKED_TRIES,
            )
            time.sleep(LOCKED_PAUSE_S)
    raise CommandError(
        f"a table stayed locked by another session (a backup, a long query, another "
        f"release still migrating) through "
        f"{LOCKED_TRIES} tries; nothing was changed, the database is still at revision "
        f"{_revision_at(url)}: run `hotline db upgrade` again once it is free"
    )


def refuse_an_unknown_revision(url: str) -> None:
    """Raise CommandError in words when a newer release has migrated the database at `url`."""
    at = _revision_at(url)
    scripts = ScriptDirectory.from_config(alembic_config(url))
    if at is None or at in {script.revision for script in scripts.walk_revisions()}:
        return
    # A rolled-back release runs its own release phase: Alembic only says it cannot locate it.
    raise CommandError(
        f"the database is at revision {at}, which this release does not have: a newer "
        "release migrated it; deploy that release (or a later one) again. Nothing was changed."
    )


def refuse_tables_made_without_migrations(url: str, error: DBAPIError) -> None:
    """Raise CommandError in words when the upgrade met tables the database has no revision of.

    The failed upgrade was rolled back (its DDL is transactional on both databases),
    so the database is as it was; any other failure is left to the caller's own error.
    """
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate not in DUPLICATE_OBJECT and "already exists" not in str(error.orig):
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            tables = sorted(inspect(connection).get_table_names())
            if VERSION_TABLE in tables or not tables:
                return
    except DBAPIError:
        return
    finally:
        engine.dispose()
    # Made from the models (create_all), or another program's tables of the same names.
    raise CommandError(
        f"the database already has tables ({', '.join(tables[:2])}, …) but no migration "
        "revision: it was not made by `hotline db upgrade`. Nothing was changed; point "
        "DATABASE_URL at an empty database or at one `hotline db upgrade` made."
    )


def _revision_at(url: str) -> str | None:
    """Return the revision of the database at `url`, on a connection of its own."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """Return the newest revision of the migration scripts."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


@cache
def _revisions() -> tuple[str | None, frozenset[str]]:
    """Return this release's head and every revision it has (read from db/ once).

    An install without db/ (a wheel, not a checkout) has none: nothing is called behind.
    """
    try:
        scripts = ScriptDirectory.from_config(alembic_config(""))
    except CommandError:
        return None, frozenset()
    return scripts.get_current_head(), frozenset(s.revision for s in scripts.walk_revisions())


def behind(connection: Connection) -> str | None:
    """Return why the database is behind this release (its release step did not run), or None.

    A database a newer release migrated is not behind (migrations only add), nor one
    with no revision recorded, which the tests' schemas made from the models are.
    """
    # Not through MigrationContext, which logs two INFO lines at each uptime check.
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    at = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    head, known = _revisions()
    if at is None or head is None or at == head or at not in known:
        return None
    return (
        f"behind: the database is at revision {at}, this release needs {head}: "
        "run `hotline db upgrade`"
    )


NEVER_MIGRATED = "the database has no schema yet: run `hotline db upgrade`"


def unready(connection: Connection, own_tables: Iterable[str]) -> str | None:
    """Return why the database lacks this release's schema, naming the command that mends it.

    Never migrated: no revision and none of `own_tables` (another program's tables may be
    there); behind: as behind() says. None for a database at head, or one whose tables were
    made from the models (the tests'), whose own errors say more.
    """
    inspector = inspect(connection)
    if not inspector.has_table(VERSION_TABLE):
        if set(inspector.get_table_names()) & set(own_tables):
            return None
        return NEVER_MIGRATED
    return behind(connection)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None when never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
