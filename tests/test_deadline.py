"""The webhook deadline (SPEC §4.8): it interrupts the block even when its first raise is lost.

Python swallows an exception raised inside a finalizer, a weakref callback or
a garbage-collector callback ("Exception ignored in …"): a deadline that fired
once and landed there used to leave the request running on, bounded only by
the drivers' limits. No fixed sleeps: each block polls the clock and fails
the test if the deadline has not come by a limit. How soon a spinning block
was interrupted is measured in this thread's CPU time: on a loaded machine
the process may stand still for a while, and a pending tick is handled as
soon as it runs again.
"""

from __future__ import annotations

import gc
import random
import signal
import socket
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from psycopg import waiting
from psycopg.waiting import Wait

from hotline.deadline import REPEAT_S, UNWIND_GRACE_S, DeadlineExceeded, deadline

LIMIT_S = 1.5  # a block still running this long was not interrupted

pytestmark = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"),
    reason="the deadline's timer needs the main thread and setitimer",
)


def cpu() -> float:
    """This thread's CPU time: it does not count while the machine runs something else."""
    return time.thread_time()


def spin(until: float) -> None:
    """Run Python code (which a signal can interrupt) until `until` on the monotonic clock."""
    while time.monotonic() < until:
        pass


class Busy:
    """An object whose finalizer runs Python code for a while, as a slow `__del__` would."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __del__(self) -> None:
        spin(time.monotonic() + self.seconds)


def finalizer() -> None:
    Busy(LIMIT_S)  # dropped at once: its __del__ runs here


def weakref_callback() -> None:
    class Target:
        pass

    target = Target()
    held = weakref.ref(target, lambda _: spin(time.monotonic() + LIMIT_S))
    del target  # the callback runs here
    assert held() is None


def gc_callback() -> None:
    def slow(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            spin(time.monotonic() + LIMIT_S)

    gc.callbacks.append(slow)
    try:
        gc.collect(0)  # the youngest objects only: the callbacks run all the same
    finally:
        gc.callbacks.remove(slow)


@pytest.fixture
def swallowed(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    """Collect what Python swallows ("Exception ignored in …") instead of printing it."""
    seen: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: seen.append(unraisable.exc_value))
    return seen


@contextmanager
def own_alarm(handler: Callable[[int, Any], None], seconds: float) -> Iterator[None]:
    """Install a SIGALRM handler and timer of the test's own; put back what was there after."""
    before = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


@pytest.mark.parametrize("lost_in", [finalizer, weakref_callback, gc_callback])
def test_a_raise_swallowed_by_a_finalizer_is_raised_again_shortly_after(
    swallowed: list[BaseException | None], lost_in: Callable[[], None]
) -> None:
    gc.collect()  # earlier tests' garbage: its finalizers must not run inside the block
    started = time.monotonic()
    lost_by = cpu() + LIMIT_S
    with pytest.raises(DeadlineExceeded), deadline(0.05):
        lost_in()  # the deadline comes while this runs, and Python swallows it
        lost_by = cpu()
        spin(started + LIMIT_S)
        pytest.fail("the deadline never interrupted the block after its first raise was lost")
    assert any(isinstance(error, DeadlineExceeded) for error in swallowed)
    # Once out of the finalizer, the block is interrupted within about one interval.
    assert cpu() - lost_by < 3 * REPEAT_S


