"""Hand-offs of one rotation: whose turn it is at an instant, windows aside."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from .clock import first_instant_reading, local_reading
from .model import Rotation


def handoff_local(rotation: Rotation, k: int) -> datetime:
    """Return the wall-clock reading of hand-off `k` (naive arithmetic, SPEC §3)."""
    return rotation.start + timedelta(hours=k * rotation.shift_hours)


def handoff_instant(rotation: Rotation, k: int) -> datetime:
    """Return the instant of hand-off `k`."""
    return first_instant_reading(handoff_local(rotation, k), rotation.zone)


def handoff_index_at(rotation: Rotation, instant: datetime) -> int:
    """Return the largest k whose hand-off is at or before `instant`, or -1 before the first."""
    if instant < handoff_instant(rotation, 0):
        return -1
    # The local reading lags the hand-off clock by at most a DST change: estimate, then walk.
    elapsed = local_reading(instant, rotation.zone) - rotation.start
    k = max(0, elapsed // timedelta(hours=rotation.shift_hours))
    while handoff_instant(rotation, k + 1) <= instant:
        k += 1
    while k > 0 and handoff_instant(rotation, k) > instant:
        k -= 1
    return k


def participant_for(rotation: Rotation, k: int) -> int | None:
    """Return the participant of hand-off `k`, or None before the first hand-off."""
    if k < 0:
        return None
    return rotation.participants[k % len(rotation.participants)]


def handoffs_after(rotation: Rotation, k: int, end: datetime) -> Iterator[tuple[datetime, int]]:
    """Yield (instant, index) of the hand-offs after index `k` that come before `end`."""
    k += 1
    while (instant := handoff_instant(rotation, k)) < end:
        yield instant, k
        k += 1


def applies_at(rotation: Rotation, instant: datetime) -> bool:
    """Tell whether the rotation's weekly windows (if any) include `instant`."""
    if not rotation.windows:
        return True
    reading = local_reading(instant, rotation.zone)
    return any(window.contains(reading) for window in rotation.windows)
