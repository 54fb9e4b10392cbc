"""Write a call's first records (referral, call, its event, the first leg) in one go.

The records of an officer's call are written before the first ring, so their
statements are the hot path's. PostgreSQL takes them as one statement of
data-modifying CTEs (one round trip) that also reads the caller's roster row
and can check the program's revision; SQLite, which has none, as four inserts
on one connection. Either way a CallSid already recorded writes nothing and
answers None, and the caller reads the first record instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Row,
    Select,
    String,
    Table,
    bindparam,
    case,
    exists,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.engine.interfaces import IsolationLevel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter

from ..driver_statements import DriverConnection
from ..models import Call, CallLeg, Officer, Referral, ReferralEvent
from ..statements import insert_ignoring_conflicts, table_of
from .program_cache import REVISION_VALUE
from .referrals import EVENT_INSERT

UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
REFERRAL_INSERT = insert(table_of(Referral)).returning(Referral.id)
LEG_INSERT = insert(table_of(CallLeg))
# The columns PostgreSQL's statement takes from the request (keys of the Records' dicts);
# the officer's come from the roster row it reads. Every column that has a default too:
# a CTE's INSERT gets no default filled in.
REFERRAL_FIELDS = ("channel", "status", "officer_phone", "created_at")
CALL_FIELDS = ("call_sid", "from_number", "to_number", "status", "started_at", "chain")
EVENT_FIELDS = ("at", "kind", "channel")
LEG_FIELDS = ("number", "user_id", "at")


def isolation_level(dialect: str) -> IsolationLevel | None:
    """Return the isolation level the records go in at, on `dialect` (None: the default).

    PostgreSQL's one statement is atomic by itself: outside a transaction it
    saves the BEGIN and COMMIT round trips. SQLite's four inserts need one.
    """
    return "AUTOCOMMIT" if dialect == "postgresql" else None


def reads_as_it_writes(connection: Connection | DriverConnection) -> bool:
    """Tell whether `connection` can read the caller in the statement that writes (PostgreSQL)."""
    return connection.dialect.name == "postgresql"


@dataclass(frozen=True)
class Records:
    """A call's first records as columns (the *_FIELDS); no leg while nothing rings yet."""

    referral: dict[str, Any]
    call: dict[str, Any]
    event: dict[str, Any]
    leg: dict[str, Any] | None


def record(connection: Connection | DriverConnection, records: Records) -> int | None:
    """Insert the records on `connection`; return the call's id, None if the CallSid is known.

    On PostgreSQL a known CallSid fails the whole statement, so nothing of it
    is written, and the caller rolls back whatever transaction it had open.
    """
    if connection.dialect.name != "postgresql":
        return _one_by_one(connection, records)
    row = record_as_kept(connection, None, records.referral["officer_phone"], records)
    return None if row is None else int(row.call_id)


def record_as_kept(
    connection: Connection | DriverConnection,
    revision: str | None,
    phone: str | None,
    records: Records,
) -> Row[Any] | None:
    """Read the caller and write the records in one statement, if the program is at `revision`.

    PostgreSQL only; `revision` None writes whatever the stored revision. The
    statement takes what the caller's roster row gives (the officer's id and
    badge, whether the call is verified, whether a leg is dialled) from the row
    it reads, not from `records`. Answers the revision read, the call's id (None
    when the revision moved on: nothing is written) and the caller's row
    (ARRIVAL_READ's columns); None if the CallSid is known.
    """
    params = {f"r_{name}": records.referral[name] for name in REFERRAL_FIELDS}
    params |= {f"c_{name}": records.call[name] for name in CALL_FIELDS}
    params |= {f"e_{name}": records.event[name] for name in EVENT_FIELDS}
    params |= {f"l_{name}": (records.leg or {}).get(name) for name in LEG_FIELDS}
    detail = records.event["detail"]
    params |= {"e_known": {**detail, "verified": True}, "e_unknown": {**detail, "verified": False}}
    params |= {"l_dial": records.leg is not None, "phone": phone, "expected": revision}
    try:
        return connection.execute(_in_one_statement(), params).one()
    except IntegrityError as error:
        # Of the four, only the call has a unique key a new row can meet: its CallSid.
        if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            return None
        raise


