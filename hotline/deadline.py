"""A whole-request deadline for webhooks: past it, the caller gets the fail-open answer.

The drivers' own limits (connect timeout, lock and statement timeouts, the
pool's wait, SQLite's busy limit) each bound one kind of wait; a request can
still add several of them up. The deadline bounds their sum: an interval
timer raises `DeadlineExceeded` into whatever the request is waiting on,
psycopg's socket waits and the SQLite writers' turn included.

Python swallows an exception raised inside a finalizer (`__del__`), a
weakref callback or a garbage-collector callback ("Exception ignored in
..."), and the timer may well fire there. So each time its handler runs it
sets the timer again, REPEAT_S on, until the block is left: a raise that was
lost is raised again. One that is on its way out (a rollback, a connection
closed, a `finally`) is left UNWIND_GRACE_S to get there before it is raised
again into what holds it up. The block's exit stops the timer before
anything else, so the fail-open answer is never interrupted.

The timer is a signal, so it works only on a process's main thread, which
is where gunicorn's sync workers (gunicorn.conf.py) run every request. On
another thread (the threaded development server) the drivers' limits alone
bound the wait.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from contextlib import AbstractContextManager
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

# Twilio gives a caller 15 s of silence; the hotline keeps to 3 s (SPEC §4.8).
# The deadline leaves a second of that for the network, the queue and the answer.
WEBHOOK_DEADLINE_S = 2.0
# Past the deadline the timer fires again this long after each raise: one Python
# swallowed is raised again.
REPEAT_S = 0.1
# A raise on its way out of the block (its rollback, its closed connection) is raised
# again only after this: 2 s + 0.3 s + the answer still fit the caller's 3 s.
UNWIND_GRACE_S = 0.3
# setitimer() takes 0 as "stop": a deadline already due fires at once instead.
MIN_TIMER_S = 1e-6
# How far back a chain of exceptions is searched for the deadline's own raise.
MAX_CHAIN = 16


class DeadlineExceeded(BaseException):
    """The request ran past its deadline.

    A BaseException, like KeyboardInterrupt: broad `except Exception` blocks on
    the way up must not swallow it, and SQLAlchemy invalidates a connection
    interrupted by one instead of handing it back to the pool mid-statement.
    """


def can_interrupt() -> bool:
    """Tell whether this thread can be interrupted by the deadline's timer."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


def deadline(seconds: float) -> AbstractContextManager[None]:
    """Raise DeadlineExceeded inside the block once it has run `seconds`, until it is left."""
    return _Deadline(seconds)


class _Deadline:
    """One block's deadline: its timer, its raises, and the handler and timer it took over."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.started = self.expires = self.raised_at = 0.0
        self.raised: list[DeadlineExceeded] = []
        self.previous_handler: Any = None
        self.previous_timer = (0.0, 0.0)

    def __enter__(self) -> None:
        if not can_interrupt():
            return
        self.previous_handler = signal.signal(signal.SIGALRM, self._fire)
        self.started = time.monotonic()
        self.expires = self.started + self.seconds
        # Not armed until set: a tick of the timer it replaces is ignored.
        self.previous_timer = signal.setitimer(signal.ITIMER_REAL, max(self.seconds, MIN_TIMER_S))
        self.armed = True

    def __exit__(self, *exc_info: object) -> None:
        if not self.armed:
            return
        # First of all, before any call: from here on a tick does nothing.
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.raised.clear()
        previous = self.previous_handler
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        remaining, interval = self.previous_timer
        if remaining > 0:  # an outer deadline's (or a test runner's): it counted on meanwhile
            left = remaining - (time.monotonic() - self.started)
            signal.setitimer(signal.ITIMER_REAL, max(left, MIN_TIMER_S), interval)

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        if not self.armed or (frame is not None and frame.f_code is _EXIT_CODE):
            return  # the block is being left (a tick at __exit__'s first line): it stops the timer
        now = time.monotonic()
        # The next tick is set from here, once this one is handled, never on a fixed beat:
        # psycopg's wait polls 0.1 s at a time and polls anew, handlers unrun, when a
        # signal cuts it short, so ticks every 0.1 s would keep them from ever running.
        signal.setitimer(signal.ITIMER_REAL, max(self.expires - now, REPEAT_S))
        if now < self.expires:
            return
        if now - self.raised_at < UNWIND_GRACE_S and self._on_its_way_out():
            return
        self.raised_at = now
        error = DeadlineExceeded()
        self.raised.append(error)
        raise error

    def _on_its_way_out(self) -> bool:
        """Tell whether a raise of this deadline is being handled (an except, finally, exit)."""
        error = sys.exception()
        for _ in range(MAX_CHAIN):
            if error is None:
                return False
            if any(error is raised for raised in self.raised):
                return True
            error = error.__context__
        return False


_EXIT_CODE = _Deadline.__exit__.__code__
