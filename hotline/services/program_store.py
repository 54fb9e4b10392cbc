"""Load the on-call program for the engine, leaving out rows it cannot compute.

A rotation or override written by an older version or by hand may hold
something the engine cannot compute (a start in year 9999, an unknown zone, a
malformed window). Each such row is left out of the program, logged by id and
shown to supervisors as broken; everything else is computed as usual.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import rotation as engine
from ..models import Override, Rotation, User
from ..permissions import holders
from .program_cache import cached_program, kept_or_loaded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OnCall:
    """The program and every user's phone, kept together under one revision."""

    program: engine.Program
    phones: dict[int, str]
    # Stored rows the program leaves out, named to supervisors (SPEC §2).
    broken: tuple[BrokenRow, ...] = ()
    # The last chain resolved and the instants it holds over: [(chain, start, until)].
    _chain: list[tuple[tuple[int, ...], datetime, datetime]] = field(
        default_factory=list, compare=False, repr=False
    )

    def chain_at(self, instant: datetime) -> list[int]:
        """Return the escalation chain at `instant`, resolved once per stretch it holds."""
        kept = self._chain[0] if self._chain else None
        if kept is not None and kept[1] <= instant < kept[2]:
            return list(kept[0])
        chain, until = engine.chain_until(self.program, instant)
        self._chain[:] = [(tuple(chain), instant, until)]
        return chain


def load_program(session: Session) -> engine.Program:
    """Return every computable rotation, override and inactive user as the engine's values."""
    return cached_program(session, read_on_call).program


def load_on_call(session: Session) -> OnCall:
    """Return the program with the users' phones: a call's chain without another statement."""
    return cached_program(session, read_on_call)


def on_call_at(connection: Connection, revision: str | None) -> OnCall:
    """Return the program with the phones at `revision`, read beside the caller's row.

    Read on `connection` (in its transaction) only when the worker keeps no program at it.
    """
    return kept_or_loaded(connection.engine, revision, lambda: _read_on(connection))


def _read_on(connection: Connection) -> OnCall:
    # The session joins the connection's transaction and leaves it open when closed.
    with Session(bind=connection) as session:
        return read_on_call(session)


def read_on_call(session: Session) -> OnCall:
    """Read the program and the phones (a phone change bumps the revision, as a rota change)."""
    phones = {row.id: row.phone for row in session.execute(select(User.id, User.phone))}
    program, broken = _read_program(session)
    return OnCall(program, phones, broken)


def read_program(session: Session) -> engine.Program:
    """Read every rotation, override and inactive user, leaving out the uncomputable."""
    return _read_program(session)[0]


def _read_program(session: Session) -> tuple[engine.Program, tuple[BrokenRow, ...]]:
    """Read the program, and every stored row it leaves out with why (each logged)."""
    rows = session.scalars(
        select(Rotation).options(selectinload(Rotation.participants)).order_by(Rotation.id)
    ).all()
    rotations, broken = [], []
    for row in rows:
        value = engine_rotation(row)
        if isinstance(value, str):
            log.warning("rotation %s left out of the program: %s", row.id, value)
            broken.append(BrokenRow("rotation", row.id, row.name, value))
        else:
            rotations.append(value)
    overrides = []
    for fields in session.execute(
        select(Override.id, Override.user_id, Override.tier, Override.start, Override.end).order_by(
            Override.id
        )
    ).all():
        override = engine.Override(*fields)
        if (problem := engine.override_problem(override)) is not None:
            log.warning("override %s left out of the program: %s", override.id, problem)
            broken.append(BrokenRow("override", override.id, None, problem))
        else:
            overrides.append(override)
    # Skipped like an inactive person: whoever no longer takes calls (made a case manager, say).
    inactive = session.scalars(
        select(User.id).where(or_(User.active.is_(False), User.role.not_in(holders("take_calls"))))
    ).all()
    program = engine.Program(tuple(rotations), tuple(overrides), frozenset(inactive))
    return program, tuple(broken)


def engine_rotation(row: Rotation) -> engine.Rotation | str:
    """Return the engine's value of a stored rotation, or why it cannot be computed."""
    try:
        rotation = engine.Rotation(
            id=row.id,
            tier=row.tier,
            start=row.start_local,
            shift_hours=row.shift_hours,
            participants=tuple(p.user_id for p in row.participants),
            timezone=row.timezone,
            priority=row.priority,
            windows=tuple(engine.Window.from_dict(w) for w in row.windows or ()),
        )
    # A hand-edited row can fail in any of these ways (KeyError: an unknown zone).
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        return str(error).strip("'\"") or type(error).__name__
    except OSError:  # a folder of the zone database ("US", "America") read as a zone file
        return f"No time zone found with key {row.timezone}"
    problem = engine.rotation_problem(rotation)
    return rotation if problem is None else problem


def readable_window(window: object) -> bool:
    """Tell whether a stored window has the SPEC §3 shape the engine reads."""
    try:
        engine.Window.from_dict(window)
    except (ValueError, TypeError, KeyError):
        return False
    return True


def rotation_problem(row: Rotation) -> str | None:
    """Return why the engine cannot compute a stored rotation, or None."""
    value = engine_rotation(row)
    return value if isinstance(value, str) else None


def override_problem(row: Override) -> str | None:
    """Return why the engine cannot compute a stored override, or None."""
    return engine.override_problem(
        engine.Override(row.id, row.user_id, row.tier, row.start, row.end)
    )


class BrokenRow(NamedTuple):
    """A stored rotation or override the engine leaves out, and why."""

    kind: str  # "rotation" or "override"
    id: int
    name: str | None  # a rotation's; an override has none
    problem: str


def broken_rows(session: Session) -> list[BrokenRow]:
    """Return every stored rotation and override left out of on-call (shown to supervisors)."""
    return list(cached_program(session, read_on_call).broken)
