"""Rotations, overrides, on-call and schedule through the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.models import AuditEvent, Rotation, RotationParticipant
from hotline.services import oncall
from hotline.services.errors import NotFound
from tests.api.conftest import Api, add_user, rotation_body
from tests.conftest import is_sqlite
from tests.races import HOLD_S, Meanwhile

SQLITE_HOLD_S = 0.1


class TestRotations:
    """Supervisors manage rotations; every bad input names its field."""

    def test_create_show_replace_delete_round_trip(self, app: Flask, supervisor_api: Api) -> None:
        alice, bob = add_user(app, name="Alice"), add_user(app, name="Bob")
        windows = [{"days": ["fri", "sat"], "start": "22:00", "end": "06:00"}]
        created = supervisor_api.post(
            "/rotations", rotation_body([alice, bob, alice], windows=windows)
        )
        assert created.status_code == 201
        rotation = created.json
        assert rotation["participants"] == [alice, bob, alice]
        assert rotation["start"] == "2026-03-01T08:00"
        assert rotation["windows"] == windows
        shown = supervisor_api.get(f"/rotations/{rotation['id']}").json
        assert shown["id"] == rotation["id"] and shown["priority"] == 0
        replaced = supervisor_api.put(f"/rotations/{rotation['id']}", rotation_body([bob], tier=2))
        assert replaced.status_code == 200
        assert replaced.json["participants"] == [bob] and replaced.json["windows"] == []
        assert supervisor_api.delete(f"/rotations/{rotation['id']}").status_code == 204
        assert supervisor_api.get(f"/rotations/{rotation['id']}").status_code == 404
        assert supervisor_api.get("/rotations").json == {"items": []}

    def test_bad_fields_are_422_naming_the_field(self, app: Flask, supervisor_api: Api) -> None:
        alice = add_user(app, name="Alice")
        cases = {
            "timezone": {"timezone": "Mars/Olympus"},
            "shift_hours": {"shift_hours": 0},
            "start": {"start": "2026-02-30T08:00"},
            "participants": {"participants": []},
            "participants.1": {"participants": [alice, 999]},
            "tier": {"tier": "1"},
            "windows.0.days.0": {
                "windows": [{"days": ["someday"], "start": "08:00", "end": "09:00"}]
            },
            "windows.0.end": {"windows": [{"days": ["mon"], "start": "08:00", "end": "25:00"}]},
            "color": {"color": "red"},
        }
        for field, change in cases.items():
            answer = supervisor_api.post("/rotations", {**rotation_body([alice]), **change})
            assert answer.status_code == 422, field
            assert answer.json["error"]["field"] == field
        assert supervisor_api.get("/rotations").json == {"items": []}

    def test_coordinators_read_but_do_not_write(self, app: Flask, coordinator_api: Api) -> None:
        alice = add_user(app, name="Alice")
        answer = coordinator_api.post("/rotations", rotation_body([alice]))
        assert answer.status_code == 403
        assert answer.json["error"]["code"] == "forbidden"
        assert coordinator_api.get("/rotations").status_code == 200

    def test_missing_or_wrong_token_is_401(self, client) -> None:  # type: ignore[no-untyped-def]
        assert Api(client, None).get("/rotations").status_code == 401
        assert Api(client, "not-a-token").get("/oncall").status_code == 401


class TestOverridesAndOnCall:
    """Overrides beat rotations; oncall and schedule agree."""

    def test_override_puts_its_user_on_call_and_schedule_shows_it(
        self, app: Flask, supervisor_api: Api
    ) -> None:
        alice, bob, carol = (add_user(app, name=n) for n in ("Alice", "Bob", "Carol"))
        supervisor_api.post("/rotations", rotation_body([alice, bob]))
        override = supervisor_api.post(
            "/overrides",
            {
                "user_id": carol,
                "tier": 1,
                "start": "2026-03-09T00:00:00Z",
                "end": "2026-03-09T06:00:00Z",
            },
        )
        assert override.status_code == 201
        during = supervisor_api.get("/oncall?at=2026-03-09T01:00:00Z").json
        assert during["tiers"][0]["user"]["id"] == carol
        assert during["tiers"][0]["source"] == "override"
        assert during["tiers"][0]["until"] == "2026-03-09T06:00:00Z"
        after = supervisor_api.get("/oncall?at=2026-03-09T07:00:00%2B00:00").json
        # 8 March was the DST change: the 08:00 hand-off is now 15:00 UTC.
        assert after["tiers"][0]["until"] == "2026-03-09T15:00:00Z"
        schedule = supervisor_api.get(
            "/schedule?start=2026-03-08T00:00:00Z&end=2026-03-10T00:00:00Z"
        ).json
        assert [(s["user_id"], s["source"], s["start"]) for s in schedule["segments"]] == [
            (alice, "rotation", "2026-03-08T00:00:00Z"),
            (bob, "rotation", "2026-03-08T15:00:00Z"),
            (carol, "override", "2026-03-09T00:00:00Z"),
            (bob, "rotation", "2026-03-09T06:00:00Z"),
            (alice, "rotation", "2026-03-09T15:00:00Z"),
        ]

    def test_schedule_marks_gaps_and_chain_ends_with_fallback_numbers(
        self, app: Flask, supervisor_api: Api
    ) -> None:
        app.config["HOTLINE_FALLBACK_NUMBERS"] = ["+12065550199"]
        alice = add_user(app, name="Alice")
        windows = [{"days": ["mon"], "start": "09:00", "end": "17:00"}]
        supervisor_api.post("/rotations", rotation_body([alice], windows=windows))
        monday_noon = "2026-03-09T19:00:00Z"
        answer = supervisor_api.get(f"/oncall?at={monday_noon}").json
        assert answer["chain"][-1] == "+12065550199" and len(answer["chain"]) == 2
        segments = supervisor_api.get(
            "/schedule?start=2026-03-09T00:00:00Z&end=2026-03-10T00:00:00Z"
        ).json["segments"]
        assert [(s["user_id"], s["start"], s["end"]) for s in segments] == [
            (None, "2026-03-09T00:00:00Z", "2026-03-09T16:00:00Z"),
            (alice, "2026-03-09T16:00:00Z", "2026-03-10T00:00:00Z"),
        ]
        assert segments[0]["source"] is None

    def test_override_bad_inputs(self, app: Flask, supervisor_api: Api) -> None:
        alice = add_user(app, name="Alice")
        good = {
            "user_id": alice,
            "tier": 1,
            "start": "2026-03-09T00:00:00Z",
            "end": "2026-03-09T06:00:00Z",
        }
        cases = {
            "end": {"end": "2026-03-08T00:00:00Z"},
            "user_id": {"user_id": 4242},
            "start": {"start": "2026-03-09T00:00:00"},  # no offset
        }
        for field, change in cases.items():
            answer = supervisor_api.post("/overrides", {**good, **change})
            assert (answer.status_code, answer.json["error"]["field"]) == (422, field)
        assert supervisor_api.delete("/overrides/77").status_code == 404

    def test_bad_queries_are_400(self, supervisor_api: Api) -> None:
        assert supervisor_api.get("/oncall?at=yesterday").json["error"]["field"] == "at"
        answer = supervisor_api.get("/schedule?start=2026-01-01T00:00:00Z&end=2027-06-01T00:00:00Z")
        assert (answer.status_code, answer.json["error"]["field"]) == (400, "end")
        assert supervisor_api.get("/schedule?tier=x").status_code == 400


def test_chain_lists_a_fallback_number_once_when_a_person_has_it(
    app: Flask, supervisor_api: Api
) -> None:
    alice = add_user(app, name="Alice")
    supervisor_api.post("/rotations", rotation_body([alice]))
    phone = supervisor_api.get(f"/users/{alice}").json["phone"]
    app.config["HOTLINE_FALLBACK_NUMBERS"] = [phone, "+12065550199"]
    chain = supervisor_api.get("/oncall?at=2026-03-09T19:00:00Z").json["chain"]
    assert chain == [phone, "+12065550199"]  # as the voice chain dials it: each number once


def test_a_rotation_read_and_put_back_with_a_change_is_replaced(
    app: Flask, supervisor_api: Api
) -> None:
    user = add_user(app, "coordinator", "Cat")
    rotation = supervisor_api.post("/rotations", rotation_body([user])).json
    answer = supervisor_api.put(f"/rotations/{rotation['id']}", {**rotation, "name": "Renamed"})
    assert answer.status_code == 200, answer.json  # its id, times and `broken` are its own
    assert supervisor_api.get(f"/rotations/{rotation['id']}").json["name"] == "Renamed"
    unknown = supervisor_api.put(f"/rotations/{rotation['id']}", {**rotation, "colour": "red"})
    assert unknown.status_code == 422 and unknown.json["error"]["field"] == "colour"


def test_a_put_with_if_match_of_a_version_changed_since_is_refused_and_changes_nothing(
    app: Flask, supervisor_api: Api
) -> None:
    cat, dan = add_user(app, "coordinator", "Cat"), add_user(app, "coordinator", "Dan")
    created = supervisor_api.post("/rotations", rotation_body([cat]))
    rotation, read_version = created.json, created.headers["ETag"]
    path = f"/rotations/{rotation['id']}"
    assert supervisor_api.get(path).headers["ETag"] == read_version
    # Another supervisor's script saves a change after this one read the rotation.
    theirs = supervisor_api.put(path, {**rotation, "name": "Theirs", "participants": [dan]})
    assert theirs.status_code == 200 and theirs.headers["ETag"] != read_version
    stale = supervisor_api.put(
        path, {**rotation, "name": "Mine"}, headers={"If-Match": read_version}
    )
    assert stale.status_code == 412, stale.json
    assert stale.json["error"]["code"] == "precondition_failed"
    assert stale.json["error"]["field"] == "If-Match"
    assert supervisor_api.get(path).json["name"] == "Theirs"  # their change stands
    current = supervisor_api.get(path).headers["ETag"]
    mine = supervisor_api.put(path, {**rotation, "name": "Mine"}, headers={"If-Match": current})
    assert mine.status_code == 200 and supervisor_api.get(path).json["name"] == "Mine"
    # Without If-Match (or with *) a PUT replaces the rotation as it stands, as before.
    unconditional = supervisor_api.put(path, {**rotation, "name": "Last"})
    assert unconditional.status_code == 200
    starred = supervisor_api.put(path, {**rotation, "name": "Any"}, headers={"If-Match": "*"})
    assert starred.status_code == 200 and supervisor_api.get(path).json["name"] == "Any"


@pytest.mark.parametrize("tag", ['"0001-01-01T00:00:00+14:00"', '"9999-12-31T23:59:59-14:00"'])
def test_a_put_whose_if_match_names_an_instant_past_the_calendar_is_a_412_not_a_500(
    app: Flask, supervisor_api: Api, tag: str
) -> None:
    cat = add_user(app, "coordinator", "Cat")
    rotation = supervisor_api.post("/rotations", rotation_body([cat])).json
    path = f"/rotations/{rotation['id']}"
    # A script's stale or garbled ETag that reads as a date no UTC instant can hold.
    answer = supervisor_api.put(path, {**rotation, "name": "Mine"}, headers={"If-Match": tag})
    assert answer.status_code == 412, answer.get_data(as_text=True)
    assert answer.json["error"]["field"] == "If-Match"
    assert supervisor_api.get(path).json["name"] == rotation["name"]


def delete_meanwhile(
    app: Flask,
    row_id: int,
    answers: list[str],
    remove: Callable[..., None] = oncall.delete_rotation,
) -> Meanwhile:
    """Return another supervisor's DELETE of the row (a rotation), started at a critical point."""

    def delete() -> None:
        with session_scope(app) as session:
            try:
                remove(session, row_id, Actor(None, "api"), datetime.now(UTC))
                answers.append("deleted")
            except NotFound:
                answers.append("not found")

    # On SQLite the DELETE waits for the write lock at once, within its 1 s busy timeout:
    # a short hold leaves most of that second for the first request to commit under load.
    sqlite = is_sqlite(app.config["DATABASE_URL"])
    return Meanwhile(delete, hold=SQLITE_HOLD_S if sqlite else HOLD_S)


