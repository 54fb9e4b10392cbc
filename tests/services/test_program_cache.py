"""Each worker keeps the loaded program until a change bumps its revision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import delete, update

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.models import ProgramSetting, Rotation
from hotline.schemas.oncall import RotationIn
from hotline.services import program_cache
from hotline.services.oncall import create_rotation, load_program
from hotline.services.program_cache import REVISION_KEY
from tests.factories import add_rotation, add_user, arrive

STRANGER = "+12065550111"  # on no roster


def test_program_is_reused_until_a_change_and_reloaded_after(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    with session_scope(app) as session:
        first = load_program(session)
    with session_scope(app) as session:
        assert load_program(session) is first  # nothing changed: no reload
    data = RotationIn(
        name="Backup",
        tier=2,
        timezone="UTC",
        start="2026-01-01T08:00",
        shift_hours=24,
        participants=[ana.id],
    )
    with session_scope(app) as session:
        create_rotation(session, data, Actor(None, "system"), datetime.now(UTC))
    with session_scope(app) as session:
        after = load_program(session)
    assert after is not first and [r.tier for r in after.rotations] == [1, 2]


def test_without_a_revision_every_load_reads_the_database(app: Flask) -> None:
    add_rotation(app, 1, add_user(app, "Ana Diaz"))
    with session_scope(app) as session:
        session.execute(delete(ProgramSetting).where(ProgramSetting.key == REVISION_KEY))
    with session_scope(app) as session:
        first = load_program(session)
    with session_scope(app) as session:
        assert load_program(session) is not first


def test_a_hand_edit_reaches_the_cache_once_the_program_is_old(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    rotation = add_rotation(app, 1, add_user(app, "Ana Diaz"))
    clock = [1000.0]
    monkeypatch.setattr(program_cache, "monotonic", lambda: clock[0])
    with session_scope(app) as session:
        assert [r.tier for r in load_program(session).rotations] == [1]
    # An operator's SQL, outside the app: no revision bump.
    with session_scope(app) as session:
        session.execute(update(Rotation).where(Rotation.id == rotation.id).values(tier=2))
    clock[0] += program_cache.MAX_AGE_S - 1
    with session_scope(app) as session:
        assert [r.tier for r in load_program(session).rotations] == [1]  # still the kept one
    clock[0] += 1
    with session_scope(app) as session:
        assert [r.tier for r in load_program(session).rotations] == [2]


def test_a_new_phone_rings_at_the_next_call_though_phones_are_cached(app: Flask) -> None:
    from hotline.schemas.people import UserPatch
    from hotline.services.people import update_user

    def dialled(call_sid: str) -> list[str]:
        return [step["number"] for step in arrive(app, call_sid, STRANGER, now).chain]

    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    now = datetime.now(UTC)
    assert dialled("CA1") == [ana.phone]
    with session_scope(app) as session:
        patch = UserPatch(phone="+12065550188")
        update_user(session, ana.id, patch, Actor(None, "system"), now)
    assert dialled("CA2") == ["+12065550188"]


def test_a_kept_chain_hands_over_on_the_minute(app: Flask) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Ode")
    # Hourly shifts from 09:00 Los Angeles: Ana until 09:59:59, Ben from 10:00.
    add_rotation(app, 1, ana, ben, start=datetime(2026, 12, 4, 9), shift_hours=1)
    last_minute_of_ana = datetime(2026, 12, 4, 17, 59, 59, tzinfo=UTC)
    first_of_ben = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    dialled = []
    for sid, now in (
        ("CA1", last_minute_of_ana),
        ("CA2", first_of_ben),
        ("CA3", last_minute_of_ana),
    ):
        dialled.append(arrive(app, sid, STRANGER, now).chain[0]["number"])
    assert dialled == [ana.phone, ben.phone, ana.phone]
