"""An accepted assessment enrols the person: a new participant, or the one the coordinator picks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import AuditEvent, Participant
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


def robert_enrolled(app: Flask, api: Api) -> tuple[int, dict[str, Any]]:
    """Accept a referral of Robert Smith; return its number and the participant it made."""
    first = add_referral(app, "acknowledged", participant_name="Robert Smith")
    assert api.post(f"/referrals/{first}/assessment", ACCEPTED).status_code == 201
    [robert] = api.get("/participants").json["items"]
    return first, robert


def test_a_second_referral_of_the_same_person_is_suggested_and_linked(
    app: Flask, coordinator_api: Api
) -> None:
    first, robert = robert_enrolled(app, coordinator_api)

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


def test_a_need_met_before_and_assessed_again_is_planned_again_on_re_entry(
    app: Flask, coordinator_api: Api, supervisor_api: Api
) -> None:
    first, robert = robert_enrolled(app, coordinator_api)
    housing = next(p for p in robert["plan"] if p["need"] == "housing")
    done = {"status": "completed", "ended_on": datetime.now(UTC).date().isoformat()}
    path = f"/participants/{robert['id']}"
    assert supervisor_api.patch(f"{path}/plan/{housing['id']}", done).status_code == 200
    # A new version of the same referral's assessment is a correction: nothing is planned twice.
    assert coordinator_api.post(f"/referrals/{first}/assessment", ACCEPTED).status_code == 201
    assert len(coordinator_api.get(path).json["plan"]) == 2
    assert supervisor_api.patch(path, {"status": "exited"}).status_code == 200

    second = add_referral(app, "acknowledged", participant_name="Robert Smith")
    body = {**ACCEPTED, "participant_id": robert["id"]}
    assert coordinator_api.post(f"/referrals/{second}/assessment", body).status_code == 201
    plan = [(p["need"], p["status"]) for p in coordinator_api.get(path).json["plan"]]
    # Housing was met once and is needed again; substance use is still planned, not twice.
    assert plan == [
        ("substance_use", "planned"),
        ("housing", "completed"),
        ("housing", "planned"),
    ]


def test_a_name_given_without_its_middle_name_or_second_surname_is_suggested(
    app: Flask, coordinator_api: Api
) -> None:
    for name in ("Ana María López Vega", "Jane Doe-Smith"):
        number = add_referral(app, "acknowledged", participant_name=name)
        assert coordinator_api.post(f"/referrals/{number}/assessment", ACCEPTED).status_code == 201
    ana, jane = (p["id"] for p in coordinator_api.get("/participants").json["items"])

    def suggested(name: str) -> list[int]:
        found = coordinator_api.get("/participants", query_string={"match": name}).json
        return [p["id"] for p in found["items"]]

    assert suggested("Ana Lopez") == [ana]
    assert suggested("lopez vega, ana") == [ana]
    assert suggested("Jane Doe") == [jane]
    assert suggested("Jane") == [] and suggested("Ana Vega Diaz") == []


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


def audit_rows(app: Flask, participant_id: int, action: str) -> list[AuditEvent]:
    with session_scope(app) as session:
        rows = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity == "participant",
                AuditEvent.entity_id == participant_id,
                AuditEvent.action == action,
            )
        ).all()
        session.expunge_all()
        return list(rows)


def test_the_plan_an_accepted_assessment_starts_is_in_the_audit_log(
    app: Flask, coordinator_api: Api
) -> None:
    number = add_referral(app, "acknowledged", participant_name="Robert Smith")
    assert coordinator_api.post(f"/referrals/{number}/assessment", ACCEPTED).status_code == 201
    [participant] = coordinator_api.get("/participants").json["items"]
    planned = audit_rows(app, participant["id"], "plan")
    assert sorted(row.after["need"] for row in planned if row.after) == [
        "housing",
        "substance_use",
    ]


def test_an_exited_participant_referred_again_is_back_in_the_program_on_the_record(
    app: Flask, coordinator_api: Api
) -> None:
    with session_scope(app) as session:
        gone = Participant(
            name="Robert Smith",
            aliases=[],
            status="exited",
            exited_at=datetime.now(UTC) - timedelta(days=30),
            created_at=datetime.now(UTC) - timedelta(days=90),
        )
        session.add(gone)
        session.flush()
        gone_id = gone.id
    number = add_referral(app, "acknowledged", participant_name="Robert Smith")
    body = {**ACCEPTED, "participant_id": gone_id}
    assert coordinator_api.post(f"/referrals/{number}/assessment", body).status_code == 201
    assert coordinator_api.get(f"/participants/{gone_id}").json["status"] == "active"
    [change] = audit_rows(app, gone_id, "update")
    assert change.before and change.before["status"] == "exited"
    assert change.after and change.after["status"] == "active"
    with session_scope(app) as session:  # retention counts from a new exit, not the old one
        assert session.get_one(Participant, gone_id).exited_at is None


def test_an_acceptance_corrected_to_declined_leaves_no_active_participant(
    app: Flask, coordinator_api: Api
) -> None:
    number, made = robert_enrolled(app, coordinator_api)
    declined = {**ACCEPTED, "disposition": "declined"}  # the person declined LEAD after all
    assert coordinator_api.post(f"/referrals/{number}/assessment", declined).status_code == 201
    active = coordinator_api.get("/participants", query_string={"status": "active"}).json
    assert active == {"items": []}
    record = coordinator_api.get(f"/participants/{made['id']}").json
    assert record["status"] == "exited" and record["referrals"] == []
    changes = [(row.before or {}, row.after or {}) for row in audit_rows(app, made["id"], "update")]
    assert [(was["status"], now["status"]) for was, now in changes] == [("active", "exited")]


def test_a_picked_participant_stays_when_the_referral_is_corrected_to_declined(
    app: Flask, coordinator_api: Api
) -> None:
    first, robert = robert_enrolled(app, coordinator_api)
    second = add_referral(app, "acknowledged", participant_name="Bob Smyth")
    body = {**ACCEPTED, "participant_id": robert["id"]}
    assert coordinator_api.post(f"/referrals/{second}/assessment", body).status_code == 201
    declined = {**ACCEPTED, "disposition": "declined"}
    assert coordinator_api.post(f"/referrals/{second}/assessment", declined).status_code == 201
    record = coordinator_api.get(f"/participants/{robert['id']}").json
    assert record["status"] == "active" and [r["id"] for r in record["referrals"]] == [first]


def test_accepted_then_unreachable_then_accepted_again_is_the_same_participant(
    app: Flask, coordinator_api: Api
) -> None:
    number, _ = robert_enrolled(app, coordinator_api)
    unreachable = {**ACCEPTED, "disposition": "unable_to_contact"}
    assert coordinator_api.post(f"/referrals/{number}/assessment", unreachable).status_code == 201
    active = coordinator_api.get("/participants", query_string={"status": "active"}).json
    assert active == {"items": []}  # not in the program while nobody could reach them
    assert coordinator_api.post(f"/referrals/{number}/assessment", ACCEPTED).status_code == 201
    [robert] = coordinator_api.get("/participants").json["items"]
    assert robert["status"] == "active" and [r["id"] for r in robert["referrals"]] == [number]
