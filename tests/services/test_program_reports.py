"""Program figures after intake (issue 16): referred again, the plan, complementary suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from hotline.db import session_scope
from hotline.models import Participant, PlanEntry, Provider, Referral
from hotline.services.program_reports import participant_figures, plan_rows, suppressed

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_referred_again_is_counted_from_the_first_referral_in_the_period(app: Flask) -> None:
    with session_scope(app) as session:
        people = [
            Participant(name=f"P{i}", aliases=[], status="active", created_at=START)
            for i in range(3)
        ]
        people.append(Participant(name="Gone", aliases=[], status="exited", created_at=START))
        session.add_all(people)
        session.flush()
        gaps = {0: [0, 100], 1: [0, 300], 2: [0], 3: [0, 400]}  # days after the first referral
        for index, days in gaps.items():
            for day in days:
                session.add(
                    Referral(
                        channel="sms",
                        status="intake_completed",
                        created_at=START + timedelta(days=day),
                        participant_id=people[index].id,
                    )
                )
        session.flush()
        figures = participant_figures(session, START, START + timedelta(days=31))
    assert (figures.active, figures.exited, figures.first_referred) == (3, 1, 4)
    assert figures.again == {"6 months": 1, "12 months": 2}


def test_plan_entries_by_need_and_by_provider(app: Flask) -> None:
    with session_scope(app) as session:
        person = Participant(name="P", aliases=[], status="active", created_at=START)
        provider = Provider(name="Evergreen", needs=["housing"], active=True, created_at=START)
        session.add_all([person, provider])
        session.flush()
        entries = [
            ("housing", "started", provider.id),
            ("housing", "completed", provider.id),
            ("food", "planned", None),
        ]
        for need, status, by in entries:
            session.add(
                PlanEntry(
                    participant_id=person.id,
                    need=need,
                    status=status,
                    provider_id=by,
                    created_at=START,
                    updated_at=START,
                )
            )
        session.flush()
        by_need, by_provider = plan_rows(session)
    assert [(r.name, r.planned, r.started, r.completed) for r in by_need] == [
        ("food", 1, 0, 0),
        ("housing", 0, 1, 1),
    ]
    assert [(r.name, r.started, r.completed) for r in by_provider] == [
        ("Evergreen", 1, 1),
        ("no provider yet", 0, 0),
    ]


@given(st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 30), min_size=2))
def test_no_hidden_count_can_be_worked_out_from_the_total(counts: dict[str, int]) -> None:
    shown = suppressed(counts)
    hidden = [group for group, value in shown.items() if value is None]
    assert all(shown[g] == n for g, n in counts.items() if g not in hidden)
    assert all(counts[g] >= 5 or counts[g] == 0 or g in hidden for g in counts)
    assert len(hidden) != 1  # one hidden cell would be the total minus the others
