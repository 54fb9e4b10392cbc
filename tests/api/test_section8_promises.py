"""Contract §8's promises a follower of the API relies on, each as served."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from hotline.db import session_scope
from hotline.models import Message
from tests.api.conftest import Api, add_user, rotation_body
from tests.factories import add_override
from tests.factories import add_user as add_person

NOW = datetime(2026, 3, 9, 19, tzinfo=UTC)  # a Monday, noon in Los Angeles


def at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_oncall_lists_rotation_tiers_and_covering_overrides_only_with_until_null_past_366_days(
    app: Flask, supervisor_api: Api
) -> None:
    alice, bob = add_user(app, name="Alice"), add_user(app, name="Bob")
    ana = add_person(app, "Ana Diaz")
    supervisor_api.post("/rotations", rotation_body([alice]))  # alone: never hands over
    supervisor_api.post("/rotations", rotation_body([alice, bob], tier=2))
    add_override(app, ana, 5, NOW - timedelta(days=3), NOW - timedelta(days=2))  # over
    add_override(app, ana, 6, NOW + timedelta(days=1), NOW + timedelta(days=2))  # to come
    add_override(app, ana, 7, NOW - timedelta(hours=1), NOW + timedelta(days=400))
    tiers = {t["tier"]: t for t in supervisor_api.get(f"/oncall?at={at(NOW)}").json["tiers"]}
    assert sorted(tiers) == [1, 2, 7]
    assert (tiers[1]["user"]["id"], tiers[1]["until"]) == (alice, None)
    assert (tiers[2]["source"], tiers[2]["until"]) == ("rotation", "2026-03-10T15:00:00Z")
    assert (tiers[7]["user"]["id"], tiers[7]["source"], tiers[7]["until"]) == (
        ana.id,
        "override",
        None,
    )


def test_schedule_without_a_tier_covers_rotations_and_overrides_in_the_window(
    app: Flask, supervisor_api: Api
) -> None:
    alice = add_user(app, name="Alice")
    ana = add_person(app, "Ana Diaz")
    supervisor_api.post("/rotations", rotation_body([alice]))
    add_override(app, ana, 5, NOW - timedelta(days=3), NOW - timedelta(days=2))
    add_override(app, ana, 6, NOW + timedelta(days=1), NOW + timedelta(days=2))
    window = f"start={at(NOW)}&end={at(NOW + timedelta(days=400))}"
    segments = supervisor_api.get(f"/schedule?{window}").json["segments"]
    assert sorted({s["tier"] for s in segments}) == [1, 6]
    tier_6 = [(s["user_id"], s["source"]) for s in segments if s["tier"] == 6]
    assert tier_6 == [(None, None), (ana.id, "override"), (None, None)]
    too_long = supervisor_api.get(f"/schedule?start={at(NOW)}&end={at(NOW + timedelta(days=401))}")
    assert (too_long.status_code, too_long.json["error"]["field"]) == (400, "end")


def test_messages_after_an_id_come_in_ascending_order_and_a_phone_matches_either_end(
    app: Flask, coordinator_api: Api
) -> None:
    ends = [("+12065550111", "+12065550100"), ("+12065550100", "+12065550122")] * 3
    with session_scope(app) as session:
        for n, (sender, to) in enumerate(ends):
            session.add(
                Message(
                    direction="in" if sender != "+12065550100" else "out",
                    from_number=sender,
                    to_number=to,
                    body=f"text {n}",
                    status="received" if sender != "+12065550100" else "sent",
                    created_at=NOW,
                )
            )
    every = [m["id"] for m in coordinator_api.get("/messages").json["items"]]
    assert every == sorted(every) and len(every) == 6
    later = coordinator_api.get(f"/messages?after_id={every[2]}").json["items"]
    assert [m["id"] for m in later] == every[3:]
    hotline = coordinator_api.get("/messages?phone=(206)%20555-0100").json["items"]
    assert len(hotline) == 6  # from it, and to it
    officer = coordinator_api.get("/messages?phone=%2B12065550122").json["items"]
    assert [m["to"] for m in officer] == ["+12065550122"] * 3


def test_the_calendar_address_is_absolute_at_the_public_url(
    app: Flask,
    client,
    supervisor_api: Api,  # type: ignore[no-untyped-def]
) -> None:
    app.config["HOTLINE_PUBLIC_URL"] = "https://hotline.example.org/"
    url = supervisor_api.get("/calendar").json["url"]
    assert url.startswith("https://hotline.example.org/api/v1/calendar/") and url.endswith(".ics")
    assert client.get(url.removeprefix("https://hotline.example.org")).status_code == 200


def test_a_creation_names_where_its_resource_now_is_in_location(
    app: Flask, supervisor_api: Api
) -> None:
    # A 201 without Location left a client to build the address of what it made by hand.
    api, manager = supervisor_api, add_user(app, "case_manager", "Cam")
    made = {
        "/users": {
            "name": "Ana",
            "email": "a@example.org",
            "phone": "2065550142",
            "role": "coordinator",
        },
        "/officers": {"name": "Lee", "badge": "12", "agency": "SPD", "phone": "2065550177"},
        "/providers": {"name": "Shelter", "needs": ["housing"]},
        "/rotations": rotation_body([1]),  # the supervisor
        "/participants": {"name": "Jo Doe", "case_manager_id": manager},
    }
    for path, body in made.items():
        answer = api.post(path, body)
        assert answer.status_code == 201, answer.json
        location = answer.headers["Location"]
        assert location == f"/api/v1{path}/{answer.json['id']}"
        shown = api.get(location.removeprefix("/api/v1")).json
        assert answer.json.items() <= shown.items()
    consent = api.post("/participants/1/consents", {"scope": "prosecutor"})
    assert consent.headers["Location"] == f"/api/v1/participants/1/consents/{consent.json['id']}"
    today = datetime.now(UTC).date().isoformat()
    charge = api.post("/participants/1/charges", {"date": today, "description": "theft"})
    assert "Location" not in charge.headers  # no address of its own to name
    document = api.get("/openapi.json").json["paths"]
    assert "Location" in document["/api/v1/users"]["post"]["responses"]["201"]["headers"]
    assert (
        "headers"
        not in document["/api/v1/participants/{participant_id}/charges"]["post"]["responses"]["201"]
    )


def test_a_method_the_address_does_not_take_is_a_405_naming_the_ones_it_does(
    app: Flask, supervisor_api: Api
) -> None:
    user = add_user(app, name="Alice")
    answer = supervisor_api.delete(f"/users/{user}")  # users are deactivated, never deleted
    assert answer.status_code == 405 and answer.json["error"]["code"] == "method_not_allowed"
    # RFC 9110 §15.5.6: a 405 lists in Allow what a client may do at this address instead.
    allowed = {method.strip() for method in answer.headers.get("Allow", "").split(",")}
    assert {"GET", "PATCH"} <= allowed and "DELETE" not in allowed
    assert "GET" in answer.json["error"]["message"] and "PATCH" in answer.json["error"]["message"]
    assert supervisor_api.get(f"/users/{user}").status_code == 200


def test_a_phone_written_with_its_plus_unescaped_in_the_query_still_matches(
    app: Flask, coordinator_api: Api
) -> None:
    # `curl '…/messages?phone=+447700900123'`: the query string reads that '+' as a space.
    with session_scope(app) as session:
        for number in ("+447700900123", "+12065550111"):
            session.add(
                Message(
                    direction="in",
                    from_number=number,
                    to_number="+12065550100",
                    body="REFER",
                    status="received",
                    created_at=NOW,
                )
            )
    for number in ("+447700900123", "+12065550111"):
        items = coordinator_api.get(f"/messages?phone={number}").json["items"]
        assert [m["from"] for m in items] == [number]
