"""Instants outside 1900–2200 are refused by name; a broken stored rotation stays local (§2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.db import session_scope
from hotline.models import Override, Rotation
from hotline.services.program_cache import bump_revision
from tests.api.conftest import Api, add_user, rotation_body
from tests.factories import add_rotation
from tests.factories import add_user as add_person

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


def override_body(user_id: int, **fields: Any) -> dict[str, Any]:
    """Return a valid override body for the next two hours."""
    start = datetime.now(UTC).replace(microsecond=0)
    body = {
        "user_id": user_id,
        "tier": 1,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
    }
    return {**body, **fields}


class TestInstantsOutsideTheYearsAreRefused:
    """Each instant or local start outside 1900–2200 is a 422 naming its field."""

    @pytest.mark.parametrize("start", ["9999-12-31T23:00", "0001-01-01T00:00", "1899-12-31T23:59"])
    def test_rotation_start(self, app: Flask, supervisor_api: Api, start: str) -> None:
        alice = add_user(app, name="Alice")
        answer = supervisor_api.post("/rotations", rotation_body([alice], start=start))
        assert answer.status_code == 422
        assert answer.json["error"]["field"] == "start"
        assert "1900" in answer.json["error"]["message"]
        assert supervisor_api.get("/rotations").json == {"items": []}

    def test_the_years_1900_and_2200_themselves_are_accepted(
        self, app: Flask, supervisor_api: Api
    ) -> None:
        alice = add_user(app, name="Alice")
        for start in ("1900-01-01T00:00", "2200-12-31T23:00"):
            answer = supervisor_api.post("/rotations", rotation_body([alice], start=start))
            assert (answer.status_code, answer.json["start"]) == (201, start)
        assert supervisor_api.get("/oncall").status_code == 200

    @pytest.mark.parametrize("field", ["start", "end"])
    def test_override_start_and_end(self, app: Flask, supervisor_api: Api, field: str) -> None:
        alice = add_user(app, name="Alice")
        for far in ("9999-12-31T23:00:00Z", "0001-01-01T00:00:00Z"):
            answer = supervisor_api.post("/overrides", override_body(alice, **{field: far}))
            assert (answer.status_code, answer.json["error"]["field"]) == (422, field)
        assert supervisor_api.get("/overrides").json == {"items": []}

    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/oncall?at=9999-12-31T23:30:00Z", "at"),
            ("/oncall?at=0001-01-01T00:00:00Z", "at"),
            ("/schedule?start=0001-01-01T00:00:00Z&end=0001-01-02T00:00:00Z", "start"),
            ("/schedule?start=2026-01-01T00:00:00Z&end=9999-01-02T00:00:00Z", "end"),
            ("/schedule?start=9999-12-30T00:00:00Z", "start"),
        ],
    )
    def test_queries(self, supervisor_api: Api, path: str, field: str) -> None:
        answer = supervisor_api.get(path)
        assert (answer.status_code, answer.json["error"]["field"]) == (422, field)


class TestAStoredBrokenRotationStaysLocal:
    """A rotation stored by hand with year 9999 or 1 is left out; the good one still answers."""

    @pytest.fixture
    def ana(self, app: Flask) -> int:
        ana = add_person(app, "Ana Diaz")
        bob = add_person(app, "Bob Broken")
        add_rotation(app, 1, ana)
        add_rotation(app, 1, bob, start=datetime(9999, 12, 31, 23), shift_hours=1)
        add_rotation(app, 2, bob, start=datetime(1, 1, 1, 0), shift_hours=1)
        return ana.id

    def test_oncall_schedule_and_feed_answer_with_the_good_rotation(
        self, app: Flask, client: FlaskClient, supervisor_api: Api, ana: int
    ) -> None:
        answer = supervisor_api.get("/oncall")
        assert answer.status_code == 200
        assert [(t["tier"], (t["user"] or {}).get("id")) for t in answer.json["tiers"]] == [
            (1, ana)
        ]
        assert len(answer.json["chain"]) == 1
        schedule = supervisor_api.get("/schedule")
        assert schedule.status_code == 200
        assert {s["user_id"] for s in schedule.json["segments"]} == {ana}
        feed = client.get(
            supervisor_api.get("/calendar").json["url"].removeprefix("http://localhost")
        )
        assert feed.status_code == 200 and b"Ana Diaz" in feed.data

    @pytest.mark.usefixtures("ana")
    def test_rotations_show_their_start_with_four_digits_and_why_they_are_broken(
        self, supervisor_api: Api
    ) -> None:
        items = supervisor_api.get("/rotations").json["items"]
        assert [(r["start"], r["broken"] is None) for r in items] == [
            ("2020-01-06T08:00", True),
            ("9999-12-31T23:00", False),
            ("0001-01-01T00:00", False),
        ]
        assert "1900" in items[2]["broken"]
        # Fixing the year through the API makes it whole again.
        body = {k: items[2][k] for k in ("name", "tier", "timezone", "shift_hours", "participants")}
        refused = supervisor_api.put(
            f"/rotations/{items[2]['id']}", {**body, "start": items[2]["start"]}
        )
        assert (refused.status_code, refused.json["error"]["field"]) == (422, "start")
        fixed = supervisor_api.put(
            f"/rotations/{items[2]['id']}", {**body, "start": "2026-01-01T00:00"}
        )
        assert (fixed.status_code, fixed.json["broken"]) == (200, None)
        assert [t["tier"] for t in supervisor_api.get("/oncall").json["tiers"]] == [1, 2]


@pytest.mark.parametrize("zone", ["US", "America", "Etc"])
def test_a_stored_rotation_whose_zone_is_a_region_not_a_zone_is_left_out(
    app: Flask, client: FlaskClient, supervisor_api: Api, zone: str
) -> None:
    # "US" or "America" typed by hand: a folder of the zone database, not a zone.
    ana, bob = add_person(app, "Ana Diaz"), add_person(app, "Bob Broken")
    good, broken = add_rotation(app, 1, ana), add_rotation(app, 1, bob)
    with session_scope(app) as session:
        session.get_one(Rotation, broken.id).timezone = zone
        bump_revision(session)
    answer = supervisor_api.get("/oncall")
    assert answer.status_code == 200
    assert [(t["tier"], t["user"]["id"]) for t in answer.json["tiers"]] == [(1, ana.id)]
    assert supervisor_api.get("/schedule").status_code == 200
    items = {r["id"]: r for r in supervisor_api.get("/rotations").json["items"]}
    assert items[broken.id]["broken"] == f"No time zone found with key {zone}"
    assert items[good.id]["broken"] is None


def test_a_stored_override_in_year_9999_is_left_out(app: Flask, supervisor_api: Api) -> None:
    ana, bob = add_person(app, "Ana Diaz"), add_person(app, "Bob Broken")
    add_rotation(app, 1, ana)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        for start, end in (
            (now, datetime(9999, 12, 31, 23, tzinfo=UTC)),
            (datetime(1, 1, 1, tzinfo=UTC), now + timedelta(days=1)),
        ):
            session.add(Override(user_id=bob.id, tier=1, start=start, end=end, created_at=now))
        bump_revision(session)
    answer = supervisor_api.get("/oncall")
    assert answer.status_code == 200
    assert answer.json["tiers"][0]["user"]["id"] == ana.id
    assert {s["user_id"] for s in supervisor_api.get("/schedule").json["segments"]} == {ana.id}


class TestRotationTimeZoneDefault:
    """A rotation created without `timezone` takes HOTLINE_TIMEZONE (SPEC §2)."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "HOTLINE_TIMEZONE": "America/New_York"}

    def test_absent_timezone_is_the_program_zone(self, app: Flask, supervisor_api: Api) -> None:
        alice = add_user(app, name="Alice")
        body = rotation_body([alice])
        del body["timezone"]
        created = supervisor_api.post("/rotations", body)
        assert (created.status_code, created.json["timezone"]) == (201, "America/New_York")
        replaced = supervisor_api.put(f"/rotations/{created.json['id']}", body)
        assert (replaced.status_code, replaced.json["timezone"]) == (200, "America/New_York")

    def test_a_given_timezone_still_wins_and_a_bad_one_is_named(
        self, app: Flask, supervisor_api: Api
    ) -> None:
        alice = add_user(app, name="Alice")
        created = supervisor_api.post("/rotations", rotation_body([alice], timezone="Europe/Paris"))
        assert created.json["timezone"] == "Europe/Paris"
        bad = supervisor_api.post("/rotations", rotation_body([alice], timezone=""))
        assert (bad.status_code, bad.json["error"]["field"]) == (422, "timezone")

    def test_the_hosts_own_localtime_is_no_iana_zone_and_is_refused(
        self, app: Flask, supervisor_api: Api
    ) -> None:
        # tzdata's "localtime" is the host's /etc/localtime: two hosts set apart would each
        # hand the shifts over at their own hour and page different people.
        alice = add_user(app, name="Alice")
        bad = supervisor_api.post("/rotations", rotation_body([alice], timezone="localtime"))
        assert (bad.status_code, bad.json["error"]["field"]) == (422, "timezone")
        assert supervisor_api.get("/rotations").json == {"items": []}


