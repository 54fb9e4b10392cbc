"""`hotline calendar rotate`: replace the calendar feed's secret URL."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app, url_for

from hotline.db import session_scope
from hotline.services import calendar_secret

from .errors import CommandGroup
from .people import CLI_ACTOR

# Where `hotline demo` serves when no public URL is set.
LOCAL_BASE_URL = "http://127.0.0.1:5000"

calendar_cli = CommandGroup("calendar", help="Manage the on-call calendar feed.")


def feed_url(token: str) -> str:
    """Return the feed's absolute URL, under HOTLINE_PUBLIC_URL when it is set."""
    base = current_app.config["HOTLINE_PUBLIC_URL"] or LOCAL_BASE_URL
    with current_app.test_request_context(base_url=base):
        return url_for("api.api_calendar.feed", token=token, _external=True)


@calendar_cli.command("rotate")
def rotate_command() -> None:
    """Replace the feed's secret URL: the old one stops working at once."""
    with session_scope(current_app) as session:
        token = calendar_secret.rotate(
            session, current_app.config["SECRET_KEY"], CLI_ACTOR, datetime.now(UTC)
        )
    click.echo("The calendar feed has a new address; the old one now answers 404:")
    click.echo(feed_url(token))
