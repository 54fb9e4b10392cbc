"""`hotline serve`: the program DATABASE_URL names, served on this machine in development mode."""

from __future__ import annotations

import errno
import os
import socket

import click
from flask import Flask
from werkzeug.serving import run_simple

from hotline import create_app, migrations
from hotline.jobs.clock import build_scheduler

from .errors import reported_as_click_errors
from .stopping import stopped_by_ctrl_c_or_sigterm


def development_app() -> Flask:
    """Create a development app on DATABASE_URL (default: the instance folder's SQLite file)."""
    refuse_a_production_shell()
    with reported_as_click_errors():
        app = create_app({"HOTLINE_ENV": "development"})
        migrations.upgrade(app.config["DATABASE_URL"])  # as `hotline db upgrade` would
    return app


def refuse_a_production_shell() -> None:
    """Refuse to run in development mode on a DATABASE_URL the shell does not call development.

    A production shell exports its DATABASE_URL, and HOTLINE_ENV is production or
    unset (the default): made-up calls and texts would land among the real ones, and
    a development app there has the simulator open to anyone who signs in.
    """
    env = os.environ.get("HOTLINE_ENV", "production").strip().lower()
    if os.environ.get("DATABASE_URL") and env != "development":
        raise click.ClickException(
            "DATABASE_URL names a program and HOTLINE_ENV is not development: this command runs"
            " only on a development program (export HOTLINE_ENV=development for one of your own)."
        )


def refuse_a_busy_port(port: int) -> None:
    """Refuse in one line a port that cannot be served, before anything is built or printed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server binds: a port left in TIME_WAIT by the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                reason = "is in use by another program: stop it, or choose another with --port"
            else:
                reason = f"cannot be served: {error.strerror}"
            raise click.ClickException(f"port {port} {reason}") from None


def local_app() -> Flask | None:
    """Return a development app on DATABASE_URL when it is set; None leaves the demo's."""
    return development_app() if os.environ.get("DATABASE_URL") else None


@click.command("serve")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def serve_command(port: int) -> None:
    """Serve the program DATABASE_URL names at http://127.0.0.1:PORT (development mode)."""
    refuse_a_production_shell()
    refuse_a_busy_port(port)
    with stopped_by_ctrl_c_or_sigterm("Stopped."):  # while it migrates, too
        app = development_app()
        click.echo(f"LEAD hotline on http://127.0.0.1:{port}/ (development mode; Ctrl-C stops it)")
        click.echo(f"Database: {app.config['DATABASE_URL']}")
        serve_with_one_clock(app, port)


def serve_with_one_clock(app: Flask, port: int) -> None:
    """Serve `app` on loopback with one in-process clock (no reloader, so never two)."""
    # Texts go out (through the log transport), shifts are announced, as in production.
    scheduler = build_scheduler(app)
    scheduler.start()
    try:
        run_simple("127.0.0.1", port, app, use_reloader=False, use_debugger=False, threaded=True)
    finally:
        scheduler.shutdown(wait=True)
