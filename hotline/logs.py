"""Log failures without personal data: database errors can quote the row that failed."""

from __future__ import annotations

import logging
import sys
from typing import Any

from sqlalchemy.exc import DBAPIError, PendingRollbackError


def database_error_in(error: BaseException | None) -> DBAPIError | PendingRollbackError | None:
    """Return the database error `error` is, or was raised while handling, if any.

    A traceback prints every exception of the chain, and a session left by a failed
    flush repeats the original error in its own message (PendingRollbackError).
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (DBAPIError, PendingRollbackError)):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def error_code(orig: object) -> str:
    """Return the database's own code of a driver error, the one an operator looks up.

    PostgreSQL's SQLSTATE ("SQLSTATE 23502"), SQLite's result name
    ("SQLITE_CONSTRAINT_NOTNULL"); never SQLAlchemy's code, which only names a page
    of its documentation.
    """
    if state := getattr(orig, "sqlstate", None):
        return f"SQLSTATE {state}"
    return str(getattr(orig, "sqlite_errorname", None) or "no error code")


def log_exception(
    logger: logging.Logger, message: str, *args: Any, level: int = logging.ERROR
) -> None:
    """Log the exception being handled; a database error only by its class and code.

    PostgreSQL's messages can carry a failing row ("Failing row contains (…,
    Jane Doe, …)"), so their text and traceback never reach the logs, nor those
    of an error raised while handling one (whose traceback would print it).
    """
    error = sys.exc_info()[1]
    found = database_error_in(error)
    if found is not None:
        orig = getattr(found, "orig", None)
        kind = type(orig if orig is not None else found).__name__
        if error is not found and error is not None:
            message += f" ({type(error).__name__} after a database error)"
        logger.log(level, message + " (database error %s, %s)", *args, kind, error_code(orig))
        return
    logger.log(level, message, *args, exc_info=True)


def drop_result_rows(record: logging.LogRecord) -> bool:
    """Tell whether a SQLAlchemy engine record may be logged: never a fetched row."""
    return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


def keep_rows_out_of_logs() -> None:
    """Stop SQLAlchemy's debug logging (echo="debug") from printing fetched rows.

    hide_parameters keeps bound values out of the log; rows (names, notes)
    would still be printed at DEBUG, so they are filtered where they are made.
    """
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(drop_result_rows)
