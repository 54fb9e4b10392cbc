"""Ctrl-C (SIGINT) or SIGTERM stops a long-running command as the operator meant: status 0.

Each command runs as a real process, as from a terminal, a script or systemd: click turns a
Ctrl-C it sees into "Aborted!" and status 1, and SIGTERM's default ends a process at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

DEADLINE_S = 60.0
# `hotline …`, with the demo's folder moved to the test's own (it is the checkout's instance/).
HOTLINE = (
    "import sys, pathlib; from hotline.cli import demo, main; "
    "demo.demo_folder = lambda: pathlib.Path(sys.argv[1]); main(sys.argv[2:], 'hotline')"
)
STOP_LINES = {"serve": "Stopped.", "demo": "Demo stopped.", "scheduler": "scheduler stopped"}


def free_port() -> int:
    """Return a loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(folder: Path, *arguments: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `hotline ARGUMENTS` as a terminal would: Ctrl-C's SIGINT not ignored."""
    return subprocess.Popen(
        [sys.executable, "-c", HOTLINE, str(folder), *arguments],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # A shell without job control starts background commands with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(process: subprocess.Popen[str], condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until it holds, failing if the process ends or the deadline passes."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"ended ({process.returncode}) before {what}: {process.communicate()[0]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def answers(port: int) -> Callable[[], bool]:
    """Return whether http://127.0.0.1:PORT/healthz answers (any status)."""

    def answered() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    return answered


def stopped(process: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    """Send `signum`; return the exit status and everything the process printed."""
    process.send_signal(signum)
    try:
        output, _ = process.communicate(timeout=DEADLINE_S)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, output


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo folder shared by the module's demos: the program is built once, then reused."""
    return tmp_path_factory.mktemp("demo")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_server_stopped_once_it_answers_prints_its_stop_line_and_exits_0(
    tmp_path: Path, demo_folder: Path, command: str, signum: int
) -> None:
    port = free_port()
    env = {"HOTLINE_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'program.db'}"}
    if command == "demo":
        env = {"HOTLINE_ENV": "development"}
    process = start(demo_folder, command, "--port", str(port), env=env)
    wait_for(process, answers(port), f"`hotline {command}` to answer")
    status, output = stopped(process, signum)
    assert status == 0, output
    assert output.rstrip().endswith(STOP_LINES[command]), output
    assert "Aborted!" not in output and "Traceback" not in output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_demo_stopped_while_it_builds_its_program_prints_its_stop_line_and_exits_0(
    tmp_path: Path, signum: int
) -> None:
    # Building the sample program takes seconds: the operator may well stop it meanwhile.
    port = free_port()
    process = start(tmp_path, "demo", "--port", str(port), env={"HOTLINE_ENV": "development"})
    lock = tmp_path / "demo.lock"  # written as the demo takes its folder, before it builds
    wait_for(process, lambda: lock.exists() and lock.read_text() != "", "the demo to start")
    status, output = stopped(process, signum)
    assert status == 0, output
    assert output.rstrip().endswith("Demo stopped."), output
    assert "Aborted!" not in output and "Traceback" not in output


def test_the_scheduler_stopped_by_ctrl_c_prints_its_stop_line_and_exits_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clock.db'}"
    env = {"HOTLINE_ENV": "development", "DATABASE_URL": url}
    upgrade = start(tmp_path, "db", "upgrade", env=env)
    upgraded, _ = upgrade.communicate(timeout=DEADLINE_S)
    assert upgrade.returncode == 0, upgraded
    process = start(tmp_path, "scheduler", "--every", "1", "--only", "dispatch-outbox", env=env)
    engine = create_engine(url)

    def ran() -> bool:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM job_runs")).scalar_one() > 0

    try:
        wait_for(process, ran, "the clock to run dispatch-outbox")
    finally:
        engine.dispose()
    status, output = stopped(process, signal.SIGINT)
    assert status == 0, output
    assert output.rstrip().endswith("scheduler stopped"), output
    assert "Aborted!" not in output and "Traceback" not in output
