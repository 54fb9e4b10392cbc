"""Intake windows close on time; old closed referrals lose their identifiers (SPEC §7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import AuditEvent, Call, Message, Referral, ReferralEvent
from hotline.services.referrals import add_event
from tests.factories import add_officer, add_user
from tests.jobs.conftest import run, texts_to

CREATED = datetime(2026, 4, 1, 12, tzinfo=UTC)
WINDOW = timedelta(days=30)  # HOTLINE_INTAKE_DAYS


def add_referral(app: Flask, status: str, type_: str = "arrest_diversion", **fields: object) -> int:
    """Add an SMS referral created at CREATED; return its number."""
    with session_scope(app) as session:
        referral = Referral(channel="sms", type=type_, status=status, created_at=CREATED, **fields)
        session.add(referral)
        session.flush()
        return referral.id


def status_of(app: Flask, referral_id: int) -> str:
    with session_scope(app) as session:
        return session.get_one(Referral, referral_id).status


class TestIntakeDeadlines:
    """Arrest diversions still open after the window become intake_missed, once."""

    def test_boundary_minutes(self, app: Flask) -> None:
        officer, ana = add_officer(app), add_user(app, "Ana Diaz")
        number = add_referral(
            app, "acknowledged", officer_phone=officer.phone, acknowledged_by=ana.id
        )
        second = timedelta(seconds=1)
        assert run(app, "intake-deadlines", CREATED + WINDOW).startswith("0 ")  # not older yet
        assert status_of(app, number) == "acknowledged"
        assert run(app, "intake-deadlines", CREATED + WINDOW + second).startswith("1 ")
        assert status_of(app, number) == "intake_missed"
        assert run(app, "intake-deadlines", CREATED + WINDOW + 2 * second).startswith("0 ")
        assert texts_to(app, officer.phone) == [f"LEAD #{number}: intake not completed."]
        (reminder,) = texts_to(app, ana.phone)
        assert reminder.startswith(f"LEAD #{number}: the 30-day intake window closed")

    def test_the_window_is_the_settings_number_of_days(self, app: Flask) -> None:
        # SPEC §7 `intake-deadlines`: "older than HOTLINE_INTAKE_DAYS × 24 h (from creation)".
        app.config["HOTLINE_INTAKE_DAYS"] = 7
        officer = add_officer(app)
        number = add_referral(app, "assessed", officer_phone=officer.phone)
        week = timedelta(days=7)
        assert run(app, "intake-deadlines", CREATED + week).startswith("0 ")
        assert run(app, "intake-deadlines", CREATED + week + timedelta(seconds=1)).startswith("1 ")
        assert status_of(app, number) == "intake_missed"

    def test_a_coordinator_who_has_left_is_not_texted_the_reminder(self, app: Flask) -> None:
        officer, ana = add_officer(app), add_user(app, "Ana Diaz", active=False)
        number = add_referral(
            app, "acknowledged", officer_phone=officer.phone, acknowledged_by=ana.id
        )
        assert run(app, "intake-deadlines", CREATED + 2 * WINDOW).startswith("1 ")
        assert texts_to(app, officer.phone) == [f"LEAD #{number}: intake not completed."]
        assert texts_to(app, ana.phone) == []  # her phone is no longer the program's to text

    def test_social_contacts_and_closed_or_unacknowledged_referrals_are_left_alone(
        self, app: Flask
    ) -> None:
        social = add_referral(app, "acknowledged", type_="social_contact")
        waiting = add_referral(app, "notified")
        done = add_referral(app, "intake_completed")
        assessed = add_referral(app, "assessed")
        run(app, "intake-deadlines", CREATED + 2 * WINDOW)
        assert [status_of(app, n) for n in (social, waiting, done, assessed)] == [
            "acknowledged",
            "notified",
            "intake_completed",
            "intake_missed",
        ]

    def test_a_referral_its_coordinator_holds_after_an_unreachable_assessment_misses_too(
        self, app: Flask
    ) -> None:
        # Her `unable_to_contact` assessment made it hers and left it `notified` (SPEC §6):
        # escalation passes it over, so without the deadline it would stay open for good.
        officer, ana = add_officer(app), add_user(app, "Ana Diaz")
        held = add_referral(app, "notified", officer_phone=officer.phone, acknowledged_by=ana.id)
        call = add_referral(app, "received", officer_phone=officer.phone, acknowledged_by=ana.id)

        assert run(app, "intake-deadlines", CREATED + WINDOW + timedelta(hours=1)).startswith("2 ")

        assert [status_of(app, n) for n in (held, call)] == ["intake_missed", "intake_missed"]
        assert texts_to(app, officer.phone) == [
            f"LEAD #{held}: intake not completed.",
            f"LEAD #{call}: intake not completed.",
        ]
        assert len(texts_to(app, ana.phone)) == 2


class TestRetention:
    """Identifiers of closed referrals older than HOTLINE_RETENTION_DAYS are erased; facts stay."""

    def test_erases_names_places_notes_recordings_and_texts(self, app: Flask) -> None:
        app.config["HOTLINE_RETENTION_DAYS"] = 90
        old = add_referral(
            app,
            "intake_completed",
            participant_name="Jane Doe",
            location="3rd & Pine",
            recording_url="https://x/RE1",
        )
        still_open = add_referral(
            app, "acknowledged", participant_name="John Roe", location="Union St"
        )
        with session_scope(app) as session:
            add_event(session, old, "note", "sms", CREATED, detail={"text": "Jane needs housing"})
            add_event(session, old, "acknowledged", "sms", CREATED)
            session.add(
                Message(
                    direction="in",
                    from_number="+1",
                    to_number="+2",
                    body="Jane Doe",
                    status="received",
                    created_at=CREATED,
                    referral_id=old,
                )
            )
            session.add(
                Call(
                    call_sid="CA1",
                    from_number="+1",
                    to_number="+2",
                    started_at=CREATED,
                    referral_id=old,
                    recording_url="https://x/RE1",
                    chain=[],
                )
            )
        # SPEC §7 `retention`: "referrals closed ... and created more than that many days
        # ago": one created exactly 90 days ago is not yet more than 90 days old.
        assert (
            run(app, "retention", CREATED + timedelta(days=90))
            == "0 referrals erased, 0 participants erased, 0 texts outside any record erased"
        )
        assert (
            run(app, "retention", CREATED + timedelta(days=90, seconds=1))
            == "1 referrals erased, 0 participants erased, 0 texts outside any record erased"
        )
        assert (
            run(app, "retention", CREATED + timedelta(days=91))
            == "0 referrals erased, 0 participants erased, 0 texts outside any record erased"
        )
        with session_scope(app) as session:
            erased = session.get_one(Referral, old)
            assert (erased.participant_name, erased.location, erased.recording_url) == (
                None,
                None,
                None,
            )
            assert erased.status == "intake_completed" and erased.created_at == CREATED
            details = {e.kind: e.detail for e in session.scalars(select(ReferralEvent))}
            assert details == {"note": None, "acknowledged": None}
            assert session.scalars(select(Message.body)).one() is None
            assert session.scalars(select(Call.recording_url)).one() is None
            assert session.get_one(Referral, still_open).participant_name == "John Roe"
            audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).one()
            assert (audit.entity, audit.entity_id, audit.channel) == ("referral", old, "system")

    def test_unset_retention_keeps_everything(self, app: Flask) -> None:
        old = add_referral(app, "declined", participant_name="Jane Doe")
        assert (
            run(app, "retention", CREATED + timedelta(days=3650))
            == "0 referrals erased, 0 participants erased, 0 texts outside any record erased"
        )
        with session_scope(app) as session:
            assert session.get_one(Referral, old).participant_name == "Jane Doe"


class TestParticipantRetention:
    """An exited participant's identifiers go HOTLINE_RETENTION_DAYS after they left (issue 16)."""

    def test_exited_participants_are_erased_after_the_period_active_ones_never(
        self, app: Flask
    ) -> None:
        from hotline.models import Charge, Participant, PlanEntry
        from hotline.schemas.participants import ParticipantPatch
        from hotline.services.participants import update_participant
        from hotline.services.retention import SYSTEM

        app.config["HOTLINE_RETENTION_DAYS"] = 90
        with session_scope(app) as session:
            people = [
                Participant(name=name, aliases=["JD"], status="active", created_at=CREATED)
                for name in ("Jane Doe", "Still Here")
            ]
            session.add_all(people)
            session.flush()
            gone, here = people[0].id, people[1].id
            session.add(
                PlanEntry(
                    participant_id=gone,
                    need="housing",
                    note="shelter bed",
                    created_at=CREATED,
                    updated_at=CREATED,
                )
            )
            session.add(
                Charge(
                    participant_id=gone,
                    date=CREATED.date(),
                    description="Theft 3",
                    recorded_at=CREATED,
                )
            )
            update_participant(session, gone, ParticipantPatch(status="exited"), SYSTEM, CREATED)
        left = CREATED + timedelta(days=90)
        assert run(app, "retention", left - timedelta(minutes=1)).endswith(
            "0 participants erased, 0 texts outside any record erased"
        )
        assert run(app, "retention", left).endswith(
            "1 participants erased, 0 texts outside any record erased"
        )
        assert run(app, "retention", left + timedelta(days=1)).endswith(
            "0 participants erased, 0 texts outside any record erased"
        )
        with session_scope(app) as session:
            erased = session.get_one(Participant, gone)
            assert (erased.name, erased.aliases, erased.erased_at) == ("(erased)", [], left)
            assert session.scalars(select(PlanEntry.note)).all() == [None]
            assert session.scalars(select(Charge.description)).all() == ["(erased)"]
            assert session.get_one(Participant, here).name == "Still Here"
