"""The engine agrees with a brute-force reading of SPEC §3 around DST changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from hotline.rotation import (
    Override,
    Program,
    Rotation,
    Window,
    assignment_at,
    chain_until,
    escalation_chain,
    final_schedule,
    next_change,
    segment_start,
)
from tests.rotation.reference import (
    DAYS,
    MINUTE,
    RefOverride,
    RefRotation,
    minutes,
    reference_schedule,
    utc,
)

# Instants next to the 2026 DST changes of the zones SPEC-checked (Lord Howe moves 30 min).
DST_CHANGES = {
    "America/Los_Angeles": [utc(2026, 3, 8, 10), utc(2026, 11, 1, 9)],
    "America/New_York": [utc(2026, 3, 8, 7), utc(2026, 11, 1, 6)],
    "Europe/London": [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1)],
    "Australia/Lord_Howe": [utc(2026, 4, 4, 15), utc(2026, 10, 3, 15, 30)],
}
ZONES = [*DST_CHANGES, "UTC"]
SPAN = timedelta(hours=30)
USERS = st.integers(min_value=1, max_value=5)
QUARTER_HOURS = st.integers(min_value=0, max_value=95).map(
    lambda q: f"{q // 4:02d}:{q % 4 * 15:02d}"
)


@st.composite
def windows(draw: st.DrawFn) -> dict[str, object]:
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
    return {"days": days, "start": draw(QUARTER_HOURS), "end": draw(QUARTER_HOURS)}


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[RefRotation], list[RefOverride], set[int], datetime]:
    zone_of_anchor = draw(st.sampled_from(list(DST_CHANGES)))
    anchor = draw(st.sampled_from(DST_CHANGES[zone_of_anchor]))
    rotations = []
    for rotation_id in range(1, draw(st.integers(1, 3)) + 1):
        zone = draw(st.sampled_from([zone_of_anchor, zone_of_anchor, *ZONES]))
        shift_hours = draw(st.sampled_from([1, 2, 3, 5, 8, 12, 23, 24, 25, 48, 168]))
        from zoneinfo import ZoneInfo

        anchor_local = anchor.astimezone(ZoneInfo(zone)).replace(tzinfo=None, minute=0)
        # Aim a hand-off at the DST hour itself, or anywhere in the days around it.
        aimed = (
            anchor_local + draw(st.sampled_from([-60, -30, -15, 0, 15, 30, 45, 60, 90])) * MINUTE
        )
        aimed -= draw(st.integers(0, 6)) * timedelta(hours=shift_hours)
        loose = anchor_local + draw(st.integers(-4 * 96, 96)) * 15 * MINUTE
        rotations.append(
            RefRotation(
                id=rotation_id,
                tier=draw(st.integers(1, 2)),
                timezone=zone,
                start=draw(st.sampled_from([aimed, loose])),
                shift_hours=shift_hours,
                participants=draw(st.lists(USERS, min_size=1, max_size=4)),
                priority=draw(st.integers(0, 2)),
                windows=draw(st.lists(windows(), max_size=2)),
            )
        )
    overrides = []
    for override_id in range(1, draw(st.integers(0, 3)) + 1):
        start = anchor + draw(st.integers(-120, 120)) * 15 * MINUTE
        overrides.append(
            RefOverride(
                override_id,
                draw(USERS),
                draw(st.integers(1, 2)),
                start,
                start + draw(st.integers(1, 96)) * 15 * MINUTE,
            )
        )
    inactive = draw(st.sets(USERS, max_size=2))
    return rotations, overrides, inactive, anchor


def to_program(
    rotations: list[RefRotation], overrides: list[RefOverride], inactive: set[int]
) -> Program:
    return Program(
        tuple(
            Rotation(
                r.id,
                r.tier,
                r.start,
                r.shift_hours,
                tuple(r.participants),
                r.timezone,
                r.priority,
                tuple(Window.from_dict(w) for w in r.windows),
            )
            for r in rotations
        ),
        tuple(Override(o.id, o.user_id, o.tier, o.start, o.end) for o in overrides),
        frozenset(inactive),
    )


@given(scenarios())
def test_final_schedule_tiles_the_window_and_matches_brute_force_every_minute(scenario):  # type: ignore[no-untyped-def]
    rotations, overrides, inactive, anchor = scenario
    program = to_program(rotations, overrides, inactive)
    start, end = anchor - SPAN, anchor + SPAN
    grid = minutes(start, end)
    for tier in (1, 2):
        segments = final_schedule(program, tier, start, end)
        assert segments[0].start == start and segments[-1].end == end
        for before, after in pairwise(segments):
            assert before.end == after.start
            assert (before.user_id, before.source) != (after.user_id, after.source)
        assert all(s.start < s.end for s in segments)
        expected = reference_schedule(rotations, overrides, inactive, tier, grid)
        index = 0
        for minute, answer in zip(grid, expected, strict=True):
            while segments[index].end <= minute:
                index += 1
            segment = segments[index]
            assert (segment.user_id, segment.source) == answer, (tier, minute)


@given(scenarios())
def test_on_call_and_until_agree_with_brute_force(scenario):  # type: ignore[no-untyped-def]
    rotations, overrides, inactive, anchor = scenario
    program = to_program(rotations, overrides, inactive)
    start, end = anchor - SPAN, anchor + SPAN
    grid = minutes(start, end)
    expected = {
        tier: reference_schedule(rotations, overrides, inactive, tier, grid) for tier in (1, 2)
    }
    for tier in (1, 2):
        answers = expected[tier]
        changes = [i for i in range(1, len(grid)) if answers[i] != answers[i - 1]]
        probes = sorted({*range(0, len(grid), 37), *changes, *(i - 1 for i in changes)})
        for i in probes:
            assignment = assignment_at(program, tier, grid[i])
            assert (assignment.user_id, assignment.source) == answers[i], (tier, grid[i])
            later = [j for j in changes if j > i]
            until = next_change(program, tier, grid[i])
            if later:
                assert until == grid[later[0]]
            else:
                assert until is None or until >= end


@given(scenarios())
def test_escalation_chain_is_each_tier_once_in_order(scenario):  # type: ignore[no-untyped-def]
    rotations, overrides, inactive, anchor = scenario
    program = to_program(rotations, overrides, inactive)
    for instant in (anchor - timedelta(hours=2), anchor, anchor + timedelta(hours=5)):
        grid = [instant]
        people: list[int] = []
        tiers = sorted(
            {r.tier for r in rotations}
            | {
                o.tier
                for o in overrides
                if o.start <= instant < o.end and o.user_id not in inactive
            }
        )
        for tier in tiers:
            person = reference_schedule(rotations, overrides, inactive, tier, grid)[0][0]
            if person is not None and person not in people:
                people.append(person)
        assert escalation_chain(program, instant) == people


@given(scenarios(), st.integers(min_value=-120, max_value=300))
def test_a_chain_holds_every_minute_until_its_until(scenario, offset):  # type: ignore[no-untyped-def]
    rotations, overrides, inactive, anchor = scenario
    program = to_program(rotations, overrides, inactive)
    instant = anchor + timedelta(minutes=offset)
    chain, until = chain_until(program, instant, timedelta(hours=2))
    # Kept past a change, the chain would ring someone no longer on call.
    assert instant < until <= instant + timedelta(hours=2)
    for minute in minutes(instant, until):
        assert escalation_chain(program, minute) == chain, minute


@given(scenarios(), st.integers(min_value=-30 * 60, max_value=30 * 60))
def test_a_segment_found_from_a_short_look_began_where_a_long_look_says(scenario, offset):  # type: ignore[no-untyped-def]
    rotations, overrides, inactive, anchor = scenario
    program = to_program(rotations, overrides, inactive)
    instant = anchor + timedelta(minutes=offset)
    far = anchor - timedelta(days=400)  # before anything a scenario starts
    for tier in (1, 2):
        held = final_schedule(program, tier, far, instant + timedelta(microseconds=1))[-1]
        if held.user_id is None:
            continue  # a gap that reaches the long look has no start to agree on
        assert segment_start(program, tier, instant, MINUTE) == held.start, tier
