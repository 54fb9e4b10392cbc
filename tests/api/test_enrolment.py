"""An accepted assessment enrols the person: a new participant, or the one the coordinator picks."""

from __future__ import annotations

from flask import Flask

from tests.api.conftest import Api
from tests.api.test_assessment import ACCEPTED
from tests.factories import add_referral


def test_an_accepted_referral_becomes_a_participant_with_a_first_plan(
    app: Flask, coordinator_api: Api
) -> None:
    number = add_referral(app, "acknowledged", participant_name="Robert Smith")
    assert coordinator_api.post(f"/referrals/{number}/assessment", ACCEPTED).status_code == 201
    [participant] = coordinator_api.get("/participants").json["items"]
    assert participant["name"] == "Robert Smith" and participant["status"] == "active"
    assert [r["id"] for r in participant["referrals"]] == [number]
    assert [(p["need"], p["status"]) for p in participant["plan"]] == [
        ("substance_use", "planned"),
        ("housing", "planned"),
    ]
    assert participant["plan"][0]["note"] == "Coordinated at intake: detox bed at Harborview"
    again = coordinator_api.post(f"/referrals/{number}/assessment", ACCEPTED)  # a new version
    assert again.status_code == 201
    [same] = coordinator_api.get("/participants").json["items"]
    assert same["id"] == participant["id"] and len(same["plan"]) == 2  # nothing twice


def test_a_second_referral_of_the_same_person_is_suggested_and_linked(
    app: Flask, coordinator_api: Api
) -> None:
    first = add_referral(app, "acknowledged", participant_name="Robert Smith")
    coordinator_api.post(f"/referrals/{first}/assessment", ACCEPTED)
    [robert] = coordinator_api.get("/participants").json["items"]

    second = add_referral(app, "acknowledged", participant_name="Bob Smyth")
    suggested = coordinator_api.get("/participants", query_string={"match": "Bob Smyth"}).json
    assert [p["id"] for p in suggested["items"]] == [robert["id"]]
    assert coordinator_api.get("/participants", query_string={"match": "Ana Diaz"}).json == {
        "items": []
    }
    body = {**ACCEPTED, "participant_id": robert["id"]}
    assert coordinator_api.post(f"/referrals/{second}/assessment", body).status_code == 201
    record = coordinator_api.get(f"/participants/{robert['id']}").json
    assert [r["id"] for r in record["referrals"]] == [first, second]
    assert len(coordinator_api.get("/participants").json["items"]) == 1


def test_a_participant_is_linked_only_with_accepted_and_only_if_it_exists(
    app: Flask, coordinator_api: Api
) -> None:
    number = add_referral(app, "acknowledged")
    declined = {**ACCEPTED, "disposition": "declined", "participant_id": 1}
    answer = coordinator_api.post(f"/referrals/{number}/assessment", declined)
    assert answer.status_code == 422 and answer.json["error"]["field"] == "participant_id"
    unknown = coordinator_api.post(
        f"/referrals/{number}/assessment", {**ACCEPTED, "participant_id": 77}
    )
    assert unknown.status_code == 422 and unknown.json["error"]["field"] == "participant_id"
    assert coordinator_api.get("/participants").json == {"items": []}
