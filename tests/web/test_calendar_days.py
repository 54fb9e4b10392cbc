"""The calendar's layout: whole local days, DST days sized by real time, one colour a person."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.rotation import Segment
from hotline.web.calendar_days import calendar, colours, day_window

LA = ZoneInfo("America/Los_Angeles")
NAMES = {1: "Zoe Park", 2: "Ana Diaz"}


def test_a_spring_forward_day_is_23_hours_and_its_bars_say_their_local_hours() -> None:
    first = date(2027, 3, 14)  # clocks jump from 02:00 to 03:00 in Los Angeles
    start, end = day_window(first, 1, LA)
    assert (end - start).total_seconds() == 23 * 3600
    handoff = datetime(2027, 3, 14, 12, tzinfo=LA).astimezone(UTC)  # noon local, 11 h in
    segments = [
        Segment(1, start, handoff, 1, "rotation"),
        Segment(1, handoff, end, 2, "override"),
    ]
    (day,) = calendar(segments, first, 1, NAMES, LA, now=start)
    first_bar, second_bar = day.tiers[0].bars
    assert (first_bar.hours, second_bar.hours) == ("00:00–12:00", "12:00–24:00")
    assert first_bar.width == round(11 / 23 * 100, 3)  # real time, not 12/24 of the line
    assert second_bar.kind == "override" and second_bar.name == "Ana Diaz"
    assert day.now == 0.0


def test_each_person_keeps_one_colour_in_name_order_and_gaps_have_none() -> None:
    first = date(2027, 1, 4)
    start, end = day_window(first, 2, LA)
    middle = datetime(2027, 1, 5, 8, tzinfo=LA)
    segments = [Segment(1, start, middle, 1, "rotation"), Segment(1, middle, end, None, None)]
    segments.append(Segment(2, start, end, 2, "rotation"))
    assert colours(segments, NAMES) == {2: 0, 1: 1}  # Ana before Zoe
    days = calendar(segments, first, 2, NAMES, LA, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert [bar.colour for bar in days[0].tiers[0].bars] == [1]
    assert [(bar.name, bar.colour) for bar in days[1].tiers[0].bars] == [("Zoe Park", 1), ("", -1)]
    assert not days[0].has_gap and days[1].has_gap
    assert days[0].now is None and days[1].now is None


@pytest.mark.parametrize(
    ("day", "hours_long"),
    [(date(2027, 3, 14), 23), (date(2027, 11, 7), 25), (date(2027, 1, 4), 24)],
)
def test_the_faint_hour_lines_sit_at_those_local_hours_on_a_dst_day_too(
    day: date, hours_long: int
) -> None:
    # A noon hand-off's bar must begin on the 12:00 line, on a 23- or 25-hour day as on any.
    start, end = day_window(day, 1, LA)
    assert (end - start).total_seconds() == hours_long * 3600
    noon = datetime.combine(day, time(12), LA).astimezone(UTC)
    segments = [Segment(1, start, noon, 1, "rotation"), Segment(1, noon, end, 2, "rotation")]
    (shown,) = calendar(segments, day, 1, NAMES, LA, now=start)
    marks = dict((label, left) for left, label in shown.marks)
    assert marks["12:00"] == shown.tiers[0].bars[1].left
    six = datetime.combine(day, time(6), LA).astimezone(UTC)
    assert marks["06:00"] == round((six - start) / (end - start) * 100, 3)


def test_a_bar_in_the_repeated_fall_back_hour_says_which_pass_its_times_are() -> None:
    # Clocks go back from 02:00 PDT to 01:00 PST: "01:00–01:00" would say nothing.
    day = date(2027, 11, 7)
    start, end = day_window(day, 1, LA)
    first_one = datetime(2027, 11, 7, 8, tzinfo=UTC)  # 01:00 PDT
    second_one = first_one + timedelta(hours=1)  # 01:00 PST
    segments = [
        Segment(1, start, first_one, 1, "rotation"),
        Segment(1, first_one, second_one, 2, "override"),
        Segment(1, second_one, end, 1, "rotation"),
    ]
    (shown,) = calendar(segments, day, 1, NAMES, LA, now=start)
    assert [bar.hours for bar in shown.tiers[0].bars] == [
        "00:00–01:00 PDT",
        "01:00 PDT–01:00 PST",
        "01:00 PST–24:00",
    ]
