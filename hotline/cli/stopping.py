"""Ctrl-C or SIGTERM ends a long-running command as the operator meant it: its stop line, 0."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click


@contextmanager
def stopped_by_ctrl_c_or_sigterm(stop_line: str) -> Iterator[None]:
    """Run the block until it ends or is stopped, then print `stop_line`; a failure still raises.

    Click reads a Ctrl-C it sees (one while the app starts, or a second while the clock
    finishes a job) as "Aborted!" and status 1, which a person and a script read as a
    failure; SIGTERM (kill, systemd, a process manager) ended the process at once, with
    its clock mid-job, no stop line and status 143. Both now stop it as Ctrl-C does.
    """
    previous = None
    if threading.current_thread() is threading.main_thread():  # signals reach only that one
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    click.echo(stop_line)
