"""`hotline demo` builds its own sample program, and only once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.cli.demo import demo_app
from hotline.db import session_scope
from hotline.demo import COORDINATORS, SUPERVISORS, seed
from hotline.demo_participants import STAFF
from hotline.models import User
from hotline.services.oncall import who_is_on_call


def test_demo_seeds_a_program_with_someone_on_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/never-used")
    app = demo_app(reset=False, instance_path=tmp_path)
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'demo.db'}"
    now = datetime.now(UTC)
    with session_scope(app) as session:
        first = seed(session, now)
    with session_scope(app) as session:
        again = seed(session, now)
        answer = who_is_on_call(session, now, [])
    assert [u.id for u in again] == [u.id for u in first]
    assert len(first) == 10 and first[-1].role == "supervisor"
    assert {u.role for u in first} == {"coordinator", "supervisor", "case_manager", "prosecutor"}
    assert [t["tier"] for t in answer["tiers"]] == [1, 2]
    assert all(t["user"] is not None for t in answer["tiers"])


def test_demo_reset_rebuilds_the_data(tmp_path: Path) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC))
        session.add(
            User(
                name="Extra",
                email="x@example.org",
                phone="+12065550199",
                role="coordinator",
                created_at=datetime.now(UTC),
            )
        )
    app.extensions["hotline.db"].engine.dispose()
    fresh = demo_app(reset=True, instance_path=tmp_path)
    with session_scope(fresh) as session:
        users = seed(session, datetime.now(UTC))
    assert [u.name for u in users] == [*COORDINATORS, *(n for n, _ in STAFF), *SUPERVISORS]


def test_demo_program_has_history_in_every_status_and_a_gap_next_week(tmp_path: Path) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from hotline.models import Officer, Referral
    from hotline.services.oncall import schedule_segments

    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now)
        statuses = set(session.scalars(select(Referral.status)))
        agencies = {o.agency for o in session.scalars(select(Officer))}
        officers = len(session.scalars(select(Officer)).all())
        segments = schedule_segments(session, now, now + timedelta(days=14), 1)
    assert statuses == {
        "received",
        "notified",
        "acknowledged",
        "assessed",
        "intake_completed",
        "intake_missed",
        "ineligible",
        "declined",
        "not_a_referral",
    }
    assert officers == 20 and len(agencies) == 2
    assert any(s.user_id is None and s.start < now + timedelta(days=14) for s in segments)


def test_demo_calls_nobody_took_arrive_blank_and_no_intake_is_past_its_window(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from hotline.models import Referral
    from hotline.services.deadlines import miss_overdue_intakes

    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now)
        untaken_calls = session.scalars(
            select(Referral).where(
                Referral.channel == "voice", Referral.status.in_(("received", "notified"))
            )
        ).all()
        assert untaken_calls  # the tour's "take a call → complete it" has calls to complete
        for referral in untaken_calls:
            assert (referral.type, referral.participant_name, referral.location) == (None,) * 3
            assert referral.consent_at is None
        # The intake-deadlines job finds nothing to close: the history left nothing overdue.
        assert miss_overdue_intakes(session, now + timedelta(minutes=1), 30, None) == 0


def test_demo_has_participants_with_plans_consents_and_a_contact(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from hotline.models import Consent, Contact, Participant, PlanEntry, Provider, Referral

    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC))
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Participant) == 8 and count(Provider) == 4
        assert count(PlanEntry) >= 8 and count(Contact) == 1
        scopes = set(session.scalars(select(Consent.scope)))
        assert scopes == {"officer_status", "prosecutor"}
        linked = session.scalar(
            select(func.count()).select_from(Referral).where(Referral.participant_id.is_not(None))
        )
        assert linked == 8
        managers = set(session.scalars(select(Participant.case_manager_id)))
        assert len(managers) == 2  # both case managers have a caseload
