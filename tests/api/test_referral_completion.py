"""PATCH /api/v1/referrals/<id>: completing a call's blank referral (SPEC §6, §8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import AuditEvent, Referral
from tests.api.conftest import Api, add_user, token_for
from tests.factories import BLANK_CALL_REFERRAL, add_referral
from tests.jobs.conftest import run

BLANK = BLANK_CALL_REFERRAL
FILLED = {
    "type": "arrest_diversion",
    "offense": "possession",
    "participant_name": "Jane Doe",
    "location": "3rd & Pine",
    "consent": True,
}


def completions(api: Api, number: int) -> list[dict[str, object]]:
    events = api.get(f"/referrals/{number}").json["events"]
    return [e for e in events if e["kind"] == "completed"]


class TestCompletingAReferral:
    """Coordinators and supervisors fill in what a call left blank."""

    def test_a_coordinator_completes_a_blank_call_referral(
        self, app: Flask, coordinator_api: Api
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        answer = coordinator_api.patch(f"/referrals/{number}", FILLED)
        assert answer.status_code == 200, answer.json
        shown = answer.json
        assert shown["type"] == "arrest_diversion" and shown["offense"] == "possession"
        assert shown["participant_name"] == "Jane Doe" and shown["location"] == "3rd & Pine"
        assert shown["consent_at"].endswith("Z") and shown["consent_by"] is not None
        events = completions(coordinator_api, number)
        assert [e["detail"]["field"] for e in events] == [
            "type",
            "offense",
            "participant_name",
            "location",
            "consent",
        ]
        assert {e["channel"] for e in events} == {"api"}
        assert {e["actor_id"] for e in events} == {shown["consent_by"]}

    def test_the_audit_log_holds_before_and_after(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        coordinator_api.patch(f"/referrals/{number}", {"participant_name": "Jane Doe"})
        with session_scope(app) as session:
            row = session.scalars(select(AuditEvent).where(AuditEvent.action == "complete")).one()
            assert row.entity_id == number and row.channel == "api"
            # The name itself stays out: retention erases the referral, never the log.
            assert row.before == {"participant_name_written": False}
            assert row.after == {"participant_name_written": True}

    def test_unchanged_values_make_no_event(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app, status="acknowledged")
        answer = coordinator_api.patch(
            f"/referrals/{number}", {"participant_name": "Jane Doe", "type": "arrest_diversion"}
        )
        assert answer.status_code == 200
        assert completions(coordinator_api, number) == []

    def test_a_correction_records_the_old_value(self, app: Flask, supervisor_api: Api) -> None:
        number = add_referral(app, status="notified")
        supervisor_api.patch(f"/referrals/{number}", {"location": "5th & Union"})
        (event,) = completions(supervisor_api, number)
        assert event["detail"] == {
            "field": "location",
            "before": "3rd & Pine",
            "after": "5th & Union",
        }

    def test_a_closed_referral_is_409(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app, status="intake_missed", **BLANK)
        answer = coordinator_api.patch(f"/referrals/{number}", {"type": "social_contact"})
        assert answer.status_code == 409
        assert coordinator_api.get(f"/referrals/{number}").json["type"] is None

    def test_an_offense_on_a_social_contact_is_422_naming_offense(
        self, app: Flask, coordinator_api: Api
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        answer = coordinator_api.patch(
            f"/referrals/{number}", {"type": "social_contact", "offense": "possession"}
        )
        assert answer.status_code == 422 and answer.json["error"]["field"] == "offense"
        assert coordinator_api.get(f"/referrals/{number}").json["type"] is None

    def test_changing_to_social_contact_clears_the_offense(
        self, app: Flask, coordinator_api: Api
    ) -> None:
        number = add_referral(app, status="acknowledged")
        shown = coordinator_api.patch(f"/referrals/{number}", {"type": "social_contact"}).json
        assert shown["offense"] is None
        fields = [e["detail"]["field"] for e in completions(coordinator_api, number)]
        assert fields == ["type", "offense"]

    def test_consent_false_is_422_and_keeps_consent(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        coordinator_api.patch(f"/referrals/{number}", {"consent": True})
        answer = coordinator_api.patch(f"/referrals/{number}", {"consent": False})
        assert answer.status_code == 422 and answer.json["error"]["field"] == "consent"
        assert coordinator_api.get(f"/referrals/{number}").json["consent_at"] is not None

    def test_a_bad_type_is_422_naming_type(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        answer = coordinator_api.patch(f"/referrals/{number}", {"type": "felony"})
        assert answer.status_code == 422 and answer.json["error"]["field"] == "type"

    def test_an_empty_name_is_422_naming_it(self, app: Flask, coordinator_api: Api) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        answer = coordinator_api.patch(f"/referrals/{number}", {"participant_name": "  "})
        assert answer.status_code == 422
        assert answer.json["error"]["field"] == "participant_name"

    def test_a_case_manager_may_not_complete_a_referral(
        self, app: Flask, client: FlaskClient
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        api = Api(client, token_for(app, add_user(app, "case_manager", "Kim")))
        assert api.patch(f"/referrals/{number}", {"type": "social_contact"}).status_code == 403

    def test_an_unknown_referral_is_404(self, coordinator_api: Api) -> None:
        assert (
            coordinator_api.patch("/referrals/999", {"type": "social_contact"}).status_code == 404
        )


def test_retention_erases_the_names_and_places_a_completion_recorded(
    app: Flask, coordinator_api: Api
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    number = add_referral(app, status="acknowledged", **BLANK)
    coordinator_api.patch(f"/referrals/{number}", {"participant_name": "Jane Doe"})
    with session_scope(app) as session:
        session.get_one(Referral, number).status = "intake_completed"
    run(app, "retention", datetime.now(UTC) + timedelta(days=91))
    (event,) = completions(coordinator_api, number)
    assert event["detail"] is None


def test_a_prosecutor_may_not_assess_a_referral(app: Flask, client: FlaskClient) -> None:
    number = add_referral(app, status="acknowledged")
    api = Api(client, token_for(app, add_user(app, "prosecutor", "Pat")))
    body = {"offense": "possession", "consent_confirmed": True, "disposition": "accepted"}
    assert api.post(f"/referrals/{number}/assessment", body).status_code == 403
