"""What may be held once: a user's email and phone, an officer's badge and phone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Officer, User
from .errors import Conflict

# Values unique only among the rows still in use (the models' partial unique indexes).
# A user's phone is checked here alone, with no index behind it: staff texts are told
# apart by the sender's phone, so two active users may not share one.
UNIQUE_AMONG: dict[tuple[Any, str], Any] = {
    (Officer, "phone"): Officer.active.is_(True),
    (User, "phone"): User.active.is_(True),
}


def check_unique(session: Session, model: Any, row_id: int | None, **values: str | None) -> None:
    """Refuse (409) a value another row holds, saying who holds it if they left."""
    for column, value in values.items():
        if value is None:
            continue
        statement = select(model).where(getattr(model, column) == value, model.id != (row_id or 0))
        if (among := UNIQUE_AMONG.get((model, column))) is not None:
            statement = statement.where(among)
        if (holder := session.scalars(statement).first()) is not None:
            raise already_used(column, value) if holder.active else held_by_former(holder, column)


def already_used(column: str, value: str) -> Conflict:
    """Return the refusal of a value another row holds, naming its field."""
    return Conflict(f"{column} {value} is already used", column)


def possessive(name: str) -> str:
    """Return "Ana Diaz's" (or "Jo Ross'") for a name."""
    return name + ("'" if name.endswith("s") else "'s")


def held_by_former(holder: User | Officer, column: str) -> Conflict:
    """Return the refusal of an email or badge held by someone who left, saying what to do.

    Adding someone who left again is refused (they keep their history): bring them back.
    """
    value = getattr(holder, column)
    if isinstance(holder, Officer):
        left, back = "left the roster", "put them back on the roster"
    else:
        left, back = "was deactivated", "reactivate them"
    return Conflict(
        f"{column} {value} is {possessive(holder.name)}, who {left}: {back}, or check the {column}",
        column,
    )


def check_phone_back(session: Session, row: User | Officer) -> None:
    """Refuse bringing back someone whose phone was handed on meanwhile, naming its holder."""
    model: Any = type(row)
    holder = session.scalars(
        select(model).where(model.phone == row.phone, model.active.is_(True), model.id != row.id)
    ).first()
    if holder is not None:
        raise Conflict(
            f"phone {row.phone} is now {possessive(holder.name)}: "
            f"give {row.name} another phone before bringing them back",
            "phone",
        )


@contextmanager
def unique(
    session: Session, model: Any, row_id: int | None, **values: str | None
) -> Iterator[None]:
    """Write the block's changes in a savepoint; a value taken since the check is a 409 too."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError:
        # Both requests passed the check before either wrote: the unique index refused
        # this one once the other committed. Look again to name the field.
        check_unique(session, model, row_id, **values)
        raise
