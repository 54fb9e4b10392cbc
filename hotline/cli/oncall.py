"""`hotline oncall`, `hotline schedule`, `hotline override add`: the rotation from a terminal."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from hotline.db import session_scope
from hotline.jobs import check_coverage_if_changed
from hotline.models import User
from hotline.rotation.bounds import YEARS_MESSAGE, year_problem
from hotline.schemas.oncall import OverrideIn
from hotline.services import oncall
from hotline.services.errors import FieldInvalid
from hotline.services.local_times import LocalTime, read_local, span_problem
from hotline.services.people import user_names, validate

from .errors import CommandGroup
from .people import CLI_ACTOR

override_cli = CommandGroup("override", help="Manage overrides.")
# The override schema's fields, as `override add` names them.
OPTIONS = {"user_id": "--user", "tier": "--tier", "start": "--start", "end": "--end"}
# Python reads "18.30" and "18,30" as 18:00 and 0.3 s: a fraction is of seconds only.
FRACTION_NOT_OF_SECONDS = re.compile(r"[T ]\d{2}(:?\d{2})?[.,]")


def program_zone() -> ZoneInfo:
    """Return the program's time zone, in which times are shown."""
    return ZoneInfo(current_app.config["HOTLINE_TIMEZONE"])


def parse_typed(text: str, option: str) -> LocalTime:
    """Read an ISO 8601 time, noting how a local one skipped or repeated by DST is read.

    The instant keeps the offset it was typed in (the program's zone for a local
    one), so a later check of its year sees the year as typed, as the API does.
    """
    try:
        parsed = datetime.fromisoformat(text)
        if FRACTION_NOT_OF_SECONDS.search(text):
            raise ValueError(text)
    except ValueError:
        raise click.ClickException(f"{option}: not an ISO 8601 time: {text!r}") from None
    if year_problem(parsed) is not None:
        raise click.ClickException(f"{option}: {YEARS_MESSAGE} (got {text!r})")
    if parsed.tzinfo is None:
        local = read_local(parsed, program_zone())
        return replace(local, instant=local.instant.astimezone(program_zone()))
    return LocalTime(parsed.replace(tzinfo=None), parsed)


def shown(instant: datetime | None) -> str:
    """Format an instant in the program's zone."""
    if instant is None:
        return "-"
    return instant.astimezone(program_zone()).strftime("%a %Y-%m-%d %H:%M %Z")


def names() -> dict[int, str]:
    """Return every user's name by id."""
    with session_scope(current_app) as session:
        return user_names(session)


@click.command("oncall")
@with_appcontext
@click.option("--at", "at_text", default=None, help="ISO 8601 time (default: now)")
def show_oncall(at_text: str | None) -> None:
    """Show who is on call per tier, and until when."""
    typed = parse_typed(at_text, "--at") if at_text is not None else None
    at = typed.instant.astimezone(UTC) if typed is not None else datetime.now(UTC)
    if typed is not None and typed.note:  # a night's 01:30 is two instants: say which is answered
        click.echo(str(typed.note))
    with session_scope(current_app) as session:
        answer = oncall.who_is_on_call(session, at, current_app.config["HOTLINE_FALLBACK_NUMBERS"])
        broken = oncall.broken_rows(session)
    click.echo(f"On call at {shown(at)}:")
    if not answer["tiers"]:
        click.echo("  no rotation or override: nobody is on call (GAP)")
    elif answer["tiers"][0]["tier"] != 1:
        # As the dashboard says it: a call rings a later tier first, and the hole must show.
        click.echo("  tier 1: GAP - nobody (no rotation for tier 1: calls go to the next tier)")
    for tier in answer["tiers"]:
        user = tier["user"]
        who = f"{user['name']} {user['phone']} ({tier['source']})" if user else "GAP - nobody"
        # No change within 366 days (SPEC §8's null): "-" read as unknown, not as for good.
        until = shown(tier["until"]) if tier["until"] is not None else "further notice"
        click.echo(f"  tier {tier['tier']}: {who}, until {until}")
    click.echo(f"Escalation chain: {', '.join(answer['chain']) or 'empty'}")
    echo_broken(broken)


