"""Who is on call: per tier at an instant, the escalation chain, and until when."""

from __future__ import annotations

from datetime import datetime, timedelta

from .coverage import covering_at
from .model import GAP, Assignment, Override, Program, Rotation, TierOnCall
from .schedule import final_schedule, schedule_tiers

# "until" is looked for over growing horizons: most answers change within a day.
_UNTIL_HORIZONS = tuple(timedelta(days=days) for days in (1, 8, 64, 366))


def by_precedence(rotations: list[Rotation]) -> list[Rotation]:
    """Order rotations as resolution tries them: highest priority, then lowest id."""
    return sorted(rotations, key=lambda rotation: (-rotation.priority, rotation.id))


def override_applies(override: Override, instant: datetime, inactive: frozenset[int]) -> bool:
    """Tell whether an override puts its (active) user on call at `instant`."""
    return override.start <= instant < override.end and override.user_id not in inactive


def tiers_at(program: Program, instant: datetime) -> list[int]:
    """Return the tiers that have a rotation, or an override covering `instant`."""
    tiers = {rotation.tier for rotation in program.rotations}
    tiers.update(
        override.tier
        for override in program.overrides
        if override_applies(override, instant, program.inactive)
    )
    return sorted(tiers)


def assignment_at(program: Program, tier: int, instant: datetime) -> Assignment:
    """Resolve one tier at one instant (SPEC §3 "Resolution")."""
    winner: Override | None = None
    for override in program.overrides:
        if (
            override.tier == tier
            and override_applies(override, instant, program.inactive)
            and (winner is None or override.id > winner.id)
        ):
            winner = override
    if winner is not None:
        return Assignment(winner.user_id, "override")
    rotations = by_precedence([rotation for rotation in program.rotations if rotation.tier == tier])
    for rotation in rotations:
        person = covering_at(rotation, instant, program.inactive)
        if person is not None:
            return Assignment(person, "rotation")
    return GAP


def next_change(program: Program, tier: int, instant: datetime) -> datetime | None:
    """Return the next instant the tier's (user, source) changes, None if not within 366 days."""
    for horizon in _UNTIL_HORIZONS:
        first = final_schedule(program, tier, instant, instant + horizon)[0]
        if first.end < instant + horizon:
            return first.end
    return None


def on_call(program: Program, instant: datetime) -> list[TierOnCall]:
    """Return each tier's assignment at `instant` and until when it holds."""
    answers = []
    for tier in tiers_at(program, instant):
        assignment = assignment_at(program, tier, instant)
        until = next_change(program, tier, instant)
        answers.append(TierOnCall(tier, assignment.user_id, assignment.source, until))
    return answers


def escalation_chain(program: Program, instant: datetime) -> list[int]:
    """Return the users to try in order: tier 1, tier 2, … each once, gaps skipped."""
    chain: list[int] = []
    for tier in tiers_at(program, instant):
        person = assignment_at(program, tier, instant).user_id
        if person is not None and person not in chain:
            chain.append(person)
    return chain


def chain_until(
    program: Program, instant: datetime, horizon: timedelta = timedelta(hours=1)
) -> tuple[list[int], datetime]:
    """Return the escalation chain at `instant` and the first instant it may differ.

    The chain holds over [instant, until): no tier changes hands before `until`,
    which is at most `horizon` away, so a caller may keep it for every call in
    between instead of resolving each tier again.
    """
    chain = escalation_chain(program, instant)
    try:
        limit = instant + horizon
    except OverflowError:  # the end of time: hold for no time at all
        return chain, instant
    until = limit
    for tier in schedule_tiers(program, instant, limit):
        until = min(until, final_schedule(program, tier, instant, limit)[0].end)
    return chain, until
