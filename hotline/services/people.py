"""Coordinators, supervisors and the officer roster, with an audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from ..audit import Actor, record, snapshot
from ..models import ApiToken, Officer, User
from ..schemas.people import OfficerCreate, OfficerOut, OfficerPatch, UserCreate, UserOut, UserPatch
from .errors import Conflict, FieldInvalid, NotFound
from .oncall import mark_coverage_changed
from .people_unique import check_phone_back, check_unique, unique
from .program_cache import bump_revision

# The roster officer a badge names, as an entity: built once, read by a call's badge step
# and by SEND of an unverified caller.
# An officer who left the roster (`active` false) is named by neither phone nor badge.
OFFICER_WITH_BADGE = select(Officer).where(
    Officer.badge == bindparam("badge"), Officer.active.is_(True)
)


def user_fields(row: User) -> dict[str, Any]:
    """Return a user as the API shows it (UserOut: never the password hash)."""
    return UserOut.model_validate(row).model_dump()


def officer_fields(row: Officer | dict[str, Any]) -> dict[str, Any]:
    """Return an officer (a row, or its values) as the API shows it (OfficerOut)."""
    return OfficerOut.model_validate(row).model_dump()


def user_names(session: Session) -> dict[int, str]:
    """Return every user's name by id (for showing who did what)."""
    return {row.id: row.name for row in session.execute(select(User.id, User.name))}


def get_user(session: Session, user_id: int) -> User:
    """Return a user or raise NotFound."""
    row = session.get(User, user_id)
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return row


def create_user(
    session: Session,
    data: UserCreate,
    actor: Actor,
    now: datetime,
    password_hash: str | None = None,
) -> User:
    """Create a coordinator or supervisor."""
    check_unique(session, User, None, email=data.email, phone=data.phone if data.active else None)
    row = User(**data.model_dump(), password_hash=password_hash, created_at=now)
    with unique(session, User, None, email=data.email):
        session.add(row)
    record(session, actor, now, "create", "user", row.id, None, snapshot(user_fields(row)))
    return row


def lock_supervisors(session: Session) -> None:
    """Lock the active supervisors' rows until this transaction ends (PostgreSQL).

    Two supervisors demoting each other at once: the second waits here for the
    first to commit, then counts what is left. SQLite has no row locks, but its
    writers take turns for the whole transaction, so the count after the write
    in `keep_a_supervisor` already sees every earlier commit.
    """
    session.execute(
        select(User.id).where(User.role == "supervisor", User.active.is_(True)).with_for_update()
    ).all()


def keep_a_supervisor(session: Session, field: str) -> None:
    """Refuse (409, naming `field`) a change that left no active supervisor."""
    left = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == "supervisor", User.active.is_(True))
    )
    if not left:
        raise Conflict(
            "this is the last active supervisor: make another user an active supervisor first "
            "(the program needs one for escalation and for its settings)",
            field,
        )


def update_user(
    session: Session, user_id: int, data: UserPatch, actor: Actor, now: datetime
) -> User:
    """Change the given fields of a user, never leaving the program without a supervisor."""
    row = get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if None in changes.values():
        raise FieldInvalid("may not be null", next(k for k, v in changes.items() if v is None))
    phone = _phone_kept(row, changes)
    if phone is not None and phone == row.phone:  # brought back: it may have been handed on
        check_phone_back(session, row)
    check_unique(session, User, row.id, email=changes.get("email"), phone=phone)
    # Whoever it is: the row this request read may be older than a reactivation since.
    may_leave = changes.get("role", "supervisor") != "supervisor" or not changes.get("active", True)
    if may_leave:
        lock_supervisors(session)
        session.refresh(row)  # as it stands now that the supervisors are locked
    leaves = may_leave and row.role == "supervisor" and row.active
    before = snapshot(user_fields(row))
    if any(name in changes and changes[name] != getattr(row, name) for name in ("active", "role")):
        # A deactivated person, or one whose new role takes no calls, leaves holes.
        mark_coverage_changed(session)
    elif "phone" in changes and changes["phone"] != row.phone:
        # A new phone must ring at once: workers keep the phones with the program.
        bump_revision(session)
    if changes.get("active") is False and row.active:
        end_credentials(session, row, now)
    with unique(session, User, row.id, email=changes.get("email")):
        for name, value in changes.items():
            setattr(row, name, value)
    if leaves:
        keep_a_supervisor(session, "active" if changes.get("active") is False else "role")
    # After the last-supervisor check, whose reason says more; the caller rolls back.
    for field_name, message in own_lockout(before, changes, actor).items():
        raise FieldInvalid(message, field_name)
    if (after := snapshot(user_fields(row))) != before:  # as it was: nothing happened to it
        record(session, actor, now, "update", "user", row.id, before, after)
    return row


