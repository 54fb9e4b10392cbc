"""POST /api/v1/referrals/<id>/assessment: fields, 422 rules, versions, status (SPEC §8)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import AuditEvent, Referral
from hotline.services import assessments
from tests.api.conftest import Api
from tests.factories import add_officer, add_referral

ACCEPTED: dict[str, Any] = {
    "offense": "possession",
    "exclusions": [],
    "consent_confirmed": True,
    "needs": ["substance_use", "housing"],
    "risks": ["overdose"],
    "services": ["detox bed at Harborview"],
    "disposition": "accepted",
    "age_range": "25-34",
    "race_ethnicity": "Black",
    "notes": "needs ID replacement",
}


def status_of(app: Flask, referral_id: int) -> str:
    with session_scope(app) as session:
        return session.get_one(Referral, referral_id).status


class TestAssessment:
    """Coordinators record assessments; each POST is a new version."""

    def test_accepted_makes_the_referral_assessed_and_implies_the_ack(
        self, app: Flask, coordinator_api: Api
    ) -> None:
        number = add_referral(app)
        answer = coordinator_api.post(f"/referrals/{number}/assessment", ACCEPTED)
        assert answer.status_code == 201
        assert answer.json["disposition"] == "accepted" and answer.json["needs"] == [
            "substance_use",
            "housing",
        ]
        assert answer.json["completed_by"] == 1 and answer.json["completed_at"].endswith("Z")
        assert status_of(app, number) == "assessed"
        shown = coordinator_api.get(f"/referrals/{number}").json
        assert shown["acknowledged_by"] == 1 and shown["assessment_versions"] == 1
        assert shown["assessment"]["id"] == answer.json["id"]

    def test_the_answer_names_the_participant_an_accepted_referral_belongs_to(
        self, app: Flask, coordinator_api: Api
    ) -> None:
        number = add_referral(app)
        answer = coordinator_api.post(f"/referrals/{number}/assessment", ACCEPTED).json
        [participant] = coordinator_api.get("/participants").json["items"]
        assert answer["participant_id"] == participant["id"]
        declined = {**ACCEPTED, "disposition": "declined"}
        other = coordinator_api.post(f"/referrals/{add_referral(app)}/assessment", declined)
        assert other.json["participant_id"] is None

    def test_second_post_is_a_new_version(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app, status="acknowledged")
        first = coordinator_api.post(f"/referrals/{number}/assessment", ACCEPTED).json
        second = coordinator_api.post(
            f"/referrals/{number}/assessment", {**ACCEPTED, "notes": "update"}
        ).json
        shown = coordinator_api.get(f"/referrals/{number}").json
        assert shown["assessment_versions"] == 2
        assert shown["assessment"]["id"] == second["id"] != first["id"]
        assert shown["assessment"]["notes"] == "update"

    def test_two_posts_at_once_save_two_versions_not_a_500(
        self, app: Flask, coordinator_api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two coordinators (or a retried script) post an assessment in two workers at once."""
        number = add_referral(app, status="acknowledged")
        unable = {**ACCEPTED, "disposition": "unable_to_contact", "notes": "no answer"}
        other = Api(app.test_client(), coordinator_api.token)
        real_latest = assessments.latest_assessment
        answers: list[int] = []
        workers: list[threading.Thread] = []

        def post_other() -> None:
            answers.append(other.post(f"/referrals/{number}/assessment", unable).status_code)

        def the_other_posts_meanwhile(*args: Any, **kwargs: Any) -> Any:
            found = real_latest(*args, **kwargs)
            # The first has read the latest version; the second post arrives in another
            # worker. It commits first, unless the first holds the referral: then it waits.
            if not workers:
                workers.append(threading.Thread(target=post_other))
                workers[0].start()
                workers[0].join(timeout=0.3)
            return found

        monkeypatch.setattr(assessments, "latest_assessment", the_other_posts_meanwhile)
        first = coordinator_api.post(f"/referrals/{number}/assessment", unable)
        workers[0].join(timeout=10)
        assert sorted([first.status_code, *answers]) == [201, 201], (first.status_code, answers)
        shown = coordinator_api.get(f"/referrals/{number}").json
        assert shown["assessment_versions"] == 2

    @pytest.mark.parametrize(
        ("disposition", "status"),
        [("ineligible", "ineligible"), ("declined", "declined"), ("unable_to_contact", "notified")],
    )
    def test_disposition_sets_the_status(
        self, app: Flask, coordinator_api: Api, disposition: str, status: str
    ) -> None:
        number = add_referral(app)
        body = {
            **ACCEPTED,
            "disposition": disposition,
            "exclusions": ["under_18"],
            "consent_confirmed": False,
        }
        assert coordinator_api.post(f"/referrals/{number}/assessment", body).status_code == 201
        assert status_of(app, number) == status

    def test_rules_are_422_naming_the_field(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app)
        cases = {
            "exclusions": {"disposition": "ineligible", "exclusions": []},
            "consent_confirmed": {"consent_confirmed": False},
            "needs.0": {"needs": ["money"]},
            "offense": {"offense": "murder"},
            "disposition": {"disposition": "maybe"},
            "risks": {"risks": "overdose"},
        }
        for field, change in cases.items():
            answer = coordinator_api.post(f"/referrals/{number}/assessment", {**ACCEPTED, **change})
            assert (answer.status_code, answer.json["error"]["field"]) == (422, field)
        assert status_of(app, number) == "notified"

    @pytest.mark.parametrize(
        ("field", "twice"),
        [
            ("needs", ["housing", "substance_use", "housing"]),
            ("risks", ["overdose", "overdose"]),
            ("exclusions", ["under_18", "under_18"]),
        ],
    )
    def test_a_value_listed_twice_is_422_naming_the_field(
        self, app: Flask, coordinator_api: Api, field: str, twice: list[str]
    ) -> None:
        # A subset names each value once: "housing" twice made two housing plan entries.
        number = add_referral(app)
        body = {**ACCEPTED, field: twice}
        if field == "exclusions":
            body.update(disposition="ineligible", consent_confirmed=False)
        answer = coordinator_api.post(f"/referrals/{number}/assessment", body)
        assert (answer.status_code, answer.json["error"]["field"]) == (422, field)
        assert "twice" in answer.json["error"]["message"]
        assert status_of(app, number) == "notified"
        assert coordinator_api.get("/participants").json["items"] == []

    def test_closed_referral_is_409_and_unknown_is_404(
        self, app: Flask, coordinator_api: Api
    ) -> None:
        closed = add_referral(app, status="intake_completed")
        assert coordinator_api.post(f"/referrals/{closed}/assessment", ACCEPTED).status_code == 409
        assert coordinator_api.post("/referrals/999/assessment", ACCEPTED).status_code == 404

    def test_officer_hears_not_accepted_and_nothing_else(
        self, app: Flask, coordinator_api: Api
    ) -> None:
        officer = add_officer(app)
        number = add_referral(app, officer_phone=officer.phone)
        body = {**ACCEPTED, "disposition": "ineligible", "exclusions": ["violent_history"]}
        coordinator_api.post(f"/referrals/{number}/assessment", body)
        messages = coordinator_api.get(f"/messages?phone={officer.phone}").json["items"]
        assert [m["body"] for m in messages] == [f"LEAD #{number}: not accepted."]

    def test_viewing_clinical_fields_is_audited(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app)
        coordinator_api.get(f"/referrals/{number}")
        with session_scope(app) as session:
            views = session.scalars(select(AuditEvent).where(AuditEvent.action == "view")).all()
            assert [(v.entity, v.entity_id, v.actor_id) for v in views] == [("referral", number, 1)]
