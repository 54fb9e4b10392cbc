"""`hotline user …`, `token …`, `officer …`, `calendar …`: people and access."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.jobs import check_coverage_if_changed
from hotline.models import Officer, User
from hotline.permissions import ROLES, can
from hotline.schemas.people import OfficerCreate, OfficerPatch, UserCreate, UserPatch
from hotline.services import calendar_secret, people, roster_import
from hotline.services.departed_holders import open_held_by
from hotline.services.errors import FieldInvalid
from hotline.services.people_unique import check_unique
from hotline.services.second_factor import reset_factor
from hotline.services.tokens import create_token

from .errors import CommandGroup

CLI_ACTOR = Actor(None, "cli")
MIN_PASSWORD_LENGTH = 10
# What a bare `--password` stands for: no password typed may be this (it has a NUL).
PROMPT = "\x00prompt"
# Where `hotline demo` serves when no public URL is set.
LOCAL_BASE_URL = "http://127.0.0.1:5000"

user_cli = CommandGroup("user", help="Manage coordinators and supervisors.")
token_cli = CommandGroup("token", help="Manage API tokens.")
officer_cli = CommandGroup("officer", help="Manage the officer roster.")
calendar_cli = CommandGroup("calendar", help="Manage the on-call calendar feed.")


def region() -> str:
    """Return the region for numbers written without +."""
    return str(current_app.config["HOTLINE_DEFAULT_REGION"])


def hotline_number() -> str | None:
    """Return the hotline's own number (HOTLINE_NUMBER), which nobody's phone may be."""
    return current_app.config["HOTLINE_NUMBER"] or None


def program_language() -> str:
    """Return the language of people added without one (HOTLINE_LANGUAGE)."""
    return str(current_app.config["HOTLINE_LANGUAGE"])


def prompted_password() -> str:
    """Ask for a new password twice, unseen; refuse one under the minimum length."""
    new = str(click.prompt("New password", hide_input=True, confirmation_prompt=True))
    if len(new) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    return new


LANGUAGE_OPTION = click.option(
    "--language",
    default=None,
    type=click.Choice(["en", "es"]),
    help="what the hotline speaks and texts to them (default: HOTLINE_LANGUAGE)",
)


@user_cli.command("add")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--phone", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--password",
    is_flag=False,
    flag_value=PROMPT,  # bare, as SPEC §2 writes it: asked for unseen, never in shell history
    default=None,
    help=f"for the web app, at least {MIN_PASSWORD_LENGTH} characters; alone, it prompts for it",
)
@LANGUAGE_OPTION
def add_user(
    name: str, email: str, phone: str, role: str, password: str | None, language: str | None
) -> None:
    """Add a coordinator or supervisor."""
    values = {"name": name, "email": email, "phone": phone, "role": role, "language": language}
    data = people.validate(UserCreate, values, region(), program_language(), hotline_number())
    if password == PROMPT:
        # Before the prompt: nobody types a new password twice to learn the email is used.
        with session_scope(current_app) as session:
            check_unique(session, User, None, email=data.email, phone=data.phone)
        password = prompted_password()
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    hashed = generate_password_hash(password) if password else None
    with session_scope(current_app) as session:
        user = people.create_user(session, data, CLI_ACTOR, datetime.now(UTC), hashed)
        click.echo(f"Added {user.role} {user.name} <{user.email}> {user.phone} (id {user.id}).")


def user_named(session: Session, email: str) -> User:
    """Return the user with this email (as typed: case and spaces aside), or a one-line error."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


@user_cli.command("set")
@click.option("--email", required=True, help="the user to change")
@click.option("--role", default=None, type=click.Choice(ROLES))
@click.option("--active", default=None, type=click.Choice(["yes", "no"]))
@click.option("--password", is_flag=True, help="prompt for a new password (hidden, twice)")
@click.option(
    "--reset-mfa", is_flag=True, help="remove their second factor: they enrol again at sign-in"
)
def set_user(
    email: str, role: str | None, active: str | None, password: bool, reset_mfa: bool
) -> None:
    """Change a user's role, activity, password or second factor: recovery from the shell."""
    values: dict[str, object] = {}
    if role is not None:
        values["role"] = role
    if active is not None:
        values["active"] = active == "yes"
    if not values and not password and not reset_mfa:
        raise click.UsageError("give at least one of --role, --active, --password, --reset-mfa")
    data = people.validate(UserPatch, values, region())
    with session_scope(current_app) as session:
        # Before the prompt: nobody types a new password twice to learn the email is wrong.
        user_named(session, email)
    hashed = None
    if password:
        hashed = generate_password_hash(prompted_password())
    now = datetime.now(UTC)
    with session_scope(current_app) as session:
        user = user_named(session, email)
        could_work = can(user, "work_referrals")
        if values:  # a password or factor alone is its own audit line, not an empty change
            people.update_user(session, user.id, data, CLI_ACTOR, now)
        if hashed is not None:
            people.set_password(session, user, hashed, CLI_ACTOR, now)
        if reset_mfa:
            reset_factor(session, user, CLI_ACTOR, now)
        state = "active" if user.active else "inactive"
        summary = f"{user.name} <{user.email}> is now an {state} {user.role}."
        if could_work and not can(user, "work_referrals"):  # as the web's People page says
            summary += left_to_take(open_held_by(session, user.id))
        session.commit()
        # Deactivated or no longer on-call staff: their shifts are gaps, announced now.
        check_coverage_if_changed(current_app, session, now)
    click.echo(summary)
    if hashed is not None:
        click.echo("Password changed.")
    if reset_mfa:
        click.echo("Second factor removed: they set up a new one at their next sign-in.")


