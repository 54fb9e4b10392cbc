"""Judge several rounds of bench/load.py by their medians (`--rounds N`)."""

from __future__ import annotations

import math
from statistics import median

from load_client import Result
from load_workload import JUDGED, P99_RATIO_TARGET, TARGET_NAMES, THROUGHPUT_RATIO_TARGET, VOICE


def against_floor(result: Result, results: list[Result]) -> tuple[float, float]:
    """Return (throughput ratio, p99 ratio) of a target to the floor of its round and database."""
    floor = next(
        (r for r in results if r.target == "floor" and r.database == result.database), None
    )
    if floor is None or not floor.throughput or not floor.percentile(99):
        return math.nan, math.nan
    return result.throughput / floor.throughput, result.percentile(99) / floor.percentile(99)


def report_across(rounds: list[list[Result]]) -> list[tuple[bool, str]]:
    """Print each target's medians over the rounds, judge them, and return the verdicts."""
    header = (
        f"{'target':<24} {'database':<10} {'req/s':>8} {'p99 ms':>7} {'errors':>6} "
        f"{'× floor':>8} {'p99 ×':>6}   low – high"
    )
    print(header)
    print("-" * len(header))
    checks: list[tuple[bool, str]] = []
    for first in rounds[0]:
        runs = [
            next(r for r in results if (r.target, r.database) == (first.target, first.database))
            for results in rounds
        ]
        throughput = [r.throughput for r in runs]
        p99 = [r.percentile(99) for r in runs]
        # Each round against its own floor: the machine drifts between rounds.
        ratios = [against_floor(r, results) for r, results in zip(runs, rounds, strict=True)]
        speed = median(ratio for ratio, _ in ratios)
        tail = median(ratio for _, ratio in ratios)
        errors = sum(r.errors for r in runs)
        print(
            f"{TARGET_NAMES[first.target]:<24} {first.database:<10} {median(throughput):>8.1f} "
            f"{median(p99):>7.1f} {errors:>6} {speed:>8.2f} {tail:>6.2f}   "
            f"{min(throughput):.0f} – {max(throughput):.0f} req/s, "
            f"p99 {min(p99):.1f} – {max(p99):.1f} ms"
        )
        checks += judge(first, errors, speed, tail, len(rounds))
    print()
    for held, text in checks:
        print(f"{'ok  ' if held else 'MISS'} {text}")
    return checks


def judge(
    first: Result, errors: int, speed: float, tail: float, rounds: int
) -> list[tuple[bool, str]]:
    """Return the contract §10 verdicts of one target's medians (the floor and the A/B: none)."""
    if first.target not in JUDGED:
        return []
    name = f"{VOICE if first.target == 'voice' else 'SMS step'} on {first.database}"
    return [
        (errors == 0, f"{name}: {errors} errors in {rounds} rounds"),
        (
            speed >= THROUGHPUT_RATIO_TARGET,
            f"{name}: median {speed:.2f} × the floor's throughput ≥ {THROUGHPUT_RATIO_TARGET}",
        ),
        (
            tail <= P99_RATIO_TARGET,
            f"{name}: median p99 {tail:.2f} × the floor's ≤ {P99_RATIO_TARGET}",
        ),
    ]