def test_a_hand_edited_window_is_named_not_a_500(app: Flask, supervisor_api: Api) -> None:
    ana = add_person(app, "Ana Diaz")
    rotation = add_rotation(app, 1, ana)
    with session_scope(app) as session:
        row = session.get_one(Rotation, rotation.id)
        row.windows = [{"days": ["mon"], "start": "08:00", "end": "17:00"}, {"days": "mon"}, "x"]
        bump_revision(session)
    answer = supervisor_api.get(f"/rotations/{rotation.id}")
    assert answer.status_code == 200
    assert answer.json["windows"] == [{"days": ["mon"], "start": "08:00", "end": "17:00"}]
    assert "window" in answer.json["broken"]
    assert supervisor_api.get("/oncall").json["tiers"] == []


@pytest.mark.parametrize("path", ["/referrals", "/messages", "/calls"])
def test_since_outside_the_years_is_422(supervisor_api: Api, path: str) -> None:
    answer = supervisor_api.get(f"{path}?since=0001-01-01T00:00:00Z")
    assert (answer.status_code, answer.json["error"]["field"]) == (422, "since")
    assert supervisor_api.get(f"{path}?since=1970-01-01T00:00:00Z").status_code == 200


def test_an_override_typed_at_the_last_hour_of_2200_is_not_broken(
    app: Flask, supervisor_api: Api
) -> None:
    alice = add_user(app, name="Alice")
    body = override_body(alice, start="2200-12-31T20:00:00-08:00", end="2200-12-31T23:00:00-08:00")
    created = supervisor_api.post("/overrides", body)
    assert created.status_code == 201
    assert created.json["end"] == "2201-01-01T07:00:00Z"
    answer = supervisor_api.get("/oncall?at=2200-12-31T22:00:00-08:00").json
    assert answer["tiers"][0]["user"]["id"] == alice


@pytest.mark.parametrize("written", ["20261210", "1765324800"])
@pytest.mark.parametrize("field", ["start", "end"])
def test_an_override_timed_by_a_number_is_422_not_an_override_in_1970(
    app: Flask, supervisor_api: Api, field: str, written: str
) -> None:
    # A number in a JSON string was read as seconds since 1970 and saved, answered 201.
    alice = add_user(app, name="Alice")
    answer = supervisor_api.post("/overrides", override_body(alice, **{field: written}))
    assert (answer.status_code, answer.json["error"]["field"]) == (422, field)
    assert supervisor_api.get("/overrides").json == {"items": []}
