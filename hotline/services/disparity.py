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
from .program_reports import known_bounds, suppressed

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


# Where a description outside the form's choices (free text through the API) is counted.
ANOTHER = CANONICAL_GROUPS["another race or ethnicity"]


def race_group(value: str | None) -> str:
    """Return the disparity group of a self-reported race/ethnicity.

    A description outside the form's choices is counted as another, never shown
    as a row of its own: its name alone may point at the one person who gave it.
    """
    text = " ".join((value or "").split())
    if not text:
        return NOT_RECORDED
    return CANONICAL_GROUPS.get(text.casefold(), ANOTHER)


def count_caps(counts: Counter[str], shown: dict[str, int | None]) -> dict[str, float]:
    """Return the most each group's count may be to a reader of the table."""
    hidden = [g for g, value in shown.items() if value is None]
    left = sum(counts[g] for g in hidden)  # the total minus the shown counts
    lows = {g: known_bounds(counts[g])[0] for g in hidden}
    caps: dict[str, float] = {}
    for group, value in shown.items():
        if value is not None:
            caps[group] = value
        else:
            high = known_bounds(counts[group])[1]
            caps[group] = min(high, left - sum(lows.values()) + lows[group])
    return caps


def outcome_cells(
    outcomes: Counter[str],
    groups: list[str],
    hidden: frozenset[str],
    caps: dict[str, float],
    hidden_total: int,
) -> dict[str, int | None] | None:
    """Return an outcome column suppressed; None when its published total would give it away."""
    cells = suppressed({g: outcomes[g] for g in groups}, hidden, caps, hidden_total)
    if cells is None and not outcomes.total():
        return dict.fromkeys(groups)  # a total of none says no more than the hidden cells
    return cells


def complement_gives_away(
    counts: Counter[str],
    shown: dict[str, int | None],
    outcomes: Counter[str],
    cells: dict[str, int | None],
    caps: dict[str, float],
) -> bool:
    """Tell whether those without the outcome (count - outcome, a total on the page) give one away.

    15 referred and 14 accepted leave one not accepted: a hidden group of 5 or
    more with under 5 accepted is that one, so exactly 5 referred and 4 accepted.
    """
    ranges = {}
    for group, count in counts.items():
        count_low, count_high = (
            (count, count) if shown[group] is not None else (known_bounds(count)[0], caps[group])
        )
        outcome = outcomes[group]
        low, high = known_bounds(outcome)
        outcome_low, outcome_high = (
            (outcome, outcome) if cells[group] is not None else (low, min(high, count_high))
        )
        ranges[group] = (count_low, count_high, outcome_low, outcome_high)
    bounds = {g: (max(0, cl - oh), ch - ol) for g, (cl, ch, ol, oh) in ranges.items()}
    total = counts.total() - outcomes.total()
    for group, (count_low, count_high, outcome_low, outcome_high) in ranges.items():
        others = [b for g, b in bounds.items() if g != group]
        least = max(bounds[group][0], total - sum(high for _, high in others))
        most = min(bounds[group][1], total - sum(low for low, _ in others))
        if least < most:
            continue
        # Those without the outcome pinned: the count and the outcome move together.
        if shown[group] is None and max(count_low, outcome_low + least) >= min(
            count_high, outcome_high + least
        ):
            return True
        if cells[group] is None and max(outcome_low, count_low - least) >= min(
            outcome_high, count_high - least
        ):
            return True
    return False


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
    # An outcome is at most its group's count: the shown one, or what a hidden one may be.
    caps = count_caps(counts, shown)
    left = sum(counts[g] for g in hidden)  # the hidden groups' outcomes are at most this
    accepted = outcome_cells(accepted_counts, groups, hidden, caps, left)
    completed = outcome_cells(completed_counts, groups, hidden, caps, left)
    gives_away = any(
        complement_gives_away(counts, shown, column, cells, caps)
        for column, cells in ((accepted_counts, accepted), (completed_counts, completed))
        if cells is not None
    )
    if accepted is None or completed is None or gives_away:
        # The column's total is on the page (bookings avoided, intake completed): hiding
        # every cell of it would still give them away.
        everyone = DisparityRow(
            TOO_FEW, len(referrals), None, accepted_counts.total(), completed_counts.total()
        )
        return [everyone]
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