def echo_broken(broken: list[oncall.BrokenRow]) -> None:
    """Name each stored row left out of the answer above, so a hole is never silent (SPEC §2)."""
    for row in broken:
        what = f'rotation {row.id} "{row.name}"' if row.name is not None else f"{row.kind} {row.id}"
        click.echo(f"BROKEN - {what} is left out of on-call: {row.problem}; correct or delete it")


@click.command("schedule")
@with_appcontext
@click.option("--days", default=14, type=click.IntRange(1, 400), show_default=True)
@click.option("--tier", default=None, type=click.IntRange(1, 100))
def show_schedule(days: int, tier: int | None) -> None:
    """Print the final schedule from now, with gaps marked."""
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    end = start + timedelta(days=days)
    with session_scope(current_app) as session:
        broken = oncall.broken_rows(session)
        if not oncall.schedule_segments(session, start, end, tier):
            click.echo(
                f"No rotation or override in the next {days} days: tier 1 is a GAP throughout."
            )
            echo_broken(broken)
            return
        # Tier 1 even when only later tiers have anyone: a gap there is the first that counts.
        segments = oncall.schedule_segments(session, start, end, tier, primary=True)
        # A stretch cut by the last day goes on: say until when, not when the listing stops.
        ends = oncall.true_ends(session, segments, end)
    people = names()
    click.echo(f"{'tier':<5}{'from':<26}{'to':<26}who")
    for segment in segments:
        who = (
            "GAP - nobody on call"
            if segment.user_id is None
            else f"{people.get(segment.user_id, '?')} ({segment.source})"
        )
        marker = "!!" if segment.user_id is None else "  "
        until = ends.get(segment.tier) if segment.end == end else segment.end
        to = shown(until) if until is not None else "further notice"
        click.echo(f"{marker}{segment.tier:<3}{shown(segment.start):<26}{to:<26}{who}")
    echo_broken(broken)


@override_cli.command("add")
@click.option("--user", "email", required=True, help="email of the person who covers")
@click.option("--tier", required=True, type=click.IntRange(1, 100))
@click.option("--start", "start_text", required=True, help="ISO 8601")
@click.option("--end", "end_text", required=True, help="ISO 8601")
def add_override(email: str, tier: int, start_text: str, end_text: str) -> None:
    """Put a person on call for a tier from start to end."""
    typed = parse_typed(start_text, "--start"), parse_typed(end_text, "--end")
    zone = program_zone()
    for option, time in zip(("--start", "--end"), typed, strict=True):
        if time.passes is not None:  # a night's 01:30 is two instants an hour apart
            first, second = (instant.astimezone(zone) for instant in time.passes)
            which = (
                f"write which, {first.isoformat(timespec='minutes')} ({first:%Z}, the first) "
                f"or {second.isoformat(timespec='minutes')} ({second:%Z}, the second)"
            )
            raise click.ClickException(f"{option}: {time.twice}: {which}")
    if any(time.skipped for time in typed) and (problem := span_problem(*typed, zone)):
        raise click.ClickException(f"--end: {problem}")
    start, end = (time.instant for time in typed)
    if end <= start:
        raise click.ClickException(f"--end: must be after --start ({shown(start)})")
    notes = [str(time.note) for time in typed if time.note]
    with session_scope(current_app) as session:
        user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise click.ClickException(f"no user with email {email}")
        values = {"user_id": user.id, "tier": tier, "start": start, "end": end}
        try:
            data = validate(OverrideIn, values, "US")
            row = oncall.create_override(session, data, CLI_ACTOR, datetime.now(UTC))
        except FieldInvalid as error:  # named as typed: --user, not the schema's user_id
            where = f"{OPTIONS.get(error.field, error.field)}: " if error.field else ""
            raise click.ClickException(where + error.message) from None
        session.commit()
        check_coverage_if_changed(current_app, session, datetime.now(UTC))
        for note in notes:
            click.echo(note)
        click.echo(
            f"Override {row.id}: {user.name} on tier {tier}"
            f" from {shown(row.start)} to {shown(row.end)}."
        )
        if not user.active:  # kept (SPEC §3), but the supervisor must not count on it
            click.echo(f"{user.name} is inactive: this override does not apply while they are.")
        if row.end <= datetime.now(UTC):  # a mistyped year, most likely: say what it does
            click.echo("This span is over: the override changes nothing from now on.")
