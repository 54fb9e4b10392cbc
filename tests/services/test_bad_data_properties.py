"""Random uncomputable rows stored beside a good rotation never stop it being computed (§2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import Override, Rotation, RotationParticipant, User
from hotline.rotation.bounds import EARLIEST_STORED, LATEST_STORED
from hotline.services.escalation import first_recipients
from hotline.services.oncall import schedule_segments, who_is_on_call
from hotline.services.program_cache import bump_revision
from tests.factories import add_rotation, add_user

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)
FAR_YEARS = st.one_of(st.integers(1, 1899), st.integers(2201, 9999))
FAR_LOCAL = st.builds(
    lambda year, day, minute: datetime(year, 1, 1) + timedelta(days=day, minutes=minute),
    FAR_YEARS.filter(lambda y: y < 9999),
    st.integers(0, 364),
    st.integers(0, 1439),
) | st.sampled_from([datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59)])
# A stored instant gets a day of slack past the years (a far-west offset at the edge):
# a broken one lies beyond it.
FAR_INSTANT = FAR_LOCAL.map(lambda value: value.replace(tzinfo=UTC)).filter(
    lambda instant: not EARLIEST_STORED <= instant <= LATEST_STORED
)
NEAR_INSTANT = st.integers(-72, 72).map(lambda hours: NOW + timedelta(hours=hours))


@st.composite
def broken_rotations(draw: st.DrawFn) -> dict[str, Any]:
    """Return the fields of a rotation the engine cannot compute, for one reason or several."""
    fields: dict[str, Any] = {
        "tier": draw(st.integers(1, 3)),
        "priority": 1000,  # would beat the good rotation if it were computed
        "timezone": draw(st.sampled_from(["America/Los_Angeles", "UTC", "Pacific/Kiritimati"])),
        "start_local": draw(FAR_LOCAL),
        "shift_hours": draw(st.sampled_from([1, 24, 8760])),
        "windows": [],
    }
    spoil = draw(st.sampled_from(["year", "zone", "shift", "window"]))
    if spoil != "year":
        fields["start_local"] = datetime(2027, 5, 1, 8)
    if spoil == "zone":
        fields["timezone"] = draw(st.sampled_from(["Mars/Olympus", "", "../etc/passwd"]))
    elif spoil == "shift":
        fields["shift_hours"] = draw(st.sampled_from([0, -24, 8761, 10**9]))
    elif spoil == "window":
        fields["windows"] = [draw(st.sampled_from([{"days": []}, {"days": ["mon"]}, "x"]))]
    return fields


@st.composite
def broken_overrides(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """Return the start and end of an override the engine cannot compute."""
    kind = draw(st.sampled_from(["far start", "far end", "both far", "backwards"]))
    if kind == "backwards":
        end = draw(NEAR_INSTANT)
        return end + timedelta(hours=draw(st.integers(0, 5))), end
    start = draw(FAR_INSTANT) if kind != "far end" else draw(NEAR_INSTANT)
    end = draw(FAR_INSTANT) if kind != "far start" else draw(NEAR_INSTANT)
    return start, end


def store(app: Flask, user: User, rotations: list[dict[str, Any]], overrides: list[Any]) -> None:
    """Write the rows straight to the database, as an older version or a hand edit would."""
    with session_scope(app) as session:
        for fields in rotations:
            participant = RotationParticipant(position=0, user_id=user.id)
            session.add(
                Rotation(
                    name="Broken",
                    created_at=NOW,
                    updated_at=NOW,
                    participants=[participant],
                    **fields,
                )
            )
        for start, end in overrides:
            session.add(Override(user_id=user.id, tier=1, start=start, end=end, created_at=NOW))
        bump_revision(session)


def forget(app: Flask) -> None:
    """Remove every rotation and override, for the next example to start afresh."""
    with session_scope(app) as session:
        session.execute(delete(Override))
        session.execute(delete(RotationParticipant))
        session.execute(delete(Rotation))
        bump_revision(session)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rotations=st.lists(broken_rotations(), max_size=3),
    overrides=st.lists(broken_overrides(), max_size=3),
)
def test_the_good_rotation_is_computed_whatever_else_is_stored(
    app: Flask, rotations: list[dict[str, Any]], overrides: list[Any]
) -> None:
    ana, bob = users(app)
    add_rotation(app, 1, ana, start=datetime(2027, 1, 4, 8), shift_hours=24)
    store(app, bob, rotations, overrides)
    try:
        with session_scope(app) as session:
            answer = who_is_on_call(session, NOW, [])
            assert [(t["tier"], t["user"]["id"]) for t in answer["tiers"]] == [(1, ana.id)]
            assert answer["chain"] == [ana.phone]
            segments = schedule_segments(session, NOW, NOW + timedelta(days=3), None)
            assert [(s.tier, s.user_id, s.source) for s in segments] == [(1, ana.id, "rotation")]
            assert [r.id for r in first_recipients(session, NOW)] == [ana.id]
        for job in ("shift-notices", "coverage-gaps", "escalate-unacked"):
            run_job(app, job, NOW)
    finally:
        forget(app)


_people: dict[int, tuple[User, User]] = {}


def users(app: Flask) -> tuple[User, User]:
    """Return Ana (on the good rotation) and Bob (on every broken row), added once per app."""
    if id(app) not in _people:
        _people[id(app)] = (add_user(app, "Ana Diaz"), add_user(app, "Bob Broken"))
    return _people[id(app)]
