"""Supervisors hear once of each tier-1 gap in the next two weeks, right after a change too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import GapNotice, Override, Rotation, User
from hotline.services.notices import LONG_AGO
from hotline.services.program_cache import bump_revision
from hotline.simulator import SmsEmulator, flask_poster
from tests.api.conftest import Api, rotation_body
from tests.factories import add_override, add_rotation, add_user
from tests.jobs.conftest import run, texts_to

NOW = datetime(2026, 5, 4, 12, tzinfo=UTC)  # a Monday


def weekday_rotation(app: Flask, *people: object) -> None:
    """Put people on tier 1 only Monday to Friday, 09:00 to 17:00 Los Angeles time."""
    add_rotation(app, 1, *people, start=datetime(2026, 5, 4, 9), shift_hours=24)  # type: ignore[arg-type]
    with session_scope(app) as session:
        rotation = session.scalars(select(Rotation)).one()
        rotation.windows = [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
        ]


def test_new_gaps_are_announced_once_in_one_text(app: Flask) -> None:
    ana, sue = add_user(app, "Ana Diaz"), add_user(app, "Sue Pervis", "supervisor")
    weekday_rotation(app, ana)
    assert run(app, "coverage-gaps", NOW) == "11 new tier-1 gaps announced"
    (text,) = texts_to(app, sue.phone)
    assert text.startswith(
        "LEAD coverage gap: nobody on tier 1 Mon 05/04 05:00 to Mon 05/04 09:00; "
    )
    assert "and 8 more." in text
    assert run(app, "coverage-gaps", NOW) == "0 new tier-1 gaps announced"
    assert (
        run(app, "coverage-gaps", NOW + timedelta(days=1)) == "1 new tier-1 gaps announced"
    )  # a day further
    assert len(texts_to(app, sue.phone)) == 2
    assert texts_to(app, ana.phone) == []  # supervisors only


def test_a_covered_program_announces_nothing(app: Flask) -> None:
    ana, sue = add_user(app, "Ana Diaz"), add_user(app, "Sue Pervis", "supervisor")
    add_rotation(app, 1, ana)
    assert run(app, "coverage-gaps", NOW) == "0 new tier-1 gaps announced"
    assert texts_to(app, sue.phone) == []


def supervisor_phone(app: Flask) -> str:
    """Return the phone of the API's supervisor (the only one in these tests)."""
    with session_scope(app) as session:
        return session.scalars(select(User.phone).where(User.role == "supervisor")).one()


def test_a_change_through_the_api_announces_the_hole_at_once(
    app: Flask, supervisor_api: Api
) -> None:
    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    ben = add_user(app, "Ben Okafor", active=False)
    end = start + timedelta(hours=6)
    override = {"user_id": ben.id, "tier": 1, "start": start.isoformat(), "end": end.isoformat()}
    assert supervisor_api.post("/overrides", override).status_code == 201  # inactive: no hole
    assert texts_to(app, supervisor_phone(app)) == []
    mondays = [{"days": ["mon"], "start": "09:00", "end": "10:00"}]
    changed = supervisor_api.put("/rotations/1", rotation_body([ana.id], windows=mondays))
    assert changed.status_code == 200, changed.json
    texts = texts_to(app, supervisor_phone(app))
    assert len(texts) == 1 and texts[0].startswith("LEAD coverage gap: nobody on tier 1")
    supervisor_api.post("/overrides", override)  # another change: known holes are not repeated
    assert len(texts_to(app, supervisor_phone(app))) == 1


def test_deactivating_the_person_on_call_opens_a_gap(app: Flask, supervisor_api: Api) -> None:
    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    assert run(app, "coverage-gaps", datetime.now(UTC)) == "0 new tier-1 gaps announced"
    supervisor_api.patch(f"/users/{ana.id}", {"active": False})
    assert texts_to(app, supervisor_phone(app))[0].startswith("LEAD coverage gap")


