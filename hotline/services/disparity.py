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
    """Count referrals and outcomes by race/ethnicity, small counts suppressed (complementary)."""
    counts = Counter(race_group(r.race_ethnicity) for r in referrals)
    total = counts.total()
    # Alphabetical, not by size, so the order tells nothing about a suppressed count.
    groups = sorted(counts, key=lambda group: (group == NOT_RECORDED, group.casefold(), group))
    shown = suppressed(dict(counts))
    accepted = suppressed(
        {
            g: sum(
                race_group(r.race_ethnicity) == g and r.disposition == "accepted" for r in referrals
            )
            for g in groups
        }
    )
    completed = suppressed(
        {
            g: sum(
                race_group(r.race_ethnicity) == g and r.status == "intake_completed"
                for r in referrals
            )
            for g in groups
        }
    )
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
