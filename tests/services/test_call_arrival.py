"""A call's first records: who called, the chain of the program as it stands, written once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import event, select, text

from hotline.db import database, session_scope
from hotline.driver_statements import DriverConnection
from hotline.models import Call, CallLeg, Referral, ReferralEvent
from hotline.services.call_arrival import ARRIVAL_READ, Arrival
from tests import factories
from tests.factories import add_officer, add_rotation, add_user

OFFICER_PHONE = "+12065550177"
STRANGER = "+12065550142"
NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def arrive(app: Flask, call_sid: str, caller: str = OFFICER_PHONE) -> Arrival:
    """Record a call's first webhook at NOW, with one fallback number."""
    return factories.arrive(app, call_sid, caller, NOW, ("+12065550199",))


@contextmanager
def statements(app: Flask) -> Iterator[tuple[list[str], list[str]]]:
    """Collect the SQL statements sent through SQLAlchemy, and straight to the driver."""
    through, direct = [], []
    engine = database(app).engine
    run_direct = DriverConnection.execute

    def listener(*args: object) -> None:
        through.append(str(args[2]))

    def counted(connection: DriverConnection, statement: Any, *args: Any) -> Any:
        direct.append(str(statement))
        return run_direct(connection, statement, *args)

    event.listen(engine, "before_cursor_execute", listener)
    setattr(DriverConnection, "execute", counted)  # noqa: B010 (a method stood in for)
    try:
        yield through, direct
    finally:
        setattr(DriverConnection, "execute", run_direct)  # noqa: B010
        event.remove(engine, "before_cursor_execute", listener)


def records_of(
    app: Flask, call_id: int
) -> tuple[Call, Referral, list[ReferralEvent], list[CallLeg]]:
    """Return a call, its referral, the referral's events and the call's legs as stored."""
    with session_scope(app) as session:
        call = session.get_one(Call, call_id)
        assert call.referral_id is not None
        referral = session.get_one(Referral, call.referral_id)
        events = list(
            session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id))
        )
        legs = list(session.scalars(select(CallLeg).where(CallLeg.call_id == call_id)))
        return call, referral, events, legs


def test_an_officers_call_keeps_every_record_once_the_program_is_kept(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    officer = add_officer(app)
    arrive(app, "CA-first")  # the worker now keeps the program
    with statements(app) as (through, direct):
        arrival = arrive(app, "CA-second")
    assert through == []  # straight to the driver (hotline.driver_statements)
    if database(app).engine.dialect.name == "postgresql":
        assert len(direct) == 1  # the caller read and the four records written in one trip
    else:
        assert len(direct) == 5  # the caller read, then the four records
    assert (arrival.officer_id, arrival.officer_name) == (officer.id, "Officer Smith")
    assert [step["number"] for step in arrival.chain] == [ana.phone, "+12065550199"]
    call, referral, events, legs = records_of(app, arrival.id)
    assert (call.call_sid, call.officer_id, call.chain) == ("CA-second", officer.id, arrival.chain)
    assert (referral.officer_id, referral.badge, referral.channel) == (officer.id, "4711", "voice")
    assert [(e.kind, e.detail) for e in events] == [
        ("call_received", {"call_sid": "CA-second", "verified": True})
    ]
    assert [(leg.step, leg.number, leg.user_id) for leg in legs] == [(0, ana.phone, ana.id)]


def test_a_strangers_call_is_unverified_and_dials_nobody_before_the_badge(app: Flask) -> None:
    add_rotation(app, 1, add_user(app, "Ana Diaz"))
    add_officer(app)
    arrive(app, "CA-first")
    arrival = arrive(app, "CA-stranger", caller=STRANGER)
    assert (arrival.officer_id, arrival.officer_name) == (None, None)
    call, referral, events, legs = records_of(app, arrival.id)
    assert (call.officer_id, referral.officer_id, referral.badge) == (None, None, None)
    assert referral.officer_phone == STRANGER
    assert [e.detail for e in events] == [{"call_sid": "CA-stranger", "verified": False}]
    assert legs == []


def test_a_call_after_another_worker_changed_the_rotation_rings_the_new_chain(app: Flask) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Ode")
    add_rotation(app, 1, ana)
    add_officer(app)
    before = arrive(app, "CA-before")  # the worker keeps the program of Ana alone
    assert [step["number"] for step in before.chain] == [ana.phone, "+12065550199"]
    add_rotation(app, 2, ben)  # as through another worker: only the stored revision moves
    arrival = arrive(app, "CA-after")
    assert [step["number"] for step in arrival.chain] == [ana.phone, ben.phone, "+12065550199"]
    call, _, events, legs = records_of(app, arrival.id)
    assert call.chain == arrival.chain
    assert [leg.number for leg in legs] == [ana.phone]
    assert len(events) == 1
    with session_scope(app) as session:
        sids = session.scalars(select(Call.call_sid).order_by(Call.id)).all()
        assert sids == ["CA-before", "CA-after"]
        assert len(session.scalars(select(Referral.id)).all()) == 2


def test_a_repeated_call_sid_gets_the_first_record_and_writes_nothing(app: Flask) -> None:
    add_rotation(app, 1, add_user(app, "Ana Diaz"))
    add_officer(app)
    arrive(app, "CA-first")
    first = arrive(app, "CA-again")
    again = arrive(app, "CA-again")
    assert (again.id, again.officer_id, again.chain) == (first.id, first.officer_id, first.chain)
    with session_scope(app) as session:
        assert len(session.scalars(select(Referral.id)).all()) == 2
        assert len(session.scalars(select(ReferralEvent.id)).all()) == 2
        assert len(session.scalars(select(CallLeg.id)).all()) == 2


def test_the_callers_officer_is_found_through_the_rosters_phone_index(app: Flask) -> None:
    """A call's first read finds its officer by index: the hotline's busiest lookup."""
    engine = database(app).engine
    read = ARRIVAL_READ.params(phone=OFFICER_PHONE)
    sql = str(read.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = " ".join(row[3] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        else:  # a table this small is read whole unless told not to: ask whether it could
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))
    assert "uq_officers_phone_active" in plan
