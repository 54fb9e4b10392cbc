"""The `hotline` command line; the same commands run as `flask --app hotline …`."""

from __future__ import annotations

import functools
from typing import IO, Any

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException

from hotline import create_app
from hotline.config import ConfigError

from .db import db_cli
from .demo import demo_command
from .errors import reported_as_click_errors
from .jobs import jobs_cli, scheduler_command
from .oncall import override_cli, show_oncall, show_schedule
from .people import calendar_cli, officer_cli, token_cli, user_cli
from .serve import serve_command
from .simulate import simulate_cli
from .twilio import twilio_cli

# Each command module exposes one click group or command; list it here once.
COMMANDS: tuple[click.Command, ...] = (
    db_cli,
    demo_command,
    serve_command,
    user_cli,
    token_cli,
    officer_cli,
    show_oncall,
    show_schedule,
    override_cli,
    simulate_cli,
    jobs_cli,
    scheduler_command,
    calendar_cli,
    twilio_cli,
)


def _failing_in_one_line(command: click.Command) -> None:
    """Make `command`, and a group's commands, report failures and mistyped options in one line.

    `hotline` guards what it runs, but `flask --app hotline …` (app.cli) does not.
    """
    callback = command.callback
    if callback is not None:

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            with reported_as_click_errors():
                return callback(*args, **kwargs)

        command.callback = guarded
    # Options are read before any callback runs: a mistyped one is one line too.
    parse_args = command.parse_args

    def parsed_in_one_line(ctx: click.Context, args: list[str]) -> list[str]:
        with reported_as_click_errors():
            return parse_args(ctx, args)

    command.parse_args = parsed_in_one_line  # type: ignore[method-assign]
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _failing_in_one_line(subcommand)


for _command in COMMANDS:
    _failing_in_one_line(_command)


def register_commands(group: click.Group) -> None:
    """Add every hotline command to `group` (the `hotline` script or `app.cli`)."""
    for command in COMMANDS:
        group.add_command(command)


class SettingsError(NoAppException):
    """The app cannot start with these settings; shown as one line, without usage text."""

    # Flask's CLI reports a NoAppException (e.g. while listing commands for
    # --help) instead of printing a traceback, so bad settings subclass it.
    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.ClickException.show(self, file)


def create_cli_app() -> Flask:
    """Create the app from the environment, reporting bad settings in one line."""
    try:
        return create_app()
    except ConfigError as error:
        raise SettingsError(str(error)) from None


# FlaskGroup's own options, no operator's: --app would run another program's code with the
# hotline's settings, --env-file read settings from a file the Procfile never reads, --debug
# turn on the debugger, and --version print Flask's version.
FLASK_OPTIONS = frozenset({"app", "env_file", "debug"})


class HotlineGroup(FlaskGroup):
    """The top-level `hotline` group; its commands run inside an app context."""

    def __init__(self, **extra: Any) -> None:
        super().__init__(add_version_option=False, **extra)
        self.params = [param for param in self.params if param.name not in FLASK_OPTIONS]

    def invoke(self, ctx: click.Context) -> Any:
        with reported_as_click_errors():
            return super().invoke(ctx)

    # FlaskGroup builds the app to add `app.cli`'s commands, which are these same ones: on a
    # fresh machine (production's settings, incomplete) `--help` then began with an error.
    def list_commands(self, ctx: click.Context) -> list[str]:
        """List the hotline's commands without building the app."""
        return click.Group.list_commands(self, ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """Find a hotline command by name without building the app."""
        return click.Group.get_command(self, ctx, name)


main = HotlineGroup(
    name="hotline",
    create_app=create_cli_app,
    # Settings come from the real environment only, as under the Procfile.
    load_dotenv=False,
    help="Run and administer the LEAD coordinator hotline.",
)
register_commands(main)
