"""Keep the loaded on-call program per worker until a change bumps its revision.

Every webhook needs the program (rotations, overrides, inactive people). It
changes rarely, so each worker keeps the last one it loaded with the revision
it was loaded at; one cheap read of the revision tells whether it still holds.
The revision is bumped in the same transaction as every change
(`mark_coverage_changed`), so a cached program is never older than the
revision it is kept under. A database edited by hand, outside the app, has
no revision bump: without a revision row the program is loaded every time, and
a kept program is read again once it is `MAX_AGE_S` old, so a hand edit reaches
every worker within that time.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from time import monotonic
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from ..models import ProgramSetting
from ..statements import insert_unless_present

REVISION_KEY = "program_revision"
# Built once: every webhook reads the revision (a call's first webhook beside its caller).
REVISION_QUERY = select(ProgramSetting.value).where(ProgramSetting.key == REVISION_KEY)
REVISION_VALUE = REVISION_QUERY.scalar_subquery()
# A kept program is read again after this long even when its revision holds (hand edits).
MAX_AGE_S = 60.0
# Per engine: the revision, what was loaded at it (the program and the people's phones),
# and when (monotonic seconds).
_cache: WeakKeyDictionary[Engine, tuple[str, Any, float]] = WeakKeyDictionary()
Loaded = TypeVar("Loaded")
_lock = threading.Lock()


def bump_revision(session: Session) -> None:
    """Mark the program changed, in the caller's transaction."""
    value = uuid.uuid4().hex
    values = {"key": REVISION_KEY, "value": value}
    if insert_unless_present(session, ProgramSetting, values) is None:
        session.execute(
            update(ProgramSetting).where(ProgramSetting.key == REVISION_KEY).values(value=value)
        )


def cached_program(session: Session, load: Callable[[Session], Loaded]) -> Loaded:
    """Return the program, loading it only when its revision moved since the last load."""
    revision = session.connection().execute(REVISION_QUERY).scalar()
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return load(session)
    return kept_or_loaded(bind, revision, lambda: load(session))


def kept(engine: Engine) -> tuple[str, Any] | None:
    """Return the revision `engine`'s worker keeps a program at, and what it keeps; None if stale.

    For a statement that checks the revision itself and writes nothing when it moved on.
    """
    with _lock:
        held = _cache.get(engine)
    if held is None or monotonic() - held[2] >= MAX_AGE_S:
        return None
    return held[0], held[1]


def kept_or_loaded(engine: Engine, revision: str | None, load: Callable[[], Loaded]) -> Loaded:
    """Return what `engine`'s worker keeps at `revision`, or load it (after reading `revision`).

    Safe from a transaction that may yet roll back: a revision is a fresh UUID, so
    one that never commits is never read again and what was kept under it never served.
    """
    if revision is None:  # no revision row: a hand-made database is read every time
        return load()
    held = kept(engine)
    if held is not None and held[0] == revision:
        program: Loaded = held[1]
        return program
    loaded_at = monotonic()  # its age counts from the read
    program = load()  # read after the revision: never older than it
    with _lock:
        _cache[engine] = (revision, program, loaded_at)
    return program
