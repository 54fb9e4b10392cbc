"""The demo's history as the clock would have left it: every job run as time passes.

The sample referrals are written at once; the clock's jobs then run as of each
step from the first of them to now, so that what a job does to old referrals
(an intake window closing, an escalation, a gap announced, a text sent) is in
the history with the time it would have happened, not left undone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from .jobs import JOBS

# Every job but retention, which the demo does not set (HOTLINE_RETENTION_DAYS is unset).
REPLAYED = ("intake-deadlines", "escalate-unacked", "coverage-gaps", "dispatch-outbox")
# Shift notices matter only for the shifts about to start: the last day is enough.
RECENT_ONLY = ("shift-notices",)
STEP = timedelta(hours=24)  # a day: an intake window closes on the day it runs out
RECENT = timedelta(days=1)


def replay_jobs(
    session: Session, since: datetime, now: datetime, settings: Mapping[str, Any]
) -> dict[str, int]:
    """Run the clock's jobs as of every step from `since` to `now`; count the runs of each."""
    runs: dict[str, int] = {}
    instant = since
    while True:
        names = REPLAYED + (RECENT_ONLY if now - instant <= RECENT else ())
        for name in names:
            JOBS[name].run(session, instant, settings)
            runs[name] = runs.get(name, 0) + 1
        session.flush()
        if instant >= now:
            return runs
        instant = min(instant + STEP, now)
