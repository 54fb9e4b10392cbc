"""Log failures without personal data: database errors can quote the row that failed."""

from __future__ import annotations

import logging
import sys
from typing import Any

from sqlalchemy.exc import DBAPIError


def log_exception(logger: logging.Logger, message: str, *args: Any) -> None:
    """Log the exception being handled; a database error only by its class and SQLSTATE.

    PostgreSQL's messages can carry a failing row ("Failing row contains (…,
    Jane Doe, …)"), so their text and traceback never reach the logs.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DBAPIError):
        code = getattr(error.orig, "sqlstate", None) or getattr(error, "code", None) or "unknown"
        logger.error(
            message + " (database error %s, SQLSTATE %s)", *args, type(error.orig).__name__, code
        )
        return
    logger.exception(message, *args)


def drop_result_rows(record: logging.LogRecord) -> bool:
    """Tell whether a SQLAlchemy engine record may be logged: never a fetched row."""
    return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


def keep_rows_out_of_logs() -> None:
    """Stop SQLAlchemy's debug logging (echo="debug") from printing fetched rows.

    hide_parameters keeps bound values out of the log; rows (names, notes)
    would still be printed at DEBUG, so they are filtered where they are made.
    """
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(drop_result_rows)