def test_a_second_gap_reaching_past_the_look_back_is_announced_too(
    app: Flask, supervisor_api: Api
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    ana = add_user(app, "Ana Diaz")
    start = (now - timedelta(days=37)).strftime("%Y-%m-%dT08:00")
    created = supervisor_api.post("/rotations", rotation_body([ana.id], start=start))
    assert created.status_code == 201
    # Before the rotation began, nobody was on call as far back as the job looks.
    assert run(app, "coverage-gaps", now - timedelta(days=40)) == "1 new tier-1 gaps announced"
    assert run(app, "coverage-gaps", now - timedelta(days=1)) == "0 new tier-1 gaps announced"
    told = len(texts_to(app, supervisor_phone(app)))
    assert supervisor_api.patch(f"/users/{ana.id}", {"active": False}).status_code == 200
    assert supervisor_api.get("/oncall").json["tiers"][0]["user"] is None
    texts = texts_to(app, supervisor_phone(app))
    assert len(texts) == told + 1
    assert texts[-1].startswith("LEAD coverage gap: nobody on tier 1")


def test_take_by_text_announces_at_once_the_gap_left_after_it(
    app: Flask, client: FlaskClient
) -> None:
    ana = add_user(app, "Ana Diaz")
    sue = add_user(app, "Sue Pervis", "supervisor")
    in_three_days = datetime.now(ZoneInfo("America/Los_Angeles")).replace(tzinfo=None)
    in_three_days += timedelta(days=3)
    add_rotation(
        app, 1, ana, start=in_three_days.replace(hour=8, minute=0, second=0, microsecond=0)
    )
    assert run(app, "coverage-gaps", datetime.now(UTC)) == "1 new tier-1 gaps announced"
    phone = SmsEmulator(flask_poster(client), "test-token", "http://localhost", "+12065550100")
    taken = phone.send(ana.phone, "TAKE 4h")  # the gap now starts four hours on: a new one
    assert taken.status == 200 and taken.replies[-1].startswith("You are on call for tier 1")
    assert len(texts_to(app, sue.phone)) == 2


def test_a_gap_reaching_past_the_two_weeks_is_said_to_end_when_it_ends(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz")
    ben = add_user(app, "Ben Okafor", active=False)
    sue = add_user(app, "Sue Pervis", "supervisor")
    # Ten-day turns from Fri 05/01 08:00: Ana, then Ben, inactive: a gap Mon 05/11 08:00 to
    # Thu 05/21 08:00, past the two weeks a run on Mon 05/04 looks at.
    add_rotation(app, 1, ana, ben, start=datetime(2026, 5, 1, 8), shift_hours=240)
    assert run(app, "coverage-gaps", datetime(2026, 5, 4, 12, tzinfo=UTC)).startswith("1 new")
    (text,) = texts_to(app, sue.phone)
    assert "Mon 05/11 08:00 to Thu 05/21 08:00" in text, text


def test_a_gap_nobody_is_scheduled_to_close_is_not_said_to_end_in_two_weeks(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz", active=False)
    sue = add_user(app, "Sue Pervis", "supervisor")
    add_rotation(app, 1, ana)  # her only turn, for good: nobody on tier 1 from now on
    assert run(app, "coverage-gaps", NOW).startswith("1 new")
    (text,) = texts_to(app, sue.phone)
    assert "Mon 05/18" not in text, text  # the end of the two weeks looked at, not of the gap
    assert "nobody on tier 1 Mon 05/04 05:00 until further notice." in text, text


def test_a_gap_covered_then_uncovered_again_is_announced_again(
    app: Flask, supervisor_api: Api
) -> None:
    ana = add_user(app, "Ana Diaz")
    mondays = [{"days": ["mon"], "start": "09:00", "end": "10:00"}]
    assert (
        supervisor_api.post("/rotations", rotation_body([ana.id], windows=mondays)).status_code
        == 201
    )
    told = len(texts_to(app, supervisor_phone(app)))
    assert told == 1  # the holes between Mondays' hours
    now = datetime.now(UTC).replace(microsecond=0)
    cover = {
        "user_id": ana.id,
        "tier": 1,
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": (now + timedelta(days=30)).isoformat(),
    }
    covering = supervisor_api.post("/overrides", cover)
    assert covering.status_code == 201
    assert len(texts_to(app, supervisor_phone(app))) == told  # covered: nothing to say
    # The cover is taken back: the same holes are open again, and supervisors who were
    # last told nothing of them (they were covered) must hear of them again.
    assert supervisor_api.delete(f"/overrides/{covering.json['id']}").status_code == 204
    texts = texts_to(app, supervisor_phone(app))
    assert len(texts) == told + 1
    assert texts[-1].startswith("LEAD coverage gap: nobody on tier 1")


def test_a_gap_starting_exactly_fourteen_days_on_waits_for_the_next_run(app: Flask) -> None:
    # SPEC §7: "tier-1 gaps starting in the next 14 days" - the window is half-open.
    ana, sue = add_user(app, "Ana Diaz"), add_user(app, "Sue Pervis", "supervisor")
    add_override(app, ana, 1, NOW - timedelta(days=1), NOW + timedelta(days=14))
    assert run(app, "coverage-gaps", NOW) == "0 new tier-1 gaps announced"
    assert texts_to(app, sue.phone) == []
    later = NOW + timedelta(seconds=1)
    assert run(app, "coverage-gaps", later) == "1 new tier-1 gaps announced"
    (text,) = texts_to(app, sue.phone)
    assert "nobody on tier 1 Mon 05/18 05:00 until further notice." in text, text


def test_a_run_by_hand_as_of_the_past_keeps_the_gaps_announced_since(
    app: Flask, runner: FlaskCliRunner
) -> None:
    # A run `--at` the past saw none of the later gaps: it took them for closed and forgot
    # them, so the next daily run texted supervisors again about a gap they knew of.
    ana, sue = add_user(app, "Ana Diaz"), add_user(app, "Sue Pervis", "supervisor")
    add_override(app, ana, 1, NOW - timedelta(days=30), NOW + timedelta(days=5))
    assert run(app, "coverage-gaps", NOW) == "1 new tier-1 gaps announced"
    past = (NOW - timedelta(days=20)).isoformat()
    by_hand = runner.invoke(args=["jobs", "run", "coverage-gaps", "--at", past])
    assert by_hand.output == "coverage-gaps: 0 new tier-1 gaps announced\n", by_hand.output
    assert run(app, "coverage-gaps", NOW + timedelta(days=1)) == "0 new tier-1 gaps announced"
    assert len(texts_to(app, sue.phone)) == 1
    # Still remembered: covered later, the gap is forgotten and news again when reopened.
    cover = add_override(app, ana, 1, NOW + timedelta(days=5), NOW + timedelta(days=40))
    assert run(app, "coverage-gaps", NOW + timedelta(days=2)) == "0 new tier-1 gaps announced"
    with session_scope(app) as session:
        session.delete(session.get_one(Override, cover.id))
        bump_revision(session)  # as every change through the app does
    assert run(app, "coverage-gaps", NOW + timedelta(days=3)) == "1 new tier-1 gaps announced"
    assert len(texts_to(app, sue.phone)) == 2


def test_a_gap_still_open_a_year_on_is_not_announced_again(app: Flask) -> None:
    # SPEC §7: a gap is known by its tier and start instant. The job looks back a year
    # (366 days) for the start of a gap under way: one that began inside the look and
    # was announced then used to be taken for a new gap once its start fell out of it.
    ana, sue = add_user(app, "Ana Diaz"), add_user(app, "Sue Pervis", "supervisor")
    add_override(app, ana, 1, NOW - timedelta(days=30), NOW + timedelta(days=1))
    assert run(app, "coverage-gaps", NOW) == "1 new tier-1 gaps announced"
    for days in range(360, 372):  # the daily runs around the gap's first anniversary
        assert run(app, "coverage-gaps", NOW + timedelta(days=days)).startswith("0 new"), days
    (text,) = texts_to(app, sue.phone)
    assert "nobody on tier 1 Tue 05/05 05:00 until further notice." in text, text


def test_a_gap_told_of_under_the_old_stand_in_start_is_not_announced_again(app: Flask) -> None:
    # Before, a gap begun more than the look-back ago was keyed 1970-01-01 (LONG_AGO); now
    # by its true start. A gap announced so must not be announced again after an upgrade.
    ana, sue = add_user(app, "Ana Diaz"), add_user(app, "Sue Pervis", "supervisor")
    add_override(app, ana, 1, NOW - timedelta(days=800), NOW - timedelta(days=400))
    with session_scope(app) as session:
        told = NOW - timedelta(days=1)
        session.add(GapNotice(tier=1, start=LONG_AGO, announced_at=told))
    assert run(app, "coverage-gaps", NOW) == "0 new tier-1 gaps announced"
    assert run(app, "coverage-gaps", NOW + timedelta(days=1)) == "0 new tier-1 gaps announced"
    assert texts_to(app, sue.phone) == []
