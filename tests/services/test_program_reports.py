"""Program figures after intake (issue 16): referred again, the plan, complementary suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from hotline.db import session_scope
from hotline.models import Participant, PlanEntry, Provider
from hotline.services.program_reports import participant_figures, plan_rows, suppressed
from tests.factories import add_referred_participant

START = datetime(2026, 1, 1, tzinfo=UTC)
LATER = START + timedelta(days=800)  # every first referral of January followed a year and more


def test_referred_again_is_counted_from_the_first_referral_in_the_period(app: Flask) -> None:
    gaps = {"active": [[0, 100], [0, 300], [0]], "exited": [[0, 400]]}  # days after the first
    for status, people in gaps.items():
        for days in people:
            add_referred_participant(app, *(START + timedelta(days=d) for d in days), status=status)
    with session_scope(app) as session:
        figures = participant_figures(session, START, START + timedelta(days=31), LATER)
    assert (figures.active, figures.exited, figures.first_referred) == (3, 1, 4)
    assert figures.followed == {"6 months": 4, "12 months": 4}
    assert figures.again == {"6 months": 1, "12 months": 2}


def test_referred_again_counts_only_those_followed_that_long(app: Flask) -> None:
    """A participant first referred last month cannot yet be counted as not back within a year."""
    now = START + timedelta(days=200)
    for days in ([0, 100], [0], [190, 195]):  # days after START
        add_referred_participant(app, *(START + timedelta(days=d) for d in days))
    with session_scope(app) as session:
        figures = participant_figures(session, START, now, now)
    assert figures.first_referred == 3
    assert figures.followed == {"6 months": 2, "12 months": 0}  # the third came 10 days ago
    assert figures.again == {"6 months": 1, "12 months": 0}


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


def could_be(counts: list[int], total: int) -> list[set[int]]:
    """Return, cell by cell, every value a reader could take it for, knowing the total.

    The reader knows which cells are small (1-4; 0-4 for a hidden 0) and which
    are 5 or more: every way to fill the cells so they add up to the total counts.
    """
    ranges = [range(5, total + 1) if n >= 5 else range(0 if n == 0 else 1, 5) for n in counts]

    possible: list[set[int]] = []
    for index, values in enumerate(ranges):
        others = ranges[:index] + ranges[index + 1 :]
        possible.append({v for v in values if v <= total and can_fill(others, total - v)})
    return possible


def can_fill(ranges: list[range], target: int) -> bool:
    """Tell whether one value from each range adds up to target."""
    reachable = {0}
    for values in ranges:
        reachable = {s + v for s in reachable for v in values if s + v <= target}
    return target in reachable


@given(
    st.dictionaries(st.sampled_from("ABCDEF"), st.integers(0, 12), min_size=1),
    st.frozensets(st.sampled_from("ABCDEF"), max_size=2),
)
def test_no_hidden_count_can_be_worked_out_from_the_total(
    counts: dict[str, int], forced: frozenset[str]
) -> None:
    shown = suppressed(counts, forced)
    if shown is None:
        # Withheld only when even hiding every cell leaves one that the total gives away.
        everything = [n for g, n in counts.items() if n > 0 or g in forced]
        assert any(len(values) == 1 for values in could_be(everything, sum(everything)))
        return
    hidden = [group for group, value in shown.items() if value is None]
    assert all(shown[g] == n for g, n in counts.items() if g not in hidden)
    assert all(counts[g] >= 5 or counts[g] == 0 or g in hidden for g in counts)
    assert set(forced) & set(counts) <= set(hidden)
    cells = [counts[g] for g in hidden]
    assert all(len(values) > 1 for values in could_be(cells, sum(cells))), shown


def test_two_small_groups_that_add_up_to_eight_are_withheld() -> None:
    assert suppressed({"A": 4, "B": 4}) is None  # both can only be 4
    assert suppressed({"A": 4, "B": 4, "C": 9}) == {"A": None, "B": None, "C": None}
    assert suppressed({"A": 1, "B": 5}) is None  # 6 is only 1 + 5
    assert suppressed({"A": 2, "B": 5}) == {"A": None, "B": None}  # 1 + 6 or 2 + 5
