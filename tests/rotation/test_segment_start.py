"""When the segment holding an instant began, however long ago (the calendar's stable UIDs)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline.rotation import Override, Program, Rotation, segment_start
from tests.rotation.reference import utc

LA = "America/Los_Angeles"
A_YEAR = timedelta(days=366)


def test_one_person_on_call_for_years_began_at_the_first_hand_off() -> None:
    rotation = Rotation(1, 1, datetime(2020, 1, 6, 8), 24, (7,), LA)
    program = Program((rotation,), ())
    for asked in (utc(2026, 5, 4, 12), utc(2026, 5, 4, 13), utc(2031, 2, 1)):
        assert segment_start(program, 1, asked, A_YEAR) == utc(2020, 1, 6, 16)


def test_a_recent_segment_is_found_within_the_first_look() -> None:
    rotation = Rotation(1, 1, datetime(2020, 1, 6, 8), 24, (7, 8), LA)
    program = Program((rotation,), ())
    assert segment_start(program, 1, utc(2026, 5, 4, 12), A_YEAR) == utc(2026, 5, 3, 15)


def test_a_long_override_began_when_it_was_made_to() -> None:
    rotation = Rotation(1, 1, datetime(2020, 1, 6, 8), 24, (7, 8), LA)
    cover = Override(9, 3, 1, utc(2021, 3, 1), utc(2030, 1, 1))
    program = Program((rotation,), (cover,))
    assert segment_start(program, 1, utc(2026, 5, 4, 12), A_YEAR) == utc(2021, 3, 1)


def test_a_tier_nobody_ever_covered_is_a_gap_from_as_far_back_as_asked() -> None:
    program = Program((), ())
    asked = utc(2026, 5, 4, 12)
    assert segment_start(program, 1, asked, A_YEAR) == asked - A_YEAR
