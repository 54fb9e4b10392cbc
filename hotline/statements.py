"""Statements on single rows, built once: insert unless present, conditional updates, holds."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import CursorResult, Insert, Result, Table, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# PostgreSQL's lock_not_available: a row stayed held past the session's lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"


def insert_unless_present(session: Session, model: type[Any], values: dict[str, Any]) -> Any:
    """Insert a row unless a unique key already holds it; return its primary key, or None.

    The database's unique constraint decides, so two concurrent requests
    carrying the same provider id (CallSid, MessageSid) never both insert.
    """
    if session.autoflush:
        session.flush()  # as a query would: the rows this one refers to go first
    connection = session.connection()
    statement = insert_ignoring_conflicts(table_of(model), connection.dialect.name)
    return connection.execute(statement, values).scalar()


@functools.cache
def insert_ignoring_conflicts(table: Table, dialect: str) -> Insert:
    """Return the INSERT … ON CONFLICT DO NOTHING RETURNING key of a table, built once.

    The values go in as parameters, not into the statement, so that each
    request reuses the compiled statement instead of building a new one.
    """
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    # RETURNING tells reliably whether a row went in (rowcount is -1 with psycopg).
    primary_key = table.primary_key.columns[0]
    return insert(table).on_conflict_do_nothing().returning(primary_key)


def table_of(model: type[Any]) -> Table:
    """Return a model's table, for Core statements built once and run with parameters."""
    table: Table = model.__table__
    return table


def updated_one_row(result: Result[Any]) -> bool:
    """Tell whether a conditional UPDATE changed exactly one row (so this request won)."""
    return isinstance(result, CursorResult) and result.rowcount == 1


def hold_row(session: Session, model: Any, row_id: int, column: Any) -> Any:
    """Read a row again and hold it until commit; None when there is none.

    Whatever read it before (a page, an earlier step) may have seen it before another
    worker changed it: judge it as it is now. A write of `column` to itself takes the
    row first, on SQLite too (where FOR UPDATE does nothing and reads take no turn), so
    two holders take turns instead of the later one writing over what it never saw.
    """
    touch = update(model).where(model.id == row_id).values({column.key: column})
    session.execute(touch.execution_options(synchronize_session=False))
    return session.get(model, row_id, with_for_update=True, populate_existing=True)


def held_elsewhere(error: BaseException) -> bool:
    """Tell whether a statement gave up waiting for a row another transaction holds."""
    return (
        isinstance(error, OperationalError)
        and getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE
    )


@contextmanager
def unless_held(session: Session, what: str) -> Iterator[None]:
    """Roll back and log one row's work if its row is held elsewhere; let other errors out.

    A job's run goes on past it: the row waits for a later run, once it is let go.
    """
    try:
        yield
    except OperationalError as error:
        if not held_elsewhere(error):
            raise
        session.rollback()
        log.warning("%s held elsewhere: left for a later run", what)
