"""Turn the failures a command can expect into one-line errors, never tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from alembic.util import CommandError as AlembicError
from click.exceptions import NoArgsIsHelpError
from flask import has_app_context
from flask.cli import AppGroup, NoAppException
from sqlalchemy.exc import DBAPIError, OperationalError

from hotline import migrations
from hotline.config import ConfigError
from hotline.db import database
from hotline.models import Base
from hotline.services.errors import DomainError

# The failures reported_as_click_errors turns into one line of their own.
EXPECTED_FAILURES = (click.ClickException, DomainError, ConfigError, AlembicError, DBAPIError)


@contextmanager
def reported_as_click_errors() -> Iterator[None]:
    """Re-raise configuration and database failures as click errors with one line."""
    try:
        yield
    except click.UsageError as error:
        raise one_line_usage(error) from None
    except DomainError as error:
        where = f"{error.field}: " if error.field else ""
        raise click.ClickException(where + error.message) from None
    except (ConfigError, AlembicError) as error:
        raise click.ClickException(first_line(error)) from None
    except DBAPIError as error:
        unmigrated = schema_missing(error)
        if unmigrated is not None:
            raise click.ClickException(unmigrated) from None
        if isinstance(error, OperationalError):
            # The driver's own message says what failed (refused, auth, locked) without SQL.
            raise click.ClickException(f"database unavailable: {first_line(error.orig)}") from None
        raise click.ClickException(f"database error: {first_line(error.orig)}") from None


# PostgreSQL's undefined_table and undefined_column; SQLite says it in words.
UNDEFINED = {"42P01", "42703"}
SQLITE_UNDEFINED = ("no such table", "no such column", "has no column named")


def schema_missing(error: DBAPIError) -> str | None:
    """Return the line naming `hotline db upgrade` when the database lacks the statement's table.

    Never migrated, or behind this release (worded as /healthz words it); else None, and
    the driver's own message stands.
    """
    words = str(error.orig)
    if getattr(error.orig, "sqlstate", None) not in UNDEFINED and not any(
        marker in words for marker in SQLITE_UNDEFINED
    ):
        return None  # asked only then: a database out of reach would be waited for twice
    if not has_app_context():  # every command that reads the database runs in one
        return None
    try:
        with database().engine.connect() as connection:
            return migrations.unready(connection, Base.metadata.tables)
    except DBAPIError:
        return None


def one_line_usage(error: click.UsageError) -> click.UsageError:
    """Return a usage error that prints as one line, its help hint at the end (exit 2 kept)."""
    # A group named alone asks for its help, which click shows through a usage error too;
    # settings the app cannot start with are no misuse of the command (exit 1, no hint).
    if error.ctx is None or isinstance(error, (NoArgsIsHelpError, NoAppException)):
        return error
    if isinstance(error, OneLineUsageError):
        return error
    hint = f" (see '{error.ctx.command_path} --help')"
    return OneLineUsageError(error.format_message() + hint)


class OneLineUsageError(click.UsageError):
    """A usage error already worded with its help hint, shown as that one line.

    Click gives a usage error the context of each invocation it passes through
    (an app-context command passes two), so without this its group hinted again.
    """

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the one line, without click's usage text."""
        click.ClickException.show(self, file)


def first_line(error: BaseException | None) -> str:
    """Return the first non-empty line of an exception's message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


class CommandGroup(AppGroup):
    """A group of commands run in an app context, whose expected failures read as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        with reported_as_click_errors():
            return super().invoke(ctx)
