"""The demo's tour, computed from its data: what to look at, true on whatever day it runs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from . import rotation as engine
from .services.completion import next_to_complete
from .services.notices import tier_one_gaps
from .services.oncall import load_program, who_is_on_call

# Fay's weekends come round every third week: a gap is always within this many days.
GAP_SEARCH_DAYS = 28


def coming_saturday(today: date) -> date:
    """Return the Saturday of the coming weekend: Fay's, a gap in the demo (never today)."""
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def next_gap_day(session: Session, now: datetime, zone: ZoneInfo) -> date | None:
    """Return the day the next tier-1 gap starts (or today, in one): in the demo, Fay's weekend.

    The demo may be run again weeks after it was built: the coming weekend is then
    someone else's, and the tour's step must still open onto a gap.
    """
    end = now + timedelta(days=GAP_SEARCH_DAYS)
    for segment in engine.final_schedule(load_program(session), 1, now, end):
        if segment.user_id is None:
            return max(segment.start, now).astimezone(zone).date()
    return None


def tour_lines(session: Session, now: datetime, zone: ZoneInfo, fallback: list[str]) -> list[str]:
    """Return the tour `hotline demo` prints: who is on call, the next gap, a call to complete."""
    answer = who_is_on_call(session, now, fallback)
    lines = []
    for tier in answer["tiers"]:
        who = tier["user"]["name"] if tier["user"] else "nobody (a gap)"
        until = tier["until"]
        when = f" until {until.astimezone(zone):%a %m/%d %H:%M}" if until else ""
        lines.append(f"On call now, tier {tier['tier']}: {who}{when}.")
    lines.append(f"A call now would ring {' → '.join(answer['chain']) or 'nobody'}.")
    gaps = [(start, end) for _, start, end in tier_one_gaps(session, now)]
    if gaps:
        start, end = gaps[0]
        until = f"{end.astimezone(zone):%a %m/%d %H:%M}" if end else "further notice"
        lines.append(
            f"Next tier-1 gap: {start.astimezone(zone):%a %m/%d %H:%M} to {until} "
            "(Fay Ortiz is on leave): Schedule shows it, one tap finds cover."
        )
    # The web tour's referral too: one step, named alike in the terminal and on the page.
    blank = next_to_complete(session)
    if blank is not None:
        lines.append(
            f"Referral #{blank.id} is a call still missing details: "
            f"complete it at /referrals/{blank.id}."
        )
    today = now.astimezone(zone).date()
    quarter_end = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - timedelta(days=1)
    lines.append(f"Reports open on the last full quarter, up to {quarter_end:%m/%d/%Y}.")
    return lines
