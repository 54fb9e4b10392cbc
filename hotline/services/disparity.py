"""The disparity table: referrals and their outcomes by self-reported race/ethnicity (SPEC §9).

Small counts are suppressed so that no one can be singled out, complementary
so that no hidden count can be worked out from a column's total.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..schemas.assessment import RACE_ETHNICITIES
from .program_reports import suppressed

NOT_RECORDED = "not recorded"
# The one row of a table too small to show by group.
TOO_FEW = "all referrals (too few to show by group)"


class Facts(Protocol):
    """What the table needs of a referral (its latest assessment's answers)."""

    @property
    def race_ethnicity(self) -> str | None: ...

    @property
    def disposition(self) -> str | None: ...

    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class DisparityRow:
    """One race/ethnicity group: referrals, accepted, intake completed; None when suppressed."""

    group: str
    count: int | None
    share: float | None
    accepted: int | None = None
    completed: int | None = None


# The form's choices, whatever their case: "white" and "White" are one group.
CANONICAL_GROUPS = {group.casefold(): group for group in RACE_ETHNICITIES}


def race_group(value: str | None) -> str:
    """Return the disparity group of a self-reported race/ethnicity."""
    text = " ".join((value or "").split())
    return CANONICAL_GROUPS.get(text.casefold(), text) or NOT_RECORDED


def disparity(referrals: Sequence[Facts]) -> list[DisparityRow]:
    """Count referrals and outcomes by race/ethnicity, small counts suppressed (complementary).

    A group whose count is hidden has its outcomes hidden too, as they bound
    its count. When no choice of hidden cells keeps the counts from being
    worked out (one group alone; two groups of 4), the table is one row of all
    referrals: even which groups are present would give them away.
    """
    if not referrals:
        return []
    group_of = [race_group(r.race_ethnicity) for r in referrals]
    counts = Counter(group_of)
    # Alphabetical, not by size, so the order tells nothing about a suppressed count.
    groups = sorted(counts, key=lambda group: (group == NOT_RECORDED, group.casefold(), group))
    accepted_counts = Counter(
        g for g, r in zip(group_of, referrals, strict=True) if r.disposition == "accepted"
    )
    completed_counts = Counter(
        g for g, r in zip(group_of, referrals, strict=True) if r.status == "intake_completed"
    )
    shown = suppressed({g: counts[g] for g in groups})
    if shown is None:
        everyone = DisparityRow(
            TOO_FEW,
            len(referrals),
            None,
            accepted_counts.total(),
            completed_counts.total(),
        )
        return [everyone]
    hidden = frozenset(g for g in groups if shown[g] is None)
    accepted = suppressed({g: accepted_counts[g] for g in groups}, hidden) or dict.fromkeys(groups)
    completed = suppressed({g: completed_counts[g] for g in groups}, hidden) or dict.fromkeys(
        groups
    )
    total = len(referrals)
    return [
        DisparityRow(
            g,
            shown[g],
            (shown[g] or 0) / total if shown[g] is not None else None,
            accepted[g],
            completed[g],
        )
        for g in groups
    ]
