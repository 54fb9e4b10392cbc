"""A whole-request deadline for webhooks: past it, the caller gets the fail-open answer.

The drivers' own limits (connect timeout, lock and statement timeouts, the
pool's wait, SQLite's busy limit) each bound one kind of wait; a request can
still add several of them up. The deadline bounds their sum: an interval
timer raises `DeadlineExceeded` into whatever the request is waiting on,
psycopg's socket waits and the SQLite writers' turn included.

The timer is a signal, so it works only on a process's main thread, which
is where gunicorn's sync workers (gunicorn.conf.py) run every request. On
another thread (the threaded development server) the drivers' limits alone
bound the wait.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger(__name__)

# Twilio gives a caller 15 s of silence; the hotline keeps to 3 s (SPEC §4.8).
# The deadline leaves a second of that for the network, the queue and the answer.
WEBHOOK_DEADLINE_S = 2.0


class DeadlineExceeded(BaseException):
    """The request ran past its deadline.

    A BaseException, like KeyboardInterrupt: broad `except Exception` blocks on
    the way up must not swallow it, and SQLAlchemy invalidates a connection
    interrupted by one instead of handing it back to the pool mid-statement.
    """


def _raise_deadline(signum: int, frame: FrameType | None) -> None:
    raise DeadlineExceeded()


def can_interrupt() -> bool:
    """Tell whether this thread can be interrupted by the deadline's timer."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded inside the block once it has run `seconds`."""
    if not can_interrupt():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _raise_deadline)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