def left_to_take(held: int) -> str:
    """Return the line saying how many open referrals someone who stopped working them held."""
    if held == 0:
        return ""
    if held == 1:
        return (
            "\nThey held 1 open referral: it is listed on the dashboard for someone to take over."
        )
    return (
        f"\nThey held {held} open referrals: these are listed on the dashboard for someone to "
        "take over."
    )


@token_cli.command("create")
@click.option("--email", required=True)
def create_token_command(email: str) -> None:
    """Print a new API token for a user (shown once: keep it safe)."""
    with session_scope(current_app) as session:
        user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
        if user is None or not user.active:
            raise click.ClickException(f"no active user with email {email}")
        token = create_token(session, user, datetime.now(UTC), CLI_ACTOR)
    click.echo(
        f"API token for {user.name} ({user.role}); send it as 'Authorization: Bearer <token>':"
    )
    click.echo(token)


@officer_cli.command("add")
@click.option("--name", required=True)
@click.option("--badge", required=True)
@click.option("--agency", required=True)
@click.option("--phone", required=True)
@LANGUAGE_OPTION
def add_officer(name: str, badge: str, agency: str, phone: str, language: str | None) -> None:
    """Add an officer to the roster."""
    values = {
        "name": name,
        "badge": badge,
        "agency": agency,
        "phone": phone,
        "language": language,
    }
    data = people.validate(OfficerCreate, values, region(), program_language(), hotline_number())
    with session_scope(current_app) as session:
        officer = people.create_officer(session, data, CLI_ACTOR, datetime.now(UTC))
        click.echo(
            f"Added officer {officer.name}, badge {officer.badge}"
            f" ({officer.agency}), id {officer.id}."
        )


@officer_cli.command("set")
@click.option("--badge", required=True, help="the officer to change")
@click.option(
    "--active", required=True, type=click.Choice(["yes", "no"]), help="no: left the roster"
)
def set_officer(badge: str, active: str) -> None:
    """Take an officer who left off the roster (their phone and badge then name nobody), or back."""
    data = people.validate(OfficerPatch, {"active": active == "yes"}, region())
    with session_scope(current_app) as session:
        officer = session.scalars(select(Officer).where(Officer.badge == badge.strip())).first()
        if officer is None:
            raise click.ClickException(f"no officer with badge {badge}")
        people.update_officer(session, officer.id, data, CLI_ACTOR, datetime.now(UTC))
        summary = (
            f"{officer.name}, badge {officer.badge}, is on the roster."
            if officer.active
            else f"{officer.name}, badge {officer.badge}, has left the roster: "
            "their phone and badge are now a stranger's."
        )
    click.echo(summary)


@officer_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_officers(file: Path) -> None:
    """Import a roster CSV (name,badge,agency,phone): keep the good rows, list the bad."""
    try:
        text = roster_import.roster_text(file.read_bytes())
    except FieldInvalid as error:
        raise click.ClickException(f"{file}: {error.message}") from None
    with session_scope(current_app) as session:
        report = roster_import.import_officers(
            session, text, region(), CLI_ACTOR, datetime.now(UTC), program_language()
        )
    for line, reason in report.errors:
        click.echo(f"{file}:{line}: {reason}", err=True)
    back = f", put back {report.reactivated} who had left" if report.reactivated else ""
    click.echo(f"Imported {report.imported} officer(s){back}; refused {len(report.errors)} row(s).")
    if report.errors:
        raise SystemExit(1)


def feed_url(token: str) -> str:
    """Return the calendar feed's absolute URL, under HOTLINE_PUBLIC_URL when it is set."""
    base = current_app.config["HOTLINE_PUBLIC_URL"] or LOCAL_BASE_URL
    with current_app.test_request_context(base_url=base):
        return url_for("api.api_calendar.feed", token=token, _external=True)


@calendar_cli.command("rotate")
def rotate_calendar() -> None:
    """Replace the calendar feed's secret URL: the old one stops working at once."""
    with session_scope(current_app) as session:
        token = calendar_secret.rotate(
            session, current_app.config["SECRET_KEY"], CLI_ACTOR, datetime.now(UTC)
        )
    click.echo("The calendar feed has a new address; the old one now answers 404:")
    click.echo(feed_url(token))
