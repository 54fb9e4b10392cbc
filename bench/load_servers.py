"""Servers, scratch databases and the program that every bench script loads."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from load_workload import (
    FALLBACK_NUMBER,
    HOTLINE_NUMBER,
    OFFICERS,
    PUBLIC_URL,
    USERS,
    VOICE,
    twilio_signature,
    voice_params,
)

BENCH_DIR = Path(__file__).resolve().parent
REPOSITORY = BENCH_DIR.parent
WORKERS = 2  # SPEC §10: gunicorn with 2 sync workers


# --- servers and databases -----------------------------------------------------------


def loopback_socket() -> socket.socket:
    """Return a listening socket on a free 127.0.0.1 port, to hand to gunicorn (no race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Server:
    """A gunicorn master (and its workers) on a loopback port, stopped whatever happens."""

    def __init__(
        self, label: str, app_spec: str, env: dict[str, str], log_dir: Path, workers: int = WORKERS
    ) -> None:
        self.label = label
        self.workers = workers
        self.app_spec = app_spec
        self.env = env
        self.log_path = log_dir / f"gunicorn-{label}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def __enter__(self) -> Server:
        sock = loopback_socket()
        port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--bind",
            f"fd://{sock.fileno()}",
            "--pythonpath",
            str(BENCH_DIR),
            "--graceful-timeout",
            "5",
            "--log-level",
            "info",
            "--error-logfile",
            str(self.log_path),
            self.app_spec,
        ]
        try:
            # Its own session: Ctrl-C reaches this script only, which stops the group itself.
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=REPOSITORY,
                pass_fds=(sock.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            sock.close()  # gunicorn holds its own copy
        try:
            self._wait_until_answering(timeout=30)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.label}) exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # any HTTP answer means a worker is serving
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn ({self.label}) did not answer in {timeout} s: {self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the master and its workers (SIGTERM, then SIGKILL), by their process group."""
        process, self.process = self.process, None
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(wait)
        # A worker left behind by a killed master is in the same group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n" + "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"


def clean_environment() -> dict[str, str]:
    """Return this process's environment without any hotline or database setting."""
    dropped = ("HOTLINE_", "TWILIO_")
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(dropped) and key not in ("DATABASE_URL", "SECRET_KEY")
    }


def app_environment(database_url: str, token: str) -> dict[str, str]:
    """Return the production settings the app is served with."""
    env = clean_environment()
    env.update(
        HOTLINE_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        TWILIO_AUTH_TOKEN=token,
        HOTLINE_PUBLIC_URL=PUBLIC_URL,
        HOTLINE_NUMBER=HOTLINE_NUMBER,
        HOTLINE_FALLBACK_NUMBERS=FALLBACK_NUMBER,
        HOTLINE_TRANSPORT="log",
        HOTLINE_TIMEZONE="America/Los_Angeles",
    )
    return env


@contextlib.contextmanager
def scratch_database(kind: str, work_dir: Path, postgres_url: str) -> Iterator[str]:
    """Yield the URL of a fresh, empty database; remove it afterwards."""
    if kind == "sqlite":
        path = work_dir / "hotline.db"
        yield f"sqlite:///{path}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_url)
    if admin.host not in (None, "localhost") and not admin.host.startswith("127."):
        raise SystemExit(f"--postgres-url must be on the loopback, not {admin.host}")
    name = f"bench_hotline_{os.getpid()}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(drivername="postgresql", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """Make `env` this process's whole environment, then put the old one back."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """Add --database and --postgres-url, alike in every bench script."""
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a loopback PostgreSQL maintenance database to create the scratch database from",
    )


def chosen_databases(choice: str) -> list[str]:
    """Return the databases --database names ("both": SQLite, then PostgreSQL)."""
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


@contextlib.contextmanager
def program_in_process(kind: str, postgres_url: str, token: str) -> Iterator[dict[str, str]]:
    """Build a fresh database and program, and serve its settings to this process.

    Yields the app's settings (with the floor's FLOOR_DATABASE_URL) while they
    are this process's environment; the environment and the database are
    restored and removed afterwards.
    """
    with (
        tempfile.TemporaryDirectory(prefix="bench-hotline-") as work,
        scratch_database(kind, Path(work), postgres_url) as url,
    ):
        env = app_environment(url, token)
        env["FLOOR_DATABASE_URL"] = url
        build_program(env)
        with environment(env):
            yield env


def build_program(env: dict[str, str]) -> dict[str, Any]:
    """Create the schema and a realistic program with the app's own CLI and services."""
    with environment(env):
        return _program(env)


def _program(env: dict[str, str]) -> dict[str, Any]:
    from hotline import create_app, db
    from hotline.audit import Actor
    from hotline.schemas.oncall import OverrideIn, RotationIn, WindowIn
    from hotline.services.oncall import create_override, create_rotation
    from hotline.simulator.transport import sign

    app = create_app()
    runner = app.test_cli_runner()
    commands = [["db", "upgrade"]]
    commands += [
        ["user", "add", "--name", n, "--email", e, "--phone", p, "--role", r]
        for n, e, p, r in USERS
    ]
    commands += [
        ["officer", "add", "--name", n, "--badge", b, "--agency", a, "--phone", p]
        for n, b, a, p in OFFICERS
    ]
    for args in commands:
        outcome = runner.invoke(args=args)
        if outcome.exit_code != 0:
            raise RuntimeError(f"hotline {' '.join(args[:2])} failed: {outcome.output}")

    now = datetime.now(UTC)
    actor = Actor(None, "cli")
    monday = (now - timedelta(days=now.weekday() + 14)).strftime("%Y-%m-%dT09:00")
    with db.session_scope(app) as session:
        create_rotation(
            session,
            RotationIn(
                name="Coordinators",
                tier=1,
                timezone="America/Los_Angeles",
                start=monday,
                shift_hours=12,
                participants=[1, 2, 3],
            ),
            actor,
            now,
        )
        create_rotation(
            session,
            RotationIn(
                name="Weekend cover",
                tier=1,
                priority=1,
                timezone="America/Los_Angeles",
                start=monday,
                shift_hours=24,
                participants=[3, 1],
                windows=[WindowIn(days=["sat", "sun"], start="08:00", end="20:00")],
            ),
            actor,
            now,
        )
        create_rotation(
            session,
            RotationIn(
                name="Supervisors",
                tier=2,
                timezone="America/Los_Angeles",
                start=monday,
                shift_hours=168,
                participants=[4, 2],
            ),
            actor,
            now,
        )
        for user_id, days in ((2, 2), (1, 5)):
            start = now + timedelta(days=days)
            create_override(
                session,
                OverrideIn(
                    user_id=user_id,
                    tier=1,
                    start=start,
                    end=start + timedelta(hours=8),
                ),
                actor,
                now,
            )
    db.database(app).engine.dispose()

    # The client signs with its own code: check it against the app's.
    params = voice_params("CA" + "0" * 32, OFFICERS[0][3])
    url = PUBLIC_URL + VOICE
    if sign(env["TWILIO_AUTH_TOKEN"], url, params) != twilio_signature(
        env["TWILIO_AUTH_TOKEN"], url, params
    ):
        raise RuntimeError("the load client's signatures differ from the app's")
    return {"users": len(USERS), "officers": len(OFFICERS), "rotations": 3, "overrides": 2}
