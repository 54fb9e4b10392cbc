"""One rotation's coverage over a stretch of time, as pieces."""

from __future__ import annotations

from datetime import datetime, timedelta

from .clock import instants_reading, local_reading, transitions_between
from .handoff import applies_at, handoff_index_at, handoffs_after, participant_for
from .model import Rotation

Piece = tuple[datetime, int | None]  # (start instant, person covering from then, or None)


def window_edges(rotation: Rotation, start: datetime, end: datetime) -> list[datetime]:
    """Return instants in (start, end) at which the rotation's windows may open or close."""
    if not rotation.windows:
        return []
    zone = rotation.zone
    first_day = local_reading(start, zone).date() - timedelta(days=2)
    last_day = local_reading(end, zone).date() + timedelta(days=2)
    edges: set[datetime] = set(transitions_between(zone, start, end))
    day = first_day
    while day <= last_day:
        for window in rotation.windows:
            if day.weekday() not in window.days:
                continue
            opens = datetime.combine(day, window.start)
            closes = datetime.combine(day, window.end)
            if window.end <= window.start:
                closes += timedelta(days=1)
            for reading in (opens, closes):
                edges.update(instants_reading(reading, zone))
        day += timedelta(days=1)
    return sorted(edge for edge in edges if start < edge < end)


def coverage(
    rotation: Rotation, start: datetime, end: datetime, inactive: frozenset[int]
) -> list[Piece]:
    """Return the pieces of [start, end) in which the rotation's cover changes.

    Each piece lasts until the next one starts (the last until `end`); its
    person is None where the rotation covers nobody (before its first hand-off,
    outside its windows, or when its person is inactive).
    """
    k = handoff_index_at(rotation, start)
    if k >= 0 and len(set(rotation.participants)) == 1:
        handoffs = []  # later hand-offs pass the turn to the same person: nothing changes
    else:
        handoffs = list(handoffs_after(rotation, k, end))
    points = sorted(
        {start, *(instant for instant, _ in handoffs), *window_edges(rotation, start, end)}
    )
    pieces: list[Piece] = []
    next_handoff = 0
    for point in points:
        while next_handoff < len(handoffs) and handoffs[next_handoff][0] <= point:
            k = handoffs[next_handoff][1]
            next_handoff += 1
        person = participant_for(rotation, k)
        if person in inactive or not applies_at(rotation, point):
            person = None
        if not pieces or pieces[-1][1] != person:
            pieces.append((point, person))
    return pieces


def covering_at(rotation: Rotation, instant: datetime, inactive: frozenset[int]) -> int | None:
    """Return who the rotation puts on call at `instant`, or None."""
    person = participant_for(rotation, handoff_index_at(rotation, instant))
    if person is None or person in inactive or not applies_at(rotation, instant):
        return None
    return person
