"""Figures of the program after intake: participants, referrals again, the plan (issue 16).

Also the one suppression rule of small counts: a count under 5 is hidden, and
more cells are hidden with it (the smallest others first) until no hidden count
can be worked out from the column's published total (complementary
suppression); a column where that cannot be done is withheld whole.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import Participant, PlanEntry, Provider, Referral

SUPPRESS_BELOW = 5
NO_PROVIDER = N_("no provider yet")
# Labels marked N_: the reports page translates them (web.pot).
AGAIN_WITHIN = {N_("6 months"): timedelta(days=183), N_("12 months"): timedelta(days=365)}


def suppressed(
    counts: dict[str, int],
    forced: frozenset[str] = frozenset(),
    caps: Mapping[str, float] | None = None,
    forced_total: float = math.inf,
) -> dict[str, int | None] | None:
    """Return the counts with small ones (and `forced`) hidden as None; None when it cannot be done.

    Cells are hidden until none can be worked out from the total, even by a
    reader who knows which hidden cells are small (1-4) and which are not:
    two cells of 4 beside a total of 8 are both 4, a 1 and a 5 beside 6 too.
    What else the reader knows of an outcome column: `caps`, the most each
    cell may be (its group's count), and `forced_total`, the most the forced
    cells together may be (the hidden groups' counts together).
    """
    hidden = {group for group, count in counts.items() if 0 < count < SUPPRESS_BELOW}
    hidden |= forced & counts.keys()
    if not hidden:
        return dict(counts)
    others = sorted((count, group) for group, count in counts.items() if group not in hidden)
    others = [(count, group) for count, group in others if count > 0]
    limits = caps or {}
    while pinned(
        [counts[group] for group in hidden],
        [limits.get(group, math.inf) for group in hidden],
        [group in forced for group in hidden],
        forced_total,
    ):
        if not others:
            return None
        hidden.add(others.pop(0)[1])
    return {group: None if group in hidden else count for group, count in counts.items()}


def pinned(
    hidden_counts: Iterable[int],
    caps: Iterable[float] | None = None,
    in_block: Iterable[bool] | None = None,
    block_total: float = math.inf,
) -> bool:
    """Tell whether the hidden cells' total pins one of them down, given what each may be.

    `caps` bound single cells; the cells `in_block` add up to at most `block_total`.
    """
    values = list(hidden_counts)
    total = sum(values)  # published: the column's total minus the shown cells
    limits = list(caps) if caps is not None else [math.inf] * len(values)
    block = list(in_block) if in_block is not None else [False] * len(values)
    bounds = [
        (low, min(high, limit))
        for (low, high), limit in zip(map(known_bounds, values), limits, strict=True)
    ]
    for index, (low, high) in enumerate(bounds):
        others = [
            (b, inside)
            for i, (b, inside) in enumerate(zip(bounds, block, strict=True))
            if i != index
        ]
        outside_low = sum(b[0] for b, inside in others if not inside)
        outside_high = sum(b[1] for b, inside in others if not inside)
        inside_low = sum(b[0] for b, inside in others if inside)
        inside_high = sum(b[1] for b, inside in others if inside)
        if block[index]:
            most = min(high, total - outside_low - inside_low, block_total - inside_low)
        else:
            inside_high = min(inside_high, block_total)
            most = min(high, total - outside_low - inside_low)
        # What this cell may be, given the total and what the others may be.
        least = max(low, total - outside_high - inside_high)
        if least >= most:
            return True
    return False


def known_bounds(count: int) -> tuple[int, float]:
    """Return what a reader knows a hidden cell holds: small (1-4), or 0-4, or 5 and more."""
    if count >= SUPPRESS_BELOW:
        return SUPPRESS_BELOW, math.inf
    return (0, SUPPRESS_BELOW - 1) if count == 0 else (1, SUPPRESS_BELOW - 1)


@dataclass(frozen=True)
class ParticipantFigures:
    """Participants now, and how many first referred in the period were referred again."""

    active: int
    exited: int
    first_referred: int
    # "6 months" / "12 months" → of those first referred in the period, how many were first
    # referred at least that long ago (followed), and how many of them were referred again
    # that soon: one referred last month has not yet had the time to stay away six months.
    followed: dict[str, int]
    again: dict[str, int]


@dataclass(frozen=True)
class PlanRow:
    """Plan entries of one need or one provider, by status."""

    name: str
    planned: int
    started: int
    completed: int
    stopped: int
    active: bool = True  # a provider the directory marks inactive
    worded: bool = False  # the report's own group (NO_PROVIDER), said in the reader's words


def participant_figures(
    session: Session, start: datetime, end: datetime, now: datetime
) -> ParticipantFigures:
    """Count participants, and of those first referred in [start, end) who came back how soon."""
    statuses = Counter(
        dict(
            session.execute(
                select(Participant.status, func.count()).group_by(Participant.status)
            ).all()
        )
    )
    referred: dict[int, list[datetime]] = {}
    for participant_id, created in session.execute(
        select(Referral.participant_id, Referral.created_at)
        .where(Referral.participant_id.is_not(None))
        .order_by(Referral.created_at)
    ):
        if participant_id is not None:
            referred.setdefault(participant_id, []).append(created)
    firsts = [dates for dates in referred.values() if start <= dates[0] < end]
    followed = {
        label: [d for d in firsts if d[0] + window <= now] for label, window in AGAIN_WITHIN.items()
    }
    again = {
        label: sum(len(d) > 1 and d[1] - d[0] <= AGAIN_WITHIN[label] for d in cohort)
        for label, cohort in followed.items()
    }
    counts = {label: len(cohort) for label, cohort in followed.items()}
    return ParticipantFigures(statuses["active"], statuses["exited"], len(firsts), counts, again)


def plan_rows(session: Session) -> tuple[list[PlanRow], list[PlanRow]]:
    """Return the plan entries by need and by provider, each by status.

    Providers are in name order, whatever the case, and entries with no provider
    come last; an inactive provider is a row of its own, marked as such.
    """
    providers = {
        provider_id: (name, active)
        for provider_id, name, active in session.execute(
            select(Provider.id, Provider.name, Provider.active)
        )
    }
    nobody = (NO_PROVIDER, True)
    by_need: dict[tuple[str, bool], Counter[str]] = {}
    by_provider: dict[tuple[str, bool], Counter[str]] = {}
    for need, provider_id, status in session.execute(
        select(PlanEntry.need, PlanEntry.provider_id, PlanEntry.status)
    ):
        by_need.setdefault((need, True), Counter())[status] += 1
        provider = providers.get(provider_id, nobody) if provider_id else nobody
        by_provider.setdefault(provider, Counter())[status] += 1

    def rows(table: dict[tuple[str, bool], Counter[str]]) -> list[PlanRow]:
        order = sorted(table, key=lambda key: (key == nobody, key[0].casefold(), key))
        return [
            PlanRow(
                name,
                c["planned"],
                c["started"],
                c["completed"],
                c["stopped"],
                active,
                (name, active) == nobody,
            )
            for name, active in order
            for c in [table[name, active]]
        ]

    return rows(by_need), rows(by_provider)
