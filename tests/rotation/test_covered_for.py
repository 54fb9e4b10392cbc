"""Whom an override stands in for: the tier's holders as they would be without it."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.rotation import Override, Program, Rotation, covered_for
from tests.rotation.reference import utc

LA = "America/Los_Angeles"


def test_an_override_across_a_hand_off_covers_both_people() -> None:
    # Daily 08:00 hand-offs between 1 and 2; the override spans the 8 Jan hand-off.
    rotation = Rotation(1, 1, datetime(2027, 1, 7, 8), 24, (1, 2), LA)
    cover = Override(9, 3, 1, utc(2027, 1, 8, 12), utc(2027, 1, 8, 20))  # 04:00-12:00 local
    program = Program((rotation,), (cover,))
    assert covered_for(program, 9, utc(2027, 1, 1), utc(2027, 2, 1)) == [1, 2]


def test_an_override_on_an_empty_tier_covers_a_gap_and_ignores_the_past() -> None:
    cover = Override(9, 3, 2, utc(2027, 1, 8), utc(2027, 1, 9))
    program = Program((), (cover,))
    assert covered_for(program, 9, utc(2027, 1, 1), utc(2027, 2, 1)) == [None]
    assert covered_for(program, 9, utc(2027, 1, 10), utc(2027, 2, 1)) == []  # already over


def test_a_long_override_is_looked_at_only_up_to_the_horizon() -> None:
    rotation = Rotation(1, 1, datetime(2027, 1, 7, 8), 24 * 7, (1, 2), LA)
    cover = Override(9, 3, 1, utc(2027, 1, 7, 16), utc(2028, 1, 7, 16))
    program = Program((rotation,), (cover,))
    horizon = utc(2027, 1, 7, 16) + timedelta(days=3)
    assert covered_for(program, 9, utc(2027, 1, 1), horizon) == [1]