def rotation_rows(app: Flask) -> tuple[int, int, int]:
    """Return how many rotations, participant rows and rotation deletions are stored."""
    with session_scope(app) as session:
        count = session.scalar(select(func.count()).select_from(Rotation)) or 0
        people = session.scalar(select(func.count()).select_from(RotationParticipant)) or 0
        deletions = select(func.count()).where(
            AuditEvent.entity == "rotation", AuditEvent.action == "delete"
        )
        return count, people, session.scalar(deletions) or 0


def test_a_put_meeting_a_delete_of_the_same_rotation_is_never_a_500(
    app: Flask, supervisor_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = add_user(app, name="Alice"), add_user(app, name="Bob")
    rotation_id = supervisor_api.post("/rotations", rotation_body([alice])).json["id"]
    answers: list[str] = []
    meanwhile = delete_meanwhile(app, rotation_id, answers)
    meanwhile.at(monkeypatch, oncall, "rotation_fields")  # the PUT has read the rotation
    answer = supervisor_api.put(f"/rotations/{rotation_id}", rotation_body([bob]))
    meanwhile.join()
    assert answer.status_code in (200, 404), answer.json
    assert answers == ["deleted"]
    assert rotation_rows(app) == (0, 0, 1)  # deleted once, nothing of it recreated


def test_two_deletes_of_one_rotation_at_once_delete_it_once(
    app: Flask, supervisor_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = add_user(app, name="Alice")
    rotation_id = supervisor_api.post("/rotations", rotation_body([alice])).json["id"]
    answers: list[str] = []
    meanwhile = delete_meanwhile(app, rotation_id, answers)
    meanwhile.at(monkeypatch, oncall, "rotation_fields")  # the DELETE has read the rotation
    answer = supervisor_api.delete(f"/rotations/{rotation_id}")
    meanwhile.join()
    assert sorted([str(answer.status_code), *answers]) in (["204", "not found"], ["404", "deleted"])
    assert rotation_rows(app) == (0, 0, 1)  # one deletion in the audit log, not two


def test_two_deletes_of_one_override_at_once_delete_it_once(
    app: Flask, supervisor_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = add_user(app, name="Alice")
    span = {"start": "2026-03-01T08:00:00Z", "end": "2026-03-01T20:00:00Z"}
    override_id = supervisor_api.post("/overrides", {"user_id": alice, "tier": 1, **span}).json[
        "id"
    ]
    answers: list[str] = []
    meanwhile = delete_meanwhile(app, override_id, answers, oncall.delete_override)
    meanwhile.at(monkeypatch, oncall, "override_fields")  # the DELETE has read the override
    answer = supervisor_api.delete(f"/overrides/{override_id}")
    meanwhile.join()
    assert sorted([str(answer.status_code), *answers]) in (["204", "not found"], ["404", "deleted"])
    with session_scope(app) as session:
        deletions = select(func.count()).where(
            AuditEvent.entity == "override", AuditEvent.action == "delete"
        )
        assert session.scalar(deletions) == 1  # one deletion in the audit log, not two


def test_every_default_in_the_openapi_document_has_its_declared_type(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    kinds = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}
    wrong = [
        f"{name}.{field}: {spec['default']!r}"
        for name, schema in document["components"]["schemas"].items()
        for field, spec in schema.get("properties", {}).items()
        if "default" in spec
        and spec.get("type") in kinds
        and not isinstance(spec["default"], kinds[spec["type"]])
    ]
    assert wrong == []


def test_the_openapi_document_tells_of_the_put_s_if_match_and_its_412(
    client: FlaskClient,
) -> None:
    # A client made from the document never learnt of If-Match, nor that a PUT may be a 412.
    put = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/rotations/{rotation_id}"]["put"]
    headers = [p for p in put["parameters"] if p["in"] == "header"]
    assert [(p["name"], p["required"]) for p in headers] == [("If-Match", False)]
    assert put["responses"]["412"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "ETag" in put["responses"]["200"]["headers"]
