"""`hotline serve`: the program DATABASE_URL names, served on this machine in development mode."""

from __future__ import annotations

import os

import click
from flask import Flask
from werkzeug.serving import run_simple

from hotline import create_app, migrations
from hotline.jobs.clock import build_scheduler

from .errors import reported_as_click_errors


def development_app() -> Flask:
    """Create a development app on DATABASE_URL (default: the instance folder's SQLite file)."""
    with reported_as_click_errors():
        app = create_app({"HOTLINE_ENV": "development"})
        migrations.upgrade(app.config["DATABASE_URL"])  # as `hotline db upgrade` would
    return app


def local_app() -> Flask | None:
    """Return a development app on DATABASE_URL when it is set; None leaves the demo's."""
    return development_app() if os.environ.get("DATABASE_URL") else None


@click.command("serve")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def serve_command(port: int) -> None:
    """Serve the program DATABASE_URL names at http://127.0.0.1:PORT (development mode)."""
    app = development_app()
    click.echo(f"LEAD hotline on http://127.0.0.1:{port}/ (development mode; Ctrl-C stops it)")
    click.echo(f"Database: {app.config['DATABASE_URL']}")
    serve_with_one_clock(app, port)
    click.echo("Stopped.")


def serve_with_one_clock(app: Flask, port: int) -> None:
    """Serve `app` on loopback with one in-process clock (no reloader, so never two)."""
    # Texts go out (through the log transport), shifts are announced, as in production.
    scheduler = build_scheduler(app)
    scheduler.start()
    try:
        run_simple("127.0.0.1", port, app, use_reloader=False, use_debugger=False, threaded=True)
    finally:
        scheduler.shutdown(wait=True)
