"""Core statements run on the driver write what SQLAlchemy writes and fail as SQLAlchemy fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import Engine, bindparam, event, insert, select, text
from sqlalchemy.exc import IntegrityError, NoResultFound, OperationalError

from hotline import driver_statements
from hotline.db import database, session_scope
from hotline.deadline import DeadlineExceeded
from hotline.models import Call, ReferralEvent
from hotline.statements import table_of
from tests.factories import add_referral

AT = datetime(2026, 12, 4, 18, 30, 15, 123456, tzinfo=UTC)
EVENT_INSERT = insert(table_of(ReferralEvent)).returning(ReferralEvent.id)
CALL_INSERT = insert(table_of(Call))


def engine_of(app: Flask) -> Engine:
    return database(app).engine


def event_values(referral_id: int) -> dict[str, object]:
    """Return an event with an aware instant off UTC, JSON and an unset default (actor)."""
    at = AT.astimezone(ZoneInfo("America/Los_Angeles"))
    detail = {"call_sid": "CA1", "verified": True, "words": ["ñ", 1]}
    return {"referral_id": referral_id, "at": at, "kind": "k", "channel": "voice", "detail": detail}


def invalidations(engine: Engine) -> list[object]:
    """Collect the pool's invalidations of `engine`'s connections from now on."""
    seen: list[object] = []
    event.listen(engine.pool, "invalidate", lambda *args: seen.append(args[2]))
    return seen


def test_a_row_written_on_the_driver_reads_back_as_one_written_through_sqlalchemy(
    app: Flask,
) -> None:
    referral_id = add_referral(app)
    engine = engine_of(app)
    with driver_statements.connect(engine) as connection:
        direct = connection.execute(EVENT_INSERT, event_values(referral_id)).scalar_one()
        connection.commit()
    with engine.begin() as connection:
        through = connection.execute(EVENT_INSERT, event_values(referral_id)).scalar_one()
    with session_scope(app) as session:
        one, other = session.get_one(ReferralEvent, direct), session.get_one(ReferralEvent, through)
        columns = ("referral_id", "at", "kind", "actor_id", "channel", "detail")
        assert [getattr(one, c) for c in columns] == [getattr(other, c) for c in columns]
        assert one.at == AT and one.actor_id is None
        assert one.detail == {"call_sid": "CA1", "verified": True, "words": ["ñ", 1]}


def test_rows_come_back_by_column_name(app: Flask) -> None:
    referral_id = add_referral(app)
    read = select(ReferralEvent.id, ReferralEvent.kind).where(
        ReferralEvent.referral_id == referral_id
    )
    with driver_statements.connect(engine_of(app)) as connection:
        assert connection.execute(read).scalar() is None
        with pytest.raises(NoResultFound):
            connection.execute(read).one()
        new_id = connection.execute(EVENT_INSERT, event_values(referral_id)).scalar_one()
        row = connection.execute(read).one()
    assert (row.id, row.kind) == (new_id, "k")


def test_a_statement_that_needs_a_default_computed_at_execution_is_refused(app: Flask) -> None:
    needed: Any = bindparam("referral_id")  # no value, none given
    values = {"call_sid": "CA1", "from_number": "+1", "to_number": "+2", "started_at": AT}
    with driver_statements.connect(engine_of(app)) as connection:
        with pytest.raises(ValueError, match="chain"):  # default=list: computed per row
            connection.execute(CALL_INSERT, values)
        with pytest.raises(ValueError, match="referral_id"):
            connection.execute(select(ReferralEvent.id).where(ReferralEvent.referral_id == needed))
        computed = bindparam("referral_id", callable_=lambda: 1)
        by_callable = select(ReferralEvent.id).where(ReferralEvent.referral_id == computed)
        with pytest.raises(ValueError, match="callable_"):
            connection.execute(by_callable)


def test_a_driver_error_comes_out_as_sqlalchemys_and_nothing_is_kept(app: Flask) -> None:
    referral_id = add_referral(app)
    engine = engine_of(app)
    with pytest.raises(IntegrityError) as raised, driver_statements.connect(engine) as connection:
        connection.execute(EVENT_INSERT, event_values(referral_id))
        connection.execute(EVENT_INSERT, event_values(referral_id + 1000))  # no such referral
    assert isinstance(raised.value.orig, engine.dialect.loaded_dbapi.IntegrityError)
    assert "ñ" not in str(raised.value)  # the values stay out of the message (and the logs)
    with session_scope(app) as session:
        assert session.scalars(select(ReferralEvent.id)).all() == []  # the first rolled back


@pytest.mark.parametrize(
    ("failure", "closed"),
    [(DeadlineExceeded(), True), (RuntimeError("the chain could not be built"), False)],
    ids=["interrupted: closed, not handed back", "an ordinary error: handed back"],
)
def test_a_failed_block_keeps_nothing_and_closes_only_an_interrupted_connection(
    app: Flask, failure: BaseException, closed: bool
) -> None:
    referral_id = add_referral(app)
    engine = engine_of(app)
    dropped = invalidations(engine)
    with pytest.raises(type(failure)), driver_statements.connect(engine) as connection:
        connection.execute(EVENT_INSERT, event_values(referral_id))
        raise failure
    assert len(dropped) == (1 if closed else 0)
    with session_scope(app) as session:
        assert session.scalars(select(ReferralEvent.id)).all() == []


def postgresql_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a server that ends a connection, and autocommit: PostgreSQL's")


def test_a_connection_the_server_ended_fails_as_invalidated_and_the_next_one_works(
    app: Flask,
) -> None:
    engine = engine_of(app)
    postgresql_only(engine)
    backend = select(text("pg_backend_pid()"))
    with pytest.raises(OperationalError) as raised, driver_statements.connect(engine) as connection:
        pid = connection.execute(backend).scalar_one()
        with engine.connect() as other:
            other.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
        connection.execute(backend)
    assert raised.value.connection_invalidated
    with driver_statements.connect(engine) as connection:
        assert connection.execute(backend).scalar_one() != pid


def test_autocommit_holds_for_one_checkout_only(app: Flask) -> None:
    engine = engine_of(app)
    postgresql_only(engine)
    referral_id = add_referral(app)
    engine.pool.dispose()  # one connection in the pool: the next checkouts share it
    with driver_statements.connect(engine, "AUTOCOMMIT") as connection:
        connection.execute(EVENT_INSERT, event_values(referral_id))  # kept without a COMMIT
    with engine.connect() as connection:  # in a transaction again: a rollback undoes
        connection.execute(EVENT_INSERT, event_values(referral_id))
        connection.rollback()
    with session_scope(app) as session:
        assert len(session.scalars(select(ReferralEvent.id)).all()) == 1


def test_an_instant_keeps_its_microseconds_and_zone_on_both_databases(app: Flask) -> None:
    referral_id = add_referral(app)
    later = {**event_values(referral_id), "at": AT + timedelta(microseconds=1)}
    with driver_statements.connect(engine_of(app)) as connection:
        new_id = connection.execute(EVENT_INSERT, later).scalar_one()
        connection.commit()
    with session_scope(app) as session:
        assert session.get_one(ReferralEvent, new_id).at == AT + timedelta(microseconds=1)
