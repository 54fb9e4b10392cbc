"""Retention erases who an exited participant was, wherever their name is (SPEC §7, §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import AuditEvent, Message, Participant
from hotline.services import participant_erasure
from tests.api.conftest import Api, add_user, token_for
from tests.api.test_assessment import ACCEPTED
from tests.factories import add_referral

LONG_AFTER = timedelta(days=400)


def case_manager_api(app: Flask, client: FlaskClient) -> Api:
    """Return the API as a case manager."""
    return Api(client, token_for(app, add_user(app, "case_manager", "Cam")))


def coordinator_api(app: Flask, client: FlaskClient) -> Api:
    """Return the API as a coordinator."""
    return Api(client, token_for(app, add_user(app, "coordinator", "Cory")))


def test_an_erased_participants_name_goes_from_their_open_referral_too(
    app: Flask, client: FlaskClient
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    api = coordinator_api(app, client)
    # A social contact has no intake deadline: accepted, it stays `assessed`, open.
    number = add_referral(
        app, "acknowledged", type="social_contact", offense=None, participant_name="Jane Doe"
    )
    assert api.post(f"/referrals/{number}/assessment", ACCEPTED).status_code == 201
    [jane] = api.get("/participants").json["items"]
    assert api.patch(f"/participants/{jane['id']}", {"status": "exited"}).status_code == 200
    summary = run_job(app, "retention", datetime.now(UTC) + LONG_AFTER)
    assert summary.startswith("0 referrals erased, 1 participants erased"), summary
    record = api.get(f"/participants/{jane['id']}").json
    assert record["name"] == "(erased)"
    [linked] = record["referrals"]
    referral = api.get(f"/referrals/{linked['id']}").json
    assert referral["participant_name"] is None
    assert referral["assessment"]["notes"] is None


def test_a_participant_added_as_exited_is_erased_once_the_period_is_over(
    app: Flask, client: FlaskClient
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    api = case_manager_api(app, client)
    added = api.post("/participants", {"name": "Jane Doe", "status": "exited"})
    assert added.status_code == 201, added.json
    run_job(app, "retention", datetime.now(UTC) + timedelta(days=89))
    assert api.get(f"/participants/{added.json['id']}").json["name"] == "Jane Doe"
    run_job(app, "retention", datetime.now(UTC) + timedelta(days=91))
    assert api.get(f"/participants/{added.json['id']}").json["name"] == "(erased)"


def test_a_participant_who_returns_and_exits_again_is_erased_again(
    app: Flask, client: FlaskClient
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    api = case_manager_api(app, client)
    jane = api.post("/participants", {"name": "Jane Doe"}).json["id"]
    assert api.patch(f"/participants/{jane}", {"status": "exited"}).status_code == 200
    with session_scope(app) as session:  # she left 100 days ago
        session.execute(
            update(Participant)
            .where(Participant.id == jane)
            .values(exited_at=datetime.now(UTC) - timedelta(days=100))
        )
    summary = run_job(app, "retention", datetime.now(UTC))
    assert summary.startswith("0 referrals erased, 1 participants erased"), summary
    # She comes back: her case manager reopens the record under her name; she leaves again.
    back = api.patch(f"/participants/{jane}", {"status": "active", "name": "Jane Doe"})
    assert back.status_code == 200
    assert api.patch(f"/participants/{jane}", {"status": "exited"}).status_code == 200
    run_job(app, "retention", datetime.now(UTC) + LONG_AFTER)
    assert api.get(f"/participants/{jane}").json["name"] == "(erased)"


def exited_long_ago(app: Flask, api: Api) -> tuple[int, int]:
    """Accept a social contact for Jane Doe (it stays open), then exit her 100 days ago."""
    number = add_referral(
        app, "acknowledged", type="social_contact", offense=None, participant_name="Jane Doe"
    )
    assert api.post(f"/referrals/{number}/assessment", ACCEPTED).status_code == 201
    [jane] = api.get("/participants").json["items"]
    assert api.patch(f"/participants/{jane['id']}", {"status": "exited"}).status_code == 200
    with session_scope(app) as session:
        session.execute(
            update(Participant)
            .where(Participant.id == jane["id"])
            .values(exited_at=datetime.now(UTC) - timedelta(days=100))
        )
    return number, jane["id"]


@pytest.mark.parametrize("filed_with", ["referral", "participant"])
def test_a_text_still_to_send_about_an_erased_participant_keeps_its_words(
    app: Flask, client: FlaskClient, filed_with: str
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    api = coordinator_api(app, client)
    number, person = exited_long_ago(app, api)
    # Filed with their referral, or with them (a case manager's notice of a charge).
    filed = {"referral_id": number} if filed_with == "referral" else {"participant_id": person}
    with session_scope(app) as session:
        queued = Message(
            direction="out",
            from_number="+12065550100",
            to_number="+12065550111",
            status="queued",
            body=f"LEAD #{number}: the intake is still open.",
            created_at=datetime.now(UTC),
            **filed,
        )
        session.add(queued)
        session.flush()
        queued_id = queued.id
    assert ", 1 participants erased" in run_job(app, "retention", datetime.now(UTC))
    with session_scope(app) as session:
        assert session.get_one(Message, queued_id).body is not None  # still to be sent


def test_a_participant_back_on_an_open_referral_keeps_what_is_written_now(
    app: Flask, client: FlaskClient
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    api = coordinator_api(app, client)
    number, jane = exited_long_ago(app, api)
    assert ", 1 participants erased" in run_job(app, "retention", datetime.now(UTC))
    again = {**ACCEPTED, "notes": "back at the Union St shelter, wants detox"}
    assert api.post(f"/referrals/{number}/assessment", again).status_code == 201
    assert api.get(f"/participants/{jane}").json["status"] == "active"
    run_job(app, "retention", datetime.now(UTC) + timedelta(days=1))  # the next night
    assert api.get(f"/referrals/{number}").json["assessment"]["notes"] == again["notes"]


def test_a_participant_back_in_the_program_while_retention_runs_is_not_erased(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    api = case_manager_api(app, client)
    jane = api.post("/participants", {"name": "Jane Doe", "status": "exited"}).json["id"]
    claim = participant_erasure.claim_erasure

    def back_meanwhile(session: Any, model: Any, row_id: int, *args: Any) -> bool:
        # Her case manager takes her back between the job's list and its claim.
        if model is Participant:
            with session_scope(app) as other:
                other.get_one(Participant, row_id).status = "active"
        return claim(session, model, row_id, *args)

    monkeypatch.setattr(participant_erasure, "claim_erasure", back_meanwhile)
    summary = run_job(app, "retention", datetime.now(UTC) + LONG_AFTER)
    assert summary.startswith("0 referrals erased, 0 participants erased"), summary
    assert api.get(f"/participants/{jane}").json["name"] == "Jane Doe"


def test_words_written_to_an_erased_participant_later_are_erased_at_the_next_run(
    app: Flask, client: FlaskClient
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    api = case_manager_api(app, client)
    supervisor = Api(client, token_for(app, add_user(app, "supervisor", "Sue")))
    jane = api.post("/participants", {"name": "Jane Doe", "status": "exited"}).json["id"]
    later = datetime.now(UTC) + LONG_AFTER
    assert ", 1 participants erased" in run_job(app, "retention", later)
    # Still exited, the record is written to again: a charge, a plan note, her aliases.
    charge = {"date": "2026-01-05", "description": "Jane Doe, trespass at 3rd & Pine"}
    assert supervisor.post(f"/participants/{jane}/charges", charge).status_code == 201
    plan = {"need": "housing", "status": "planned", "note": "Jane Doe sleeps at 3rd & Pine"}
    assert api.post(f"/participants/{jane}/plan", plan).status_code == 201
    named = {"aliases": ["JD"], "date_of_birth": "1990-05-01"}
    assert api.patch(f"/participants/{jane}", named).status_code == 200
    run_job(app, "retention", later + timedelta(days=1))  # the next night
    record = api.get(f"/participants/{jane}").json
    assert record["status"] == "exited"
    assert record["aliases"] == [] and record["date_of_birth"] is None
    assert [entry["note"] for entry in record["plan"]] == [None]
    assert [c["description"] for c in record["charges"]] == ["(erased)"]
    assert "3rd & Pine" not in str(record)
    run_job(app, "retention", later + timedelta(days=2))  # nothing new: nothing to do
    with session_scope(app) as session:
        erasures = session.scalars(
            select(AuditEvent.after).where(
                AuditEvent.action == "erase", AuditEvent.entity == "participant"
            )
        ).all()
    assert [bool(after.get("written_after_erasure")) for after in erasures] == [False, True]
