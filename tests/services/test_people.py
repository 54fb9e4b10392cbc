"""The program always keeps an active supervisor, even when two change at once (SPEC §2)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select, text

from hotline.audit import Actor
from hotline.db import database
from hotline.models import User
from hotline.schemas.people import UserPatch
from hotline.services import people
from hotline.services.errors import Conflict
from tests.conftest import is_sqlite
from tests.factories import add_user

SYSTEM = Actor(None, "system")


def supervisors(app: Flask) -> list[str]:
    """Return the names of the active supervisors."""
    with database(app).sessionmaker() as session:
        rows = session.scalars(
            select(User.name).where(User.role == "supervisor", User.active.is_(True))
        )
        return sorted(rows)


def wait_for_a_blocked_writer(app: Flask) -> None:
    """On PostgreSQL, return once another connection waits on a row lock (SQLite: at once)."""
    if is_sqlite(app.config["DATABASE_URL"]):
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + 10
    with database(app).engine.connect() as connection:
        while connection.execute(query).scalar() == 0:
            assert time.monotonic() < deadline, "the second change never waited for the first"
            connection.rollback()  # pg_stat_activity holds still within one transaction
            time.sleep(0.01)


@pytest.mark.parametrize("change", [{"role": "coordinator"}, {"active": False}])
def test_two_supervisors_removing_each_other_at_once_leave_one(
    app: Flask, change: dict[str, object]
) -> None:
    ana = add_user(app, "Ana Diaz", "supervisor")
    ben = add_user(app, "Ben Okafor", "supervisor")
    outcome: list[BaseException | None] = []

    def remove_ben() -> None:
        with database(app).sessionmaker() as session:
            try:
                people.update_user(session, ben.id, UserPatch(**change), SYSTEM, datetime.now(UTC))
                session.commit()
                outcome.append(None)
            except BaseException as error:  # handed to the test thread
                session.rollback()
                outcome.append(error)

    with database(app).sessionmaker() as first:
        people.update_user(first, ana.id, UserPatch(**change), SYSTEM, datetime.now(UTC))
        second = threading.Thread(target=remove_ben)
        second.start()
        wait_for_a_blocked_writer(app)
        first.commit()
    second.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    assert outcome[0].field == next(iter(change))
    assert supervisors(app) == ["Ben Okafor"]


@pytest.mark.parametrize("change", [{"role": "coordinator"}, {"active": False}])
def test_a_supervisor_reactivated_since_the_change_read_them_is_still_the_last_one_kept(
    app: Flask, change: dict[str, object]
) -> None:
    """A change read X as inactive; X was reactivated and A deactivated since: X stays."""
    ana = add_user(app, "Ana Diaz", "supervisor")
    xavi = add_user(app, "Xavi Ruiz", "supervisor")
    with database(app).sessionmaker() as other:
        people.update_user(other, xavi.id, UserPatch(active=False), SYSTEM, datetime.now(UTC))
        other.commit()
    with database(app).sessionmaker() as stale:
        held = stale.get_one(User, xavi.id)  # the request read Xavi, inactive, and holds him
        with database(app).sessionmaker() as other:  # meanwhile, elsewhere
            people.update_user(other, xavi.id, UserPatch(active=True), SYSTEM, datetime.now(UTC))
            people.update_user(other, ana.id, UserPatch(active=False), SYSTEM, datetime.now(UTC))
            other.commit()
        assert held.active is False
        with pytest.raises(Conflict):
            people.update_user(stale, xavi.id, UserPatch(**change), SYSTEM, datetime.now(UTC))
            stale.commit()
        stale.rollback()
    assert supervisors(app) == ["Xavi Ruiz"]
