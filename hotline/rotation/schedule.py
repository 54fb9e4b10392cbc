"""The final schedule: maximal segments of constant (user, source) tiling [start, end)."""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from .coverage import coverage
from .handoff import handoff_instant
from .model import GAP, Assignment, Program, Segment


def schedule_tiers(program: Program, start: datetime, end: datetime) -> list[int]:
    """Return the tiers with a rotation or with an override overlapping [start, end)."""
    tiers = {rotation.tier for rotation in program.rotations}
    tiers.update(o.tier for o in program.overrides if o.start < end and o.end > start)
    return sorted(tiers)


def final_schedule(program: Program, tier: int, start: datetime, end: datetime) -> list[Segment]:
    """Return the tier's final schedule over [start, end) (SPEC §3)."""
    if not start < end:
        raise ValueError("the schedule's end must be after its start")
    rotations = sorted(
        (r for r in program.rotations if r.tier == tier), key=lambda r: (-r.priority, r.id)
    )
    # Events at one instant are applied together; kinds: 0 rotation piece, 1 override on/off.
    events: list[tuple[datetime, int, int, int | None]] = []
    for index, rotation in enumerate(rotations):
        for piece_start, person in coverage(rotation, start, end, program.inactive):
            events.append((piece_start, 0, index, person))
    for override in program.overrides:
        if override.tier != tier or override.user_id in program.inactive:
            continue
        if override.end <= start or override.start >= end:
            continue
        events.append((max(override.start, start), 1, override.id, override.user_id))
        if override.end < end:
            events.append((override.end, 1, override.id, None))
    events.sort(key=lambda event: event[0])

    rotation_person: list[int | None] = [None] * len(rotations)
    override_user: dict[int, int] = {}
    override_heap: list[int] = []  # negated ids; stale entries are dropped lazily
    segments: list[Segment] = []
    current, current_start = GAP, start
    position = 0
    while position < len(events):
        instant = events[position][0]
        while position < len(events) and events[position][0] == instant:
            _, kind, key, person = events[position]
            if kind == 0:
                rotation_person[key] = person
            elif person is None:
                override_user.pop(key, None)
            else:
                override_user[key] = person
                heapq.heappush(override_heap, -key)
            position += 1
        while override_heap and -override_heap[0] not in override_user:
            heapq.heappop(override_heap)
        if override_heap:
            assignment = Assignment(override_user[-override_heap[0]], "override")
        else:
            person = next((p for p in rotation_person if p is not None), None)
            assignment = Assignment(person, "rotation") if person is not None else GAP
        if assignment != current:
            if instant > current_start:
                segments.append(_segment(tier, current_start, instant, current))
            current, current_start = assignment, instant
    segments.append(_segment(tier, current_start, end, current))
    return segments


def segment_start(program: Program, tier: int, instant: datetime, reach: timedelta) -> datetime:
    """Return when the tier's segment holding `instant` began, however long ago.

    Looks back `reach` first, then twice as far each time the segment still
    reaches the start of the look, down to the tier's first cover (nothing held
    the tier before it). A gap older than that is dated from the last look.
    """
    firsts = [handoff_instant(r, 0) for r in program.rotations if r.tier == tier]
    firsts += [o.start for o in program.overrides if o.tier == tier]
    first_cover = min(firsts, default=None)
    while True:
        begin = instant - reach
        if first_cover is not None and begin < first_cover < instant:
            begin = first_cover - timedelta(seconds=1)  # a second of what came before
        held = final_schedule(program, tier, begin, instant + timedelta(microseconds=1))[-1]
        if held.start > begin or first_cover is None or begin < first_cover:
            return held.start
        reach *= 2


def _segment(tier: int, start: datetime, end: datetime, assignment: Assignment) -> Segment:
    return Segment(tier, start, end, assignment.user_id, assignment.source)


def covered_for(
    program: Program, override_id: int, since: datetime, horizon: datetime
) -> list[int | None]:
    """Return who the override stands in for: the tier's holders without it (None: a gap).

    Looked at from `since` (an override in progress covers only what is left) up to
    `horizon`, so a year-long override costs no more than the window shown.
    """
    override = next((o for o in program.overrides if o.id == override_id), None)
    if override is None:
        return []
    start, end = max(override.start, since), min(override.end, horizon)
    if not start < end:
        return []
    others = tuple(o for o in program.overrides if o.id != override_id)
    without = Program(program.rotations, others, program.inactive)
    held: list[int | None] = []
    for segment in final_schedule(without, override.tier, start, end):
        if segment.user_id not in held:
            held.append(segment.user_id)
    return held
