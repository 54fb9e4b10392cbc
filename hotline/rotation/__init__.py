"""The on-call engine: pure functions of plain data and an explicit instant (SPEC §3).

It imports neither Flask nor SQLAlchemy; a store loads a `Program`, the
engine computes.
"""

from .bounds import (
    MAX_YEAR,
    MIN_YEAR,
    YEARS_MESSAGE,
    format_local,
    override_problem,
    rotation_problem,
    year_problem,
)
from .model import (
    DAY_NAMES,
    GAP,
    MAX_SHIFT_HOURS,
    Assignment,
    Override,
    Program,
    Rotation,
    Segment,
    TierOnCall,
    Window,
)
from .resolve import assignment_at, chain_until, escalation_chain, next_change, on_call, tiers_at
from .schedule import covered_for, final_schedule, schedule_tiers, segment_start

__all__ = [
    "DAY_NAMES",
    "GAP",
    "MAX_SHIFT_HOURS",
    "MAX_YEAR",
    "MIN_YEAR",
    "YEARS_MESSAGE",
    "Assignment",
    "Override",
    "Program",
    "Rotation",
    "Segment",
    "TierOnCall",
    "Window",
    "assignment_at",
    "chain_until",
    "covered_for",
    "escalation_chain",
    "final_schedule",
    "format_local",
    "next_change",
    "on_call",
    "override_problem",
    "rotation_problem",
    "schedule_tiers",
    "segment_start",
    "tiers_at",
    "year_problem",
]
