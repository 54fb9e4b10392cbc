"""`hotline twilio check` and `hotline twilio configure`: the number's webhooks at Twilio."""

from __future__ import annotations

import click
from flask import current_app

from hotline.messaging.number_config import NumberConfigError, Setting, configure, read_settings

from .errors import CommandGroup

twilio_cli = CommandGroup("twilio", help="Check or set the hotline number's webhooks at Twilio.")


@twilio_cli.command("check")
def check_command() -> None:
    """Print each of HOTLINE_NUMBER's webhook settings with ok/wrong; exit 1 on any wrong one."""
    try:
        settings = read_settings(current_app.config)
    except NumberConfigError as error:
        raise click.ClickException(str(error)) from None
    _report(settings)


@twilio_cli.command("configure")
def configure_command() -> None:
    """Point HOTLINE_NUMBER's webhooks at this app's routes, then print what check prints."""
    try:
        settings = configure(current_app.config)
    except NumberConfigError as error:
        raise click.ClickException(str(error)) from None
    _report(settings)


def _report(settings: list[Setting]) -> None:
    number = current_app.config["HOTLINE_NUMBER"]
    for setting in settings:
        click.echo(setting.line())
    wrong = [setting for setting in settings if not setting.ok]
    settable = [setting for setting in wrong if setting.settable]
    if settable:
        click.echo(f"{number}: {len(settable)} wrong; `hotline twilio configure` sets them")
    for setting in wrong:
        if not setting.settable:
            click.echo(
                f"{number}: no {setting.label}, which no setting changes: make HOTLINE_NUMBER "
                "a Twilio number that has it"
            )
    if wrong:
        click.get_current_context().exit(1)
    click.echo(f"{number}: every setting points at this app")
