"""`hotline jobs run NAME [--at ISO]` and `hotline jobs list`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from hotline.db import session_scope
from hotline.jobs import JOBS, run_job_for_outcome
from hotline.jobs.clock import build_scheduler, run_until_stopped
from hotline.logs import database_error_in, log_exception
from hotline.models import JobRun

from .errors import EXPECTED_FAILURES, CommandGroup, first_line
from .oncall import parse_typed, shown
from .stopping import stopped_by_ctrl_c_or_sigterm

log = logging.getLogger(__name__)
jobs_cli = CommandGroup("jobs", help="Run scheduled jobs by hand.")


@jobs_cli.command("run")
@click.argument("name")
@click.option("--at", "at_text", default=None, help="ISO 8601 instant to run as of (default: now)")
def run_command(name: str, at_text: str | None) -> None:
    """Run one job once, as of an instant."""
    if name not in JOBS:
        raise click.ClickException(f"no job {name!r}; jobs: {', '.join(JOBS)}")
    # An empty --at (a script's unset variable) is refused, never run as now.
    typed = parse_typed(at_text, "--at") if at_text is not None else None
    at = typed.instant.astimezone(UTC) if typed is not None else datetime.now(UTC)
    if typed is not None and typed.note:  # as `oncall --at`: a night's 01:30 is two instants
        click.echo(str(typed.note))
    try:
        outcome = run_job_for_outcome(current_app, name, at)
    except EXPECTED_FAILURES:
        raise  # one line already, from the group
    except Exception as error:
        # The operator reads one line; whoever mends it reads the traceback in the log.
        log_exception(log, "job %s failed", name)
        # A database error's text can quote a row: keep only its kind.
        reason = type(error).__name__
        if database_error_in(error):
            reason = f"database error ({reason})"
        elif str(error).strip():
            reason += f": {first_line(error)}"
        raise click.ClickException(f"{name} failed: {reason}") from None
    result = f"{name}: {outcome.result}"
    if outcome.refused:
        raise click.ClickException(result)  # the run worked, but a script must hear of it
    click.echo(result)


@jobs_cli.command("list")
def list_command() -> None:
    """List each job, its trigger and its last run."""
    with session_scope(current_app) as session:
        runs = {run.name: run for run in session.scalars(select(JobRun))}
    for job in JOBS.values():
        run = runs.get(job.name)
        last = f"last run {shown(run.finished_at)}: {run.result}" if run else "never run"
        click.echo(f"{job.name}  {job.describe_trigger()}  {last}")


@click.command("scheduler")
@click.option(
    "--every",
    type=click.IntRange(1, 3600),
    default=None,
    help="run every job every N seconds (trials)",
)
@click.option("--only", multiple=True, help="run only this job (repeatable)")
@with_appcontext
def scheduler_command(every: int | None, only: tuple[str, ...]) -> None:
    """Run every scheduled job on its trigger until stopped (the Procfile's clock)."""
    unknown = [name for name in only if name not in JOBS]
    if unknown:
        raise click.ClickException(f"no job {unknown[0]!r}; jobs: {', '.join(JOBS)}")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Stopped before the clock's own handlers are set, too (they then let running jobs end).
    with stopped_by_ctrl_c_or_sigterm("scheduler stopped"):
        run_until_stopped(build_scheduler(app, every, only))
