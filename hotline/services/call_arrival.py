"""A call's first webhook: who calls, the chain as it stands, the records (SPEC §4.1).

Every officer's call starts here, so it is built for the hot path: one read
(the program's revision beside the caller's roster row), the chain from the
program kept per worker, and the records written in one statement where the
database can (hotline.services.arrival_records), straight on the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, literal, select
from sqlalchemy.orm import Session

from .. import driver_statements
from ..models import Officer
from ..phones import normalized
from . import arrival_records, program_cache
from .calls import find_call
from .oncall import chain_steps
from .program_cache import REVISION_VALUE
from .program_store import OnCall, on_call_at

# Built once: the revision of the program and the caller's row (none for an unknown
# number) in one statement, where a cached program would otherwise cost a read of its own.
ARRIVAL_READ = select(
    REVISION_VALUE.label("revision"), Officer.id, Officer.name, Officer.badge, Officer.language
).select_from(
    select(literal(1).label("one"))
    .subquery()
    .outerjoin(Officer, and_(Officer.phone == bindparam("phone"), Officer.active.is_(True)))
)


@dataclass(frozen=True)
class Arrival:
    """A call as its first webhook answers it: the record, who is calling, the chain.

    `officer_name` and `language` are the roster officer's (None for an unknown number).
    A known officer's call that rings has its first leg recorded with it.
    """

    id: int
    officer_id: int | None
    officer_name: str | None
    language: str | None
    chain: list[dict[str, Any]]


@dataclass(frozen=True)
class IncomingCall:
    """A call's first webhook, as start_call() takes it.

    `rings`: the chain's first step is dialled now (its leg goes in too); not so
    for a call known only from its status callback, which went to the fallback.
    """

    sid: str
    from_number: str
    to_number: str
    now: datetime
    region: str
    fallback: list[str]
    rings: bool


def start_call(engine: Engine, call: IncomingCall) -> Arrival:
    """Record a call and its referral on first sight; a repeated CallSid gets the first record.

    The records are committed before this returns: the call is on record before
    anything rings. No session is opened: with the program kept, the records go
    straight to the driver (hotline.driver_statements), the hot path; else
    through a pooled connection of their own, after the program is read.
    """
    kept = program_cache.kept(engine)
    if kept is not None:
        try:
            return _start_as_kept(engine, call, *kept)
        except ProgramMovedOn:
            pass  # changed since this worker read it: read it below, then write
    with engine.connect() as connection:
        level = arrival_records.isolation_level(engine.dialect.name)
        if level is not None:
            connection.execution_options(isolation_level=level)
        arrival = _record(connection, call)
        if arrival is None:  # a retry of the same webhook recorded it first: drop the rest
            connection.rollback()
        else:
            connection.commit()
    return arrival if arrival is not None else _repeated(engine, call.sid)


class ProgramMovedOn(Exception):
    """The stored program's revision is not the one this worker keeps: nothing was written."""


def _start_as_kept(engine: Engine, call: IncomingCall, revision: str, on_call: OnCall) -> Arrival:
    """Record the call with the chain of the kept program, if it is still the stored one."""
    caller = normalized(call.from_number, call.region)
    chain = chain_steps(on_call.chain_at(call.now), on_call.phones, call.fallback, caller)
    level = arrival_records.isolation_level(engine.dialect.name)
    with driver_statements.connect(engine, level) as connection:
        if arrival_records.reads_as_it_writes(connection):
            # One round trip: the caller read, and the records written if the revision holds.
            records = _records(call, caller, chain, None)
            read = arrival_records.record_as_kept(connection, revision, caller, records)
            if read is not None and read.call_id is None:
                raise ProgramMovedOn(revision)
            call_id = None if read is None else read.call_id
        else:
            # Every read before the first write: SQLite's write lock is held only for the inserts.
            read = connection.execute(ARRIVAL_READ, {"phone": caller}).one()
            if read.revision != revision:
                raise ProgramMovedOn(revision)
            call_id = arrival_records.record(connection, _records(call, caller, chain, read))
        if call_id is None:  # a retry of the same webhook recorded it first: drop the rest
            connection.rollback()
        else:
            connection.commit()
    if call_id is None or read is None:
        return _repeated(engine, call.sid)
    return Arrival(int(call_id), read.id, read.name, read.language, chain)


def _repeated(engine: Engine, call_sid: str) -> Arrival:
    with Session(engine) as session:
        return repeated_arrival(session, call_sid)


def start_call_in_session(session: Session, call: IncomingCall) -> Arrival:
    """Record a call as start_call() does, in the session's transaction, and commit it.

    For a status callback of a call whose first webhook never came: its lookup
    of the call has already opened the session's transaction.
    """
    arrival = _record(session.connection(), call)
    if arrival is None:
        session.rollback()
        return repeated_arrival(session, call.sid)
    session.commit()
    return arrival


def _record(connection: Connection, call: IncomingCall) -> Arrival | None:
    """Read the caller and the program, write the records; None if the CallSid is known."""
    caller = normalized(call.from_number, call.region)
    # Every read before the first write: SQLite's write lock is held only for the inserts.
    read = connection.execute(ARRIVAL_READ, {"phone": caller}).one()
    on_call = on_call_at(connection, read.revision)
    chain = chain_steps(on_call.chain_at(call.now), on_call.phones, call.fallback, caller)
    call_id = arrival_records.record(connection, _records(call, caller, chain, read))
    if call_id is None:
        return None
    return Arrival(call_id, read.id, read.name, read.language, chain)


def _records(
    call: IncomingCall, caller: str | None, chain: list[dict[str, Any]], read: Any
) -> arrival_records.Records:
    """Return the call's first records; `read`: the caller's row (None: the statement reads it).

    Without the row, the officer's columns are left for record_as_kept() to fill.
    """
    now = call.now
    officer_id = read.id if read is not None else None
    referral = {
        "channel": "voice",
        "status": "received",
        "officer_id": officer_id,
        "badge": read.badge if read is not None else None,
        "officer_phone": caller,
        "created_at": now,
    }
    values = {
        "call_sid": call.sid,
        "from_number": call.from_number[:40],
        "to_number": call.to_number[:40],
        "officer_id": officer_id,
        "status": "ringing",
        "started_at": now,
        "chain": chain,
    }
    detail = {"call_sid": call.sid, "verified": officer_id is not None}
    event = {"at": now, "kind": "call_received", "channel": "voice", "detail": detail}
    # A known officer's call rings the chain's first step at once: its leg goes in too
    # (without the row, record_as_kept() writes it only for a known officer).
    rings = call.rings and chain and (read is None or officer_id is not None)
    first = chain[0] if rings else None
    leg = {"number": first["number"], "user_id": first["user_id"], "at": now} if first else None
    return arrival_records.Records(referral, values, event, leg)


def repeated_arrival(session: Session, call_sid: str) -> Arrival:
    """Return the call a first delivery of this webhook recorded."""
    call = find_call(session, call_sid)
    assert call is not None
    known = session.get(Officer, call.officer_id) if call.officer_id is not None else None
    language = known.language if known else None
    return Arrival(call.id, call.officer_id, known.name if known else None, language, call.chain)
