"""Retention leaves no word that names a participant, however late it was written (SPEC §7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import Assessment, AuditEvent, Message, Referral, User
from hotline.services.referral_actions import add_note
from tests.api.conftest import Api, token_for
from tests.factories import add_referral, add_user

CREATED = datetime(2026, 4, 1, 12, tzinfo=UTC)
PERIOD = timedelta(days=90)
SECOND = timedelta(seconds=1)  # "more than that many days ago" (SPEC §7): past the period
SECRET = "Jane Doe sleeps behind the Pine St church"
NOTHING = "0 referrals erased, 0 participants erased, 0 texts outside any record erased"
ONE = "1 referrals erased, 0 participants erased, 0 texts outside any record erased"


def closed_old_referral(app: Flask) -> int:
    """Add a referral closed and created at CREATED, with a name and a place."""
    app.config["HOTLINE_RETENTION_DAYS"] = PERIOD.days
    return add_referral(app, "ineligible", created_at=CREATED)


def erasures(app: Flask, referral_id: int) -> list[dict[str, object]]:
    """Return the details of the audit entries of `referral_id`'s erasures, oldest first."""
    with session_scope(app) as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "erase", AuditEvent.entity_id == referral_id)
            .order_by(AuditEvent.id)
        )
        return [dict(row.after or {}) for row in rows]


def test_an_old_referrals_assessment_notes_are_erased_and_its_disposition_stays(
    app: Flask,
) -> None:
    number = closed_old_referral(app)
    ana = add_user(app, "Ana Diaz")
    with session_scope(app) as session:
        session.add(
            Assessment(
                referral_id=number,
                version=1,
                offense="possession",
                exclusions=["violent_history"],
                consent_confirmed=False,
                disposition="ineligible",
                notes=SECRET,
                completed_by=ana.id,
                completed_at=CREATED,
            )
        )
    api = Api(app.test_client(), token_for(app, ana.id))
    assert api.get(f"/referrals/{number}").json["assessment"]["notes"] == SECRET

    assert run_job(app, "retention", CREATED + PERIOD + SECOND) == ONE

    shown = api.get(f"/referrals/{number}").json
    assert shown["assessment"]["notes"] is None
    assert shown["assessment"]["disposition"] == "ineligible"
    assert shown["participant_name"] is None and shown["status"] == "ineligible"


def test_the_services_written_in_an_assessment_go_too_and_the_audit_log_never_had_them(
    app: Flask,
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = PERIOD.days
    cory = add_user(app, "Cory Lee")
    api = Api(app.test_client(), token_for(app, cory.id))
    number = add_referral(app, "acknowledged", created_at=CREATED)
    services = [f"drove {SECRET.split(' sleeps')[0]} to her mother's on 5th Ave"]
    assessment = {
        "offense": "possession",
        "exclusions": [],
        "consent_confirmed": True,
        "needs": ["housing"],
        "risks": [],
        "services": services,
        "disposition": "declined",
    }
    assert api.post(f"/referrals/{number}/assessment", assessment).status_code == 201
    assert api.get(f"/referrals/{number}").json["assessment"]["services"] == services
    with session_scope(app) as session:
        logged = session.scalars(select(AuditEvent).where(AuditEvent.action == "assess")).one()
        assert "Jane Doe" not in str(logged.after)  # the audit log is never erased
        assert (logged.after or {})["services_written"] is True
    assert run_job(app, "retention", CREATED + PERIOD + SECOND) == ONE
    assert api.get(f"/referrals/{number}").json["assessment"]["services"] == []


def test_a_note_written_after_erasure_is_erased_at_the_next_run_and_audited_once(
    app: Flask,
) -> None:
    number = closed_old_referral(app)
    ana = add_user(app, "Ana Diaz")
    assert run_job(app, "retention", CREATED + PERIOD + SECOND) == ONE
    later = CREATED + PERIOD + timedelta(hours=2)
    with session_scope(app) as session:
        add_note(session, number, session.get_one(User, ana.id), SECRET, later, "web")
        session.add(
            Message(
                direction="in",
                from_number=ana.phone,
                to_number="+12065550100",
                body=f"NOTE {number} {SECRET}",
                status="received",
                created_at=later,
                referral_id=number,
            )
        )
        session.get_one(Referral, number).recording_url = "https://api.twilio.com/RE1"

    # The count is of referrals erased for the first time: this one was erased before.
    assert run_job(app, "retention", later + timedelta(days=1)) == NOTHING

    api = Api(app.test_client(), token_for(app, ana.id))
    shown = api.get(f"/referrals/{number}").json
    assert [e["detail"] for e in shown["events"] if e["kind"] == "note"] == [None]
    assert shown["recording_url"] is None
    with session_scope(app) as session:
        assert session.scalars(select(Message.body)).all() == [None]
    assert [entry.get("written_after_erasure") for entry in erasures(app, number)] == [None, True]
    # Nothing was left to erase: the next runs record nothing more.
    assert run_job(app, "retention", later + timedelta(days=2)) == NOTHING
    assert len(erasures(app, number)) == 2


def test_an_open_referrals_late_words_are_kept(app: Flask) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = PERIOD.days
    number = add_referral(app, "acknowledged", created_at=CREATED)
    ana = add_user(app, "Ana Diaz")
    with session_scope(app) as session:
        add_note(session, number, session.get_one(User, ana.id), SECRET, CREATED, "web")
    assert run_job(app, "retention", CREATED + 3 * PERIOD) == NOTHING
    api = Api(app.test_client(), token_for(app, ana.id))
    shown = api.get(f"/referrals/{number}").json
    assert [e["detail"] for e in shown["events"] if e["kind"] == "note"] == [{"text": SECRET}]
    assert shown["participant_name"] == "Jane Doe"
    assert erasures(app, number) == []
