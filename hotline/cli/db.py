"""`hotline db …`: the database schema."""

from __future__ import annotations

import click
from flask import current_app
from sqlalchemy.engine import make_url

from hotline import db, migrations

from .errors import CommandGroup

db_cli = CommandGroup("db", help="Manage the database schema.")


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration (Alembic, under db/)."""
    url = current_app.config["DATABASE_URL"]
    migrations.upgrade(url)
    revision = migrations.current_revision(db.database().engine)
    shown = make_url(url).render_as_string(hide_password=True)
    click.echo(f"{shown} is at revision {revision} (head).")
