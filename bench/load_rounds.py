"""Judge several rounds of bench/load.py by their medians (`--rounds N`)."""

from __future__ import annotations

import math
from statistics import median

from load_client import Result
from load_workload import P99_TARGET_MS, TARGET_NAMES, THROUGHPUT_RATIO_TARGET, VOICE


def report_across(rounds: list[list[Result]]) -> list[tuple[bool, str]]:
    """Print each target's medians over the rounds, judge them, and return the verdicts."""
    header = (
        f"{'target':<22} {'database':<10} {'req/s':>8} {'p99 ms':>7} {'errors':>6} "
        f"{'× hello':>8}   low – high"
    )
    print(header)
    print("-" * len(header))
    checks: list[tuple[bool, str]] = []
    hellos = [next(r for r in results if r.target == "hello") for results in rounds]
    for first in rounds[0]:
        runs = [
            next(r for r in results if (r.target, r.database) == (first.target, first.database))
            for results in rounds
        ]
        throughput = [r.throughput for r in runs]
        p99 = [r.percentile(99) for r in runs]
        # Each round's ratio against that round's hello world: the machine drifts between rounds.
        ratios = [
            r.throughput / h.throughput if h.throughput else math.nan
            for r, h in zip(runs, hellos, strict=True)
        ]
        errors = sum(r.errors for r in runs)
        ratio_text = f"{median(ratios):8.2f}" if first.target != "hello" else " " * 8
        print(
            f"{TARGET_NAMES[first.target]:<22} {first.database:<10} {median(throughput):>8.1f} "
            f"{median(p99):>7.1f} {errors:>6} {ratio_text}   "
            f"{min(throughput):.0f} – {max(throughput):.0f} req/s, "
            f"p99 {min(p99):.1f} – {max(p99):.1f} ms"
        )
        checks += judge(first, errors, median(p99), median(ratios), len(rounds))
    print()
    for held, text in checks:
        print(f"{'ok  ' if held else 'MISS'} {text}")
    return checks


def judge(
    first: Result, errors: int, p99: float, ratio: float, rounds: int
) -> list[tuple[bool, str]]:
    """Return the SPEC §10 verdicts of one target's medians (none for the floor)."""
    if first.target == "floor":
        return []
    if first.target == "hello":
        return [(errors == 0, f"hello world answered ({errors} errors in {rounds} rounds)")]
    name = f"{VOICE if first.target == 'voice' else 'SMS step'} on {first.database}"
    return [
        (errors == 0, f"{name}: {errors} errors in {rounds} rounds"),
        (p99 <= P99_TARGET_MS, f"{name}: median p99 {p99:.1f} ms ≤ {P99_TARGET_MS:.0f} ms"),
        (
            ratio >= THROUGHPUT_RATIO_TARGET,
            f"{name}: median {ratio:.2f} × hello world's throughput ≥ {THROUGHPUT_RATIO_TARGET}",
        ),
    ]