def _phone_kept(row: User, changes: dict[str, Any]) -> str | None:
    """Return the phone an active user will have after `changes` if it is new to them, else None."""
    if not changes.get("active", row.active):
        return None
    if "phone" in changes and changes["phone"] != row.phone:
        return str(changes["phone"])
    # Brought back: their phone may have been handed on since they left.
    return row.phone if changes.get("active") and not row.active else None


def own_lockout(row: dict[str, Any], changes: dict[str, Any], actor: Actor) -> dict[str, str]:
    """Return why a change would lock its own author out, by field (the CLI may still do it).

    `row` holds the user's fields before the change (as `user_fields` gives them).
    """
    problems: dict[str, str] = {}
    if actor.user_id != row["id"]:
        return problems
    if changes.get("active") is False and row["active"]:
        problems["active"] = "you cannot deactivate your own account"
    if row["role"] == "supervisor" and changes.get("role", "supervisor") != "supervisor":
        problems["role"] = "you cannot give up your own supervisor role here"
    return problems


def end_sessions(session: Session, row: User) -> None:
    """End every web session of a user (each holds the epoch it was signed in at)."""
    row.session_epoch = User.session_epoch + 1  # in SQL: two at once both count
    session.flush()


def end_credentials(session: Session, row: User, now: datetime) -> None:
    """End a deactivated user's sessions and revoke their API tokens for good.

    Revoked, not suspended: reactivating the user does not bring the tokens back.
    """
    end_sessions(session, row)
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == row.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def set_password(
    session: Session, row: User, password_hash: str, actor: Actor, now: datetime
) -> None:
    """Give a user a new password (already hashed); their old sessions end."""
    row.password_hash = password_hash
    end_sessions(session, row)
    record(session, actor, now, "set_password", "user", row.id)


def get_officer(session: Session, officer_id: int) -> Officer:
    """Return an officer or raise NotFound."""
    row = session.get(Officer, officer_id)
    if row is None:
        raise NotFound(f"no officer with id {officer_id}")
    return row


def create_officer(session: Session, data: OfficerCreate, actor: Actor, now: datetime) -> Officer:
    """Add an officer to the roster."""
    check_unique(session, Officer, None, badge=data.badge, phone=data.phone)
    row = Officer(**data.model_dump(), created_at=now)
    with unique(session, Officer, None, badge=data.badge, phone=data.phone):
        session.add(row)
    record(session, actor, now, "create", "officer", row.id, None, snapshot(officer_fields(row)))
    return row


def update_officer(
    session: Session, officer_id: int, data: OfficerPatch, actor: Actor, now: datetime
) -> Officer:
    """Change the given fields of an officer."""
    row = get_officer(session, officer_id)
    changes = data.model_dump(exclude_unset=True)
    if None in changes.values():
        raise FieldInvalid("may not be null", next(k for k, v in changes.items() if v is None))
    phone = changes.get("phone")
    if phone is None and changes.get("active") and not row.active:
        phone = row.phone  # put back: their phone may have been handed on since they left
        check_phone_back(session, row)
    check_unique(session, Officer, row.id, badge=changes.get("badge"), phone=phone)
    before = snapshot(officer_fields(row))
    with unique(session, Officer, row.id, badge=changes.get("badge"), phone=phone):
        for name, value in changes.items():
            setattr(row, name, value)
    if (after := snapshot(officer_fields(row))) != before:
        record(session, actor, now, "update", "officer", row.id, before, after)
    return row


def first_error(error: ValidationError) -> tuple[str | None, str]:
    """Return the field and message of a validation error's first problem."""
    problem = error.errors()[0]
    field_name = ".".join(str(part) for part in problem["loc"]) or None
    message = problem["msg"].removeprefix("Value error, ")
    return field_name, message


# The schema's messages where they are not plain words, as the import report, the command
# line and the web's import say them (the web's forms say the same beside the field).
PLAIN_MESSAGES = {
    "string_pattern_mismatch": "use 1 to 20 digits, nothing else",  # a badge
    "string_too_short": "required",  # every text field's minimum is one character
}


def plain_first_error(error: ValidationError) -> tuple[str | None, str]:
    """Return the field and message of a validation error's first problem, in plain words."""
    field_name, message = first_error(error)
    problem = error.errors()[0]
    if problem["type"] == "string_too_long":
        return field_name, f"use at most {problem.get('ctx', {})['max_length']} characters"
    return field_name, PLAIN_MESSAGES.get(problem["type"], message)


def validate(
    model: type[BaseModel],
    values: dict[str, Any],
    region: str,
    language: str = "en",
    hotline_number: str | None = None,
) -> Any:
    """Validate plain values against a schema, raising FieldInvalid on the first problem."""
    context = {"region": region, "language": language, "hotline_number": hotline_number}
    try:
        return model.model_validate(values, context=context)
    except ValidationError as error:
        field_name, message = plain_first_error(error)
        raise FieldInvalid(message, field_name) from None