def _one_by_one(connection: Connection | DriverConnection, records: Records) -> int | None:
    referral_id = connection.execute(REFERRAL_INSERT, records.referral).scalar_one()
    calls = insert_ignoring_conflicts(table_of(Call), connection.dialect.name)  # built once
    call_id = connection.execute(calls, {**records.call, "referral_id": referral_id}).scalar()
    if call_id is None:
        return None
    event = {**records.event, "referral_id": referral_id, "actor_id": None}
    connection.execute(EVENT_INSERT, event)
    if records.leg is not None:
        connection.execute(LEG_INSERT, {**records.leg, "call_id": call_id, "step": 0})
    return int(call_id)


def _param(table: Table, column: str, prefix: str) -> BindParameter[Any]:
    """Return a bound parameter typed as `table`'s column (JSON and instants converted)."""
    return bindparam(f"{prefix}{column}", type_=table.c[column].type)


@functools.cache
def _in_one_statement() -> Select[Any]:
    """Return PostgreSQL's one statement that reads the caller and writes the four records."""
    referrals, calls = table_of(Referral), table_of(Call)
    events, legs = table_of(ReferralEvent), table_of(CallLeg)
    officer = (
        select(Officer.id, Officer.name, Officer.badge, Officer.language)
        .where(Officer.phone == bindparam("phone"), Officer.active.is_(True))
        .cte("arrival_officer")
    )
    current = select(REVISION_VALUE.label("revision")).cte("arrival_revision")
    expected = bindparam("expected", type_=String)
    known = exists().select_from(officer)
    officer_id = select(officer.c.id).scalar_subquery()
    referral_values = select(
        *(_param(referrals, name, "r_") for name in REFERRAL_FIELDS),
        officer_id,
        select(officer.c.badge).scalar_subquery(),
    ).where(  # else nothing below is written
        or_(expected.is_(None), current.c.revision == expected)
    )
    referral = (
        insert(referrals)
        .from_select([*REFERRAL_FIELDS, "officer_id", "badge"], referral_values)
        .returning(referrals.c.id)
        .cte("arrival_referral")
    )
    call_values = select(
        *(_param(calls, name, "c_") for name in CALL_FIELDS), officer_id, referral.c.id
    )
    call = (
        insert(calls)
        .from_select([*CALL_FIELDS, "officer_id", "referral_id"], call_values)
        .returning(calls.c.id, calls.c.referral_id)
        .cte("arrival_call")
    )
    detail = case(
        (known, bindparam("e_known", type_=JSON)), else_=bindparam("e_unknown", type_=JSON)
    )
    event_values = select(
        call.c.referral_id, *(_param(events, n, "e_") for n in EVENT_FIELDS), detail
    )
    event = insert(events).from_select(["referral_id", *EVENT_FIELDS, "detail"], event_values)
    leg_values = select(call.c.id, literal(0), *(_param(legs, n, "l_") for n in LEG_FIELDS))
    # An unknown caller is asked for a badge first: nothing is dialled yet.
    leg = insert(legs).from_select(
        ["call_id", "step", *LEG_FIELDS],
        leg_values.where(bindparam("l_dial", type_=Boolean), known),
    )
    return (
        select(
            current.c.revision,
            select(call.c.id).scalar_subquery().label("call_id"),
            officer.c.id,
            officer.c.name,
            officer.c.badge,
            officer.c.language,
        )
        .select_from(current.outerjoin(officer, true()))
        .add_cte(event.cte("arrival_event"), leg.cte("arrival_leg"))
    )
