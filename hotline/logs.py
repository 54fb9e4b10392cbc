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
