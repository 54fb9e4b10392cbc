"""`hotline demo`: the whole app on a sample program, on this machine, in one command."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import click
from flask import Flask

from hotline import create_app, migrations
from hotline.db import session_scope
from hotline.demo import DEMO_PASSWORD, SYSTEM, ZONE, seed, utcnow
from hotline.demo_tour import tour_lines
from hotline.services.tokens import create_token

from .serve import refuse_a_busy_port, serve_with_one_clock
from .stopping import stopped_by_ctrl_c_or_sigterm

DEMO_DATABASE = "demo.db"
DEMO_FALLBACK = "+12065550199"
# Held by the running demo, and by nothing else: it ends with the process, however it ends.
DEMO_LOCK = "demo.lock"


def demo_folder() -> Path:
    """Return the folder the demo keeps its database in: the app's default instance folder."""
    return Path(Flask("hotline").instance_path)


def demo_app(reset: bool, instance_path: Path | None = None) -> Flask:
    """Create a development app on its own SQLite file (never DATABASE_URL), migrated."""
    if instance_path is None:
        instance_path = demo_folder()
    path = instance_path / DEMO_DATABASE
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    settings = {
        "HOTLINE_ENV": "development",
        "DATABASE_URL": url,
        "INSTANCE_PATH": instance_path,
        "HOTLINE_DEMO": True,  # the sign-in page shows the demo logins
        # Its sample program is Seattle's: its shifts, gaps and tours are told in its own zone,
        # whatever zone the shell exports for another program.
        "HOTLINE_TIMEZONE": ZONE,
        # The program office's line: rung when the database is down or nobody answers.
        "HOTLINE_FALLBACK_NUMBERS": DEMO_FALLBACK,
        # Its phones are made up and nothing leaves the machine, whatever transport and
        # Twilio account another program's shell exports.
        "HOTLINE_TRANSPORT": "log",
    }
    app = create_app(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(url)
    return app


def held(lock: IO[str], folder: Path) -> None:
    """Take the demo's lock, or refuse in one line, naming where the running demo answers."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        where = lock.read().strip()
        raise click.ClickException(
            f"a demo is already running from {folder} ({where}): stop it first (Ctrl-C)"
        ) from None


def refuse_a_running_demo(folder: Path) -> None:
    """Refuse a second demo before its port is tried: the port may be the first demo's own."""
    path = folder / DEMO_LOCK
    if not path.exists():
        return  # no demo has run here: nothing is created before the port is checked
    with open(path, encoding="utf-8") as lock:
        held(lock, folder)  # and released as the file closes


@contextmanager
def the_only_demo(folder: Path, port: int) -> Iterator[None]:
    """Hold the demo folder while the demo runs, refusing a second demo in one line.

    A second one, on a port of its own, would run a second clock on the same file, and
    its --reset would delete that file under the first.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / DEMO_LOCK, "a+", encoding="utf-8") as lock:
        held(lock, folder)
        lock.seek(0)
        lock.truncate()
        lock.write(f"http://127.0.0.1:{port}/\n")
        lock.flush()
        yield


@click.command("demo")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--reset", is_flag=True, help="rebuild the demo data from scratch")
def demo_command(port: int, reset: bool) -> None:
    """Serve the app on a sample program at http://127.0.0.1:PORT (development mode)."""
    refuse_a_running_demo(demo_folder())  # on its own port it would be "another program"
    refuse_a_busy_port(port)
    # Stopped while it builds its program too: that is rolled back, and built again next time.
    with (
        stopped_by_ctrl_c_or_sigterm("Demo stopped."),
        the_only_demo(demo_folder(), port),  # before --reset deletes anything
    ):
        serve_the_demo(port, reset)


def serve_the_demo(port: int, reset: bool) -> None:
    """Build (or reuse) the demo program, print its tour, and serve it until stopped."""
    app = demo_app(reset)
    with session_scope(app) as session:
        users = seed(session, utcnow(), app.config)  # with the clock's jobs replayed
        supervisor = users[-1]
        token = create_token(session, supervisor, utcnow(), SYSTEM)
        tour = tour_lines(
            session,
            utcnow(),
            ZoneInfo(app.config["HOTLINE_TIMEZONE"]),
            app.config["HOTLINE_FALLBACK_NUMBERS"],
        )
    click.echo(f"LEAD hotline demo on http://127.0.0.1:{port}/ (Ctrl-C stops it)")
    for line in tour:
        click.echo(f"  {line}")
    click.echo(f"Demo logins: {', '.join(u.email for u in users)}; password {DEMO_PASSWORD!r}")
    click.echo(f"API token of {supervisor.name} (supervisor): {token}")
    click.echo(
        f"  try: curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{port}/api/v1/oncall"
    )
    serve_with_one_clock(app, port)
