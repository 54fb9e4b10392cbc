"""Hand-offs, windows and resolution on the SPEC §3 cases people ask about."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hotline.rotation import (
    GAP,
    Assignment,
    Override,
    Program,
    Rotation,
    Window,
    assignment_at,
    escalation_chain,
    final_schedule,
    on_call,
)
from hotline.rotation.handoff import handoff_instant
from tests.rotation.reference import utc

LA = "America/Los_Angeles"


def daily(start: datetime, *people: int, zone: str = LA, **fields: object) -> Rotation:
    return Rotation(1, 1, start, 24, people, zone, **fields)  # type: ignore[arg-type]


class TestHandoffInstants:
    """Hand-offs are wall-clock readings made instants by the first-reading rule."""

    @pytest.mark.parametrize(
        ("start", "zone", "k", "expected"),
        [
            # A daily 08:00 hand-off stays at 08:00 local across spring-forward (PST→PDT).
            (datetime(2026, 3, 7, 8), LA, 0, utc(2026, 3, 7, 16)),
            (datetime(2026, 3, 7, 8), LA, 1, utc(2026, 3, 8, 15)),
            # 02:30 does not exist on 8 March 2026 in Los Angeles: the transition instant.
            (datetime(2026, 3, 8, 2, 30), LA, 0, utc(2026, 3, 8, 10)),
            # 01:30 happens twice on 1 November 2026: its first occurrence (PDT).
            (datetime(2026, 11, 1, 1, 30), LA, 0, utc(2026, 11, 1, 8, 30)),
            # Lord Howe springs from 02:00 to 02:30: 02:15 maps to the transition.
            (datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe", 0, utc(2026, 10, 3, 15, 30)),
            # Lord Howe falls back from 02:00 to 01:30: 01:45 is first read at +11:00.
            (datetime(2026, 4, 5, 1, 45), "Australia/Lord_Howe", 0, utc(2026, 4, 4, 14, 45)),
            (datetime(2026, 3, 29, 1, 30), "Europe/London", 0, utc(2026, 3, 29, 1)),
        ],
    )
    def test_handoff_maps_to_first_instant_reading_it(self, start, zone, k, expected):  # type: ignore[no-untyped-def]
        assert handoff_instant(daily(start, 1, zone=zone), k) == expected

    def test_hourly_rotation_gives_the_skipped_turn_to_the_next_person(self) -> None:
        # 01:00 → A, 02:00 (skipped) → B, 03:00 → C: B's hand-off and C's coincide.
        rotation = Rotation(1, 1, datetime(2026, 3, 8, 1), 1, (1, 2, 3), LA)
        program = Program((rotation,))
        assert assignment_at(program, 1, utc(2026, 3, 8, 9, 59)).user_id == 1
        assert assignment_at(program, 1, utc(2026, 3, 8, 10)).user_id == 3

    def test_nobody_is_covered_before_the_first_handoff(self) -> None:
        program = Program((daily(datetime(2026, 5, 1, 8), 1),))
        assert assignment_at(program, 1, utc(2026, 5, 1, 14, 59)) == GAP
        assert assignment_at(program, 1, utc(2026, 5, 1, 15)) == Assignment(1, "rotation")


class TestWindows:
    """Weekly windows restrict a rotation to local wall-clock stretches."""

    def test_window_that_crosses_midnight_belongs_to_the_listed_night(self) -> None:
        night = Window.from_dict({"days": ["fri"], "start": "22:00", "end": "06:00"})
        assert night.contains(datetime(2026, 5, 1, 23))  # Friday night
        assert night.contains(datetime(2026, 5, 2, 5, 59))  # Saturday small hours
        assert not night.contains(datetime(2026, 5, 1, 5))  # Friday small hours: Thursday's night
        assert not night.contains(datetime(2026, 5, 2, 6))

    def test_equal_start_and_end_is_the_whole_day_from_start(self) -> None:
        whole = Window.from_dict({"days": ["mon"], "start": "00:00", "end": "00:00"})
        assert whole.contains(datetime(2026, 5, 4, 0))
        assert whole.contains(datetime(2026, 5, 4, 23, 59))
        assert not whole.contains(datetime(2026, 5, 5, 0))

    def test_window_edge_in_the_repeated_hour_is_crossed_twice(self) -> None:
        window = {"days": ["sun"], "start": "01:30", "end": "12:00"}
        rotation = daily(datetime(2026, 10, 1), 7, windows=(Window.from_dict(window),))
        segments = final_schedule(
            Program((rotation,)), 1, utc(2026, 11, 1, 8), utc(2026, 11, 1, 10)
        )
        covered = [(s.start, s.end) for s in segments if s.user_id == 7]
        # 01:30 PDT-01:59 PDT, then again from 01:30 PST.
        assert covered == [
            (utc(2026, 11, 1, 8, 30), utc(2026, 11, 1, 9)),
            (utc(2026, 11, 1, 9, 30), utc(2026, 11, 1, 10)),
        ]

    @pytest.mark.parametrize(
        "raw",
        [
            {"days": [], "start": "08:00", "end": "09:00"},
            {"days": ["funday"], "start": "08:00", "end": "09:00"},
            {"days": ["mon"], "start": "24:00", "end": "09:00"},
            {"days": ["mon"], "start": "8:00", "end": "09:00"},
            {"days": ["mon"], "start": "08:00"},
            ["mon"],
        ],
    )
    def test_malformed_window_is_refused(self, raw: object) -> None:
        with pytest.raises(ValueError):
            Window.from_dict(raw)


class TestResolution:
    """Overrides beat rotations; priorities order rotations; inactive people never serve."""

    def test_latest_override_wins_among_overlapping(self) -> None:
        program = Program(
            (daily(datetime(2026, 5, 1, 8), 1),),
            (
                Override(1, 2, 1, utc(2026, 5, 2), utc(2026, 5, 4)),
                Override(2, 3, 1, utc(2026, 5, 3), utc(2026, 5, 3, 6)),
            ),
        )
        assert assignment_at(program, 1, utc(2026, 5, 3, 1)) == Assignment(3, "override")
        assert assignment_at(program, 1, utc(2026, 5, 3, 6)) == Assignment(2, "override")

    def test_override_for_the_person_on_call_starts_a_new_segment(self) -> None:
        program = Program(
            (daily(datetime(2026, 5, 1, 8), 1),),
            (Override(1, 1, 1, utc(2026, 5, 2), utc(2026, 5, 3)),),
        )
        segments = final_schedule(program, 1, utc(2026, 5, 1, 20), utc(2026, 5, 3, 1))
        assert [(s.user_id, s.source) for s in segments] == [
            (1, "rotation"),
            (1, "override"),
            (1, "rotation"),
        ]

    def test_higher_priority_wins_and_ties_go_to_the_lowest_id(self) -> None:
        start = datetime(2026, 5, 1)
        low = Rotation(1, 1, start, 24, (1,), LA, priority=0)
        high = Rotation(2, 1, start, 24, (2,), LA, priority=5)
        tie = Rotation(3, 1, start, 24, (3,), LA, priority=5)
        assert assignment_at(Program((low, high, tie)), 1, utc(2026, 5, 2)).user_id == 2

    def test_inactive_person_leaves_a_gap_and_their_override_does_not_apply(self) -> None:
        program = Program(
            (daily(datetime(2026, 5, 1, 8), 1),),
            (Override(1, 2, 1, utc(2026, 5, 2), utc(2026, 5, 3)),),
            inactive=frozenset({1, 2}),
        )
        assert assignment_at(program, 1, utc(2026, 5, 2, 12)) == GAP

    def test_on_call_reports_each_tier_and_when_it_changes(self) -> None:
        primary = daily(datetime(2026, 5, 1, 8), 1, 2)
        backup = Rotation(2, 2, datetime(2026, 5, 1, 8), 168, (3,), LA)
        program = Program((primary, backup))
        answers = on_call(program, utc(2026, 5, 2, 12))
        assert [(a.tier, a.user_id, a.until) for a in answers] == [
            (1, 1, utc(2026, 5, 2, 15)),
            (2, 3, None),
        ]
        assert escalation_chain(program, utc(2026, 5, 2, 12)) == [1, 3]

    def test_chain_lists_a_person_once_even_on_two_tiers(self) -> None:
        program = Program(
            (daily(datetime(2026, 5, 1, 8), 1), Rotation(2, 2, datetime(2026, 5, 1), 24, (1,), LA))
        )
        assert escalation_chain(program, utc(2026, 5, 2) + timedelta(hours=20)) == [1]
