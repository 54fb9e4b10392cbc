"""A call's first webhook: who calls, the chain as it stands, the records (SPEC §4.1).

Every officer's call starts here, so it is built for the hot path: one read
(the program's revision beside the caller's roster row), the chain from the
program kept per worker, and the records written in one statement where the
database can (hotline.services.arrival_records).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, literal, select
from sqlalchemy.orm import Session

from ..models import Officer
from ..phones import normalized
from . import arrival_records
from .calls import find_call
from .oncall import chain_steps
from .program_cache import REVISION_VALUE
from .program_store import on_call_at

# Built once: the revision of the program and the caller's row (none for an unknown
# number) in one statement, where a cached program would otherwise cost a read of its own.
ARRIVAL_READ = select(
    REVISION_VALUE.label("revision"), Officer.id, Officer.name, Officer.badge, Officer.language
).select_from(
    select(literal(1).label("one"))
    .subquery()
    .outerjoin(Officer, Officer.phone == bindparam("phone"))
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


def start_call(
    session: Session,
    call_sid: str,
    from_number: str,
    to_number: str,
    now: datetime,
    region: str,
    fallback: list[str],
    rings: bool,
) -> Arrival:
    """Record a call and its referral on first sight; a repeated CallSid gets the first record.

    The records are committed before this returns: the call is on record before
    anything rings. `rings`: the chain's first step is dialled now (its leg goes
    in too), not so for a call known only from its status callback.
    """
    connection = session.connection(execution_options=_one_statement_options(session))
    caller = normalized(from_number, region)
    # Every read before the first write: SQLite's write lock is then held only for the inserts.
    read = connection.execute(ARRIVAL_READ, {"phone": caller}).one()
    on_call = on_call_at(session, read.revision)
    chain = chain_steps(on_call.chain_at(now), on_call.phones, fallback)
    officer_id = read.id
    referral = {
        "channel": "voice",
        "status": "received",
        "officer_id": officer_id,
        "badge": read.badge,
        "officer_phone": caller,
        "created_at": now,
    }
    values = {
        "call_sid": call_sid,
        "from_number": from_number[:40],
        "to_number": to_number[:40],
        "officer_id": officer_id,
        "status": "ringing",
        "started_at": now,
        "chain": chain,
    }
    detail = {"call_sid": call_sid, "verified": officer_id is not None}
    event = {"at": now, "kind": "call_received", "channel": "voice", "detail": detail}
    # A known officer's call rings the chain's first step at once: its leg goes in too.
    first = chain[0] if rings and officer_id is not None and chain else None
    leg = {"number": first["number"], "user_id": first["user_id"], "at": now} if first else None
    records = arrival_records.Records(referral, values, event, leg)
    call_id = arrival_records.record(connection, records)
    if call_id is None:  # a retry of the same webhook recorded it first: drop this referral
        session.rollback()
        return repeated_arrival(session, call_sid)
    session.commit()
    return Arrival(call_id, officer_id, read.name, read.language, chain)


def _one_statement_options(session: Session) -> dict[str, str] | None:
    """Return how to open the connection; a session already in a transaction keeps it."""
    if session.in_transaction():  # a status callback's lookup went first
        return None
    return arrival_records.connection_options(session.get_bind().dialect.name)


def repeated_arrival(session: Session, call_sid: str) -> Arrival:
    """Return the call a first delivery of this webhook recorded."""
    call = find_call(session, call_sid)
    assert call is not None
    known = session.get(Officer, call.officer_id) if call.officer_id is not None else None
    language = known.language if known else None
    return Arrival(call.id, call.officer_id, known.name if known else None, language, call.chain)
