"""After retention, no table and no log line holds a word that named the person (SPEC §7, §10)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import AuditEvent, Base, Call, Participant, Referral
from hotline.services import retention
from hotline.simulator import SmsEmulator
from tests.api.conftest import Api, token_for
from tests.api.conftest import add_user as add_api_user
from tests.factories import add_referral, add_user, arrive
from tests.sms.conftest import Program, converse
from tests.web.conftest import PASSWORD, Web

MARK = "Qzxv"  # in every word typed about the person; found nowhere once erased
NAME, PLACE = f"Jane {MARK}", f"{MARK} Ave & 3rd"
LATER = timedelta(days=400)


def where_marked(app: Flask) -> list[str]:
    """Return `table.column` of every stored value, in every table, holding the marker."""
    found = []
    with session_scope(app) as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                found += [
                    f"{table.name}.{column}={value!r}"
                    for column, value in row.items()
                    if MARK.lower() in str(value).lower()
                ]
    return found


def referral_number(reply: str) -> int:
    """Return the number in a "Sent: LEAD referral #n" reply."""
    return int(re.search(r"#(\d+)", reply).group(1))  # type: ignore[union-attr]


def fill(app: Flask, client: FlaskClient, phone: SmsEmulator, program: Program) -> tuple[int, int]:
    """Refer a person by text, work them through every channel; return referral and participant."""
    officer, ana = program.officer.phone, program.ana.phone
    replies = converse(phone, officer, "REFER", "1", NAME, "1", PLACE, "Y", f"wait {MARK}", "SEND")
    number = referral_number(replies[-1])
    converse(phone, ana, f"ACK {number}", f"NOTE {number} {MARK} sleeps by the church")
    cory = Api(client, token_for(app, add_api_user(app, "coordinator", "Cory")))
    completed = cory.patch(f"/referrals/{number}", {"location": f"behind {MARK} Market"})
    assert completed.status_code == 200, completed.json
    assessment = {
        "offense": "possession",
        "exclusions": [],
        "consent_confirmed": True,
        "needs": ["housing"],
        "risks": [],
        "services": [f"drove {MARK} to her mother's"],
        "disposition": "accepted",
        "notes": f"{MARK} has a dog",
    }
    answer = cory.post(f"/referrals/{number}/assessment", assessment)
    assert answer.status_code == 201, answer.json
    cam = add_api_user(app, "case_manager", "Cam")
    sam = Api(client, token_for(app, add_api_user(app, "supervisor", "Sam")))
    [person] = sam.get("/participants").json["items"]
    pid = person["id"]
    changes = {"aliases": [f"{MARK}y"], "date_of_birth": "1990-01-02", "case_manager_id": cam}
    assert sam.patch(f"/participants/{pid}", changes).status_code == 200
    assert sam.post(f"/participants/{pid}/consents", {"scope": "officer_status"}).status_code == 201
    plan = {"need": "housing", "note": f"{MARK} prefers mornings"}
    assert sam.post(f"/participants/{pid}/plan", plan).status_code == 201
    charge = {"date": datetime.now(UTC).date().isoformat(), "description": f"theft by {MARK}"}
    assert sam.post(f"/participants/{pid}/charges", charge).status_code == 201
    web = Web(app.test_client())
    assert web.login(add_user(app, "Wes Reyes", "supervisor", password=PASSWORD)).status_code == 302
    noted = web.post(f"/referrals/{number}/actions", {"action": "note", "text": f"{MARK} on web"})
    assert noted.status_code == 302
    planned = web.post(f"/participants/{pid}/plan", {"need": "food", "note": f"{MARK} web plan"})
    assert planned.status_code == 302
    today = datetime.now(UTC).date().isoformat()
    charged = web.post(f"/participants/{pid}/charges", {"date": today, "description": MARK})
    assert charged.status_code == 302
    converse(phone, officer, f"CONTACT {NAME}")
    converse(phone, ana, f"INTAKE {number}")
    assert sam.patch(f"/participants/{pid}", {"status": "exited"}).status_code == 200
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    return number, pid


def test_nothing_naming_the_person_is_left_anywhere_after_retention(
    app: Flask,
    client: FlaskClient,
    phone: SmsEmulator,
    program: Program,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="hotline")
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    fill(app, client, phone, program)
    assert where_marked(app)  # the marker is really there before
    summary = run_job(app, "retention", datetime.now(UTC) + LATER)
    assert summary.startswith("1 referrals erased, 1 participants erased"), summary
    assert where_marked(app) == []
    assert [r.getMessage() for r in caplog.records if MARK in r.getMessage()] == []
    audited = audit_rows(app)
    summary = run_job(app, "retention", datetime.now(UTC) + LATER + timedelta(days=1))
    assert summary == "0 referrals erased, 0 participants erased, 0 texts outside any record erased"
    assert audit_rows(app) == audited  # nothing erased twice


def audit_rows(app: Flask) -> int:
    """Return how many audit rows there are."""
    with session_scope(app) as session:
        return len(session.scalars(select(AuditEvent.id)).all())


def test_a_run_that_crashed_midway_is_finished_by_the_next_and_a_third_changes_nothing(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    old = datetime.now(UTC) - timedelta(days=31)
    first, second = (
        add_referral(app, "intake_completed", participant_name=f"{who} {MARK}", created_at=old)
        for who in ("Ann", "Bo")
    )
    real = retention.erase_referral_words
    erased: list[int] = []

    def crash_on_the_second(session: Session, referral_id: int, account: str | None) -> None:
        if erased:
            raise RuntimeError("the host went down")
        real(session, referral_id, account)
        erased.append(referral_id)

    monkeypatch.setattr(retention, "erase_referral_words", crash_on_the_second)
    with pytest.raises(RuntimeError):
        run_job(app, "retention", datetime.now(UTC))
    assert [m for m in where_marked(app) if m.startswith("referrals.")] == [
        f"referrals.participant_name='Bo {MARK}'"
    ]  # the first stays erased: each referral is erased whole, or not at all
    monkeypatch.setattr(retention, "erase_referral_words", real)
    assert run_job(app, "retention", datetime.now(UTC)).startswith("1 referrals erased")
    assert run_job(app, "retention", datetime.now(UTC)).startswith("0 referrals erased")
    assert where_marked(app) == []
    with session_scope(app) as session:
        audited = session.scalars(
            select(AuditEvent.entity_id).where(AuditEvent.action == "erase")
        ).all()
    assert sorted(audited) == [first, second]  # each once


def test_an_active_participants_closed_referral_goes_and_their_open_one_and_record_stay(
    app: Flask, client: FlaskClient
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    sam = Api(client, token_for(app, add_api_user(app, "supervisor", "Sam")))
    pid = sam.post("/participants", {"name": NAME}).json["id"]
    old = datetime.now(UTC) - timedelta(days=31)
    closed = add_referral(app, "intake_completed", created_at=old, participant_id=pid)
    still_open = add_referral(app, "assessed", created_at=old, participant_id=pid)
    at_the_edge = add_referral(app, "declined", participant_id=pid)
    with session_scope(app) as session:
        session.execute(update(Referral).where(Referral.id == at_the_edge).values(created_at=old))
    summary = run_job(app, "retention", old + timedelta(days=30))  # exactly 30 days: kept
    assert summary.startswith("0 referrals erased, 0 participants erased"), summary
    summary = run_job(app, "retention", datetime.now(UTC))
    assert summary.startswith("2 referrals erased, 0 participants erased"), summary
    with session_scope(app) as session:
        names = dict(session.execute(select(Referral.id, Referral.participant_name)).all())
        kept = session.get_one(Participant, pid)
        assert (kept.name, kept.erased_at) == (NAME, None)
    assert names == {closed: None, still_open: "Jane Doe", at_the_edge: None}


def test_a_call_completed_and_missed_on_the_web_leaves_nothing_naming_the_person(
    app: Flask, program: Program
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    arrival = arrive(app, "CA" + "1" * 32, program.officer.phone, datetime.now(UTC))
    with session_scope(app) as session:  # the caller left a voicemail, kept by the demo
        call = session.get_one(Call, arrival.id)
        number = call.referral_id
        assert number is not None
        call.recording_url = "/demo/voicemail.wav"
        session.get_one(Referral, number).recording_url = call.recording_url
    web = Web(app.test_client())
    assert web.login(add_user(app, "Wes Reyes", "supervisor", password=PASSWORD)).status_code == 302
    form = {"type": "social_contact", "participant_name": NAME, "location": PLACE, "consent": "yes"}
    assert web.post(f"/referrals/{number}/completion", form).status_code == 302
    for action, text in (("ack", ""), ("intake_missed", f"{MARK} moved away")):
        assert (
            web.post(f"/referrals/{number}/actions", {"action": action, "text": text}).status_code
            == 302
        )
    assert where_marked(app)
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    summary = run_job(app, "retention", datetime.now(UTC) + LATER)
    assert summary.startswith("1 referrals erased"), summary
    assert where_marked(app) == []
    with session_scope(app) as session:
        assert session.get_one(Referral, number).recording_url is None
        assert session.get_one(Call, arrival.id).recording_url is None