def test_a_driver_wait_that_polls_again_after_each_signal_is_interrupted() -> None:
    """psycopg's socket wait polls 0.1 s at a time and starts over, handlers unrun, on a signal.

    A timer repeating every 0.1 s cut each poll short before it ended: the handler
    never ran, and a call on a frozen link waited for as long as the link stayed frozen.
    """
    wait_c = getattr(waiting, "wait_c", None)
    if wait_c is None:
        pytest.skip("psycopg's C extension (psycopg[binary]) is not installed")
    started = time.monotonic()

    def silent_server() -> Iterator[Wait]:
        while time.monotonic() < started + LIMIT_S:
            yield Wait.R  # nothing ever comes on the socket: wait again

    quiet, server = socket.socketpair()
    # The server speaks at last (the link thaws): a wait never interrupted ends then.
    thaw = threading.Timer(LIMIT_S, server.send, [b"."])
    thaw.start()
    try:
        with pytest.raises(DeadlineExceeded), deadline(0.05):
            wait_c(silent_server(), quiet.fileno(), interval=0.1)
            pytest.fail("the deadline never interrupted the driver's wait")
        assert time.monotonic() - started < 0.05 + 4 * REPEAT_S
    finally:
        thaw.cancel()
        thaw.join()
        quiet.close()
        server.close()


def test_cleanup_on_the_way_out_is_not_interrupted_again() -> None:
    """A rollback or a connection closed after the deadline's raise runs to its end."""
    cleaned = False
    with pytest.raises(DeadlineExceeded), deadline(0.05):
        try:
            spin(time.monotonic() + LIMIT_S)
        finally:
            spin(time.monotonic() + 2 * REPEAT_S)  # longer than a swallowed raise waits
            cleaned = True
    assert cleaned


def test_cleanup_stuck_on_the_way_out_is_interrupted_too() -> None:
    """A rollback waiting on a server that never answers does not hold the answer either."""
    with pytest.raises(DeadlineExceeded) as raised, deadline(0.05):
        try:
            spin(time.monotonic() + LIMIT_S)
        finally:
            stuck_from = cpu()
            spin(time.monotonic() + LIMIT_S)
    assert cpu() - stuck_from < UNWIND_GRACE_S + 3 * REPEAT_S
    assert isinstance(raised.value.__context__, DeadlineExceeded)  # the first, on its way out


def test_nothing_fires_after_the_block_has_ended() -> None:
    started = time.monotonic()
    with deadline(0.1):
        pass
    with pytest.raises(DeadlineExceeded), deadline(0.05):
        spin(started + LIMIT_S)
    spin(time.monotonic() + 0.1 + 3 * REPEAT_S)  # past the first and several repeats
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_blocks_ending_as_their_deadline_comes_leave_nothing_running() -> None:
    """Whether the block or the timer comes first, the raise stays inside the `with`.

    A tick that lands on the exit's own first line must not raise: the exit would
    never run, and the timer would go on raising into the fail-open answer.
    """
    jitter = random.Random(8)
    interrupted = escaped = 0
    until = time.monotonic() + 0.6
    while time.monotonic() < until:
        try:
            try:
                with deadline(0.0005):
                    spin(time.monotonic() + 0.0005 - jitter.uniform(0, 0.0001))
            except DeadlineExceeded:
                interrupted += 1
            spin(time.monotonic() + 0.00005)  # the code after the block
        except DeadlineExceeded:
            escaped += 1
    spin(time.monotonic() + 3 * REPEAT_S)
    assert escaped == 0 and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert interrupted > 0  # the race was run, not only the early ends


def test_the_previous_handler_and_timer_are_put_back() -> None:
    rang: list[int] = []

    def previous(signum: int, frame: Any) -> None:
        rang.append(signum)

    with own_alarm(previous, 5.0):
        with pytest.raises(DeadlineExceeded), deadline(0.05):
            spin(time.monotonic() + LIMIT_S)
        assert signal.getsignal(signal.SIGALRM) is previous
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 4.0 < remaining <= 5.0  # still counting down where it was
        with deadline(0.5):
            pass
        assert signal.getsignal(signal.SIGALRM) is previous
        assert 4.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 5.0
    assert rang == []


def test_a_nested_deadline_gives_back_the_outer_one() -> None:
    started, started_cpu = time.monotonic(), cpu()
    with pytest.raises(DeadlineExceeded), deadline(0.2):
        with deadline(1.0):
            pass
        spin(started + LIMIT_S)  # the outer deadline still holds
    assert cpu() - started_cpu < 0.2 + 3 * REPEAT_S
