"""Run the Alembic migrations under the repository's db/ folder, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import hotline

# db/ sits beside the package in the repository (the app is deployed from a checkout).
SCRIPT_LOCATION = Path(hotline.__file__).resolve().parent.parent / "db"


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
    """Migrate the database at `url` up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """Return the newest revision of the migration scripts."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None when never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
