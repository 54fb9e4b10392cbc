"""How many examples a fuzz test runs: its own count, or many more in a long campaign."""

from __future__ import annotations

import os

DEEP_FACTOR = 20


def examples(count: int) -> int:
    """Return `count`, or DEEP_FACTOR × `count` under HYPOTHESIS_PROFILE=deep."""
    return count * DEEP_FACTOR if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else count
