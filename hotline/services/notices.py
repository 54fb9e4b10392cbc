"""Shift notices and coverage-gap alerts: each one sent once, however many clocks run (SPEC §7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import rotation as engine
from ..messaging.notices import CoverageGap, ShiftStarting, notify
from ..messaging.recipients import SUPERVISOR_RECIPIENTS, Recipient
from ..models import GapNotice, ShiftNotice, User
from ..statements import insert_unless_present
from .oncall import load_program

GAP_HORIZON = timedelta(days=14)
# A gap in progress is known by its true start: look this far back for it first.
GAP_LOOKBACK = timedelta(days=366)
# A gap nobody ever held tier 1 before gets this stand-in start, so it is announced once.
LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
GAPS_NAMED_PER_TEXT = 3


def send_shift_notices(
    session: Session, now: datetime, notice: timedelta, zone: ZoneInfo, sender: str | None
) -> int:
    """Text each person whose segment starts within the notice (start - notice <= now < start)."""
    program = load_program(session)
    horizon = now + notice
    sent = 0
    for tier in engine.schedule_tiers(program, now, horizon + timedelta(seconds=1)):
        segments = engine.final_schedule(program, tier, now, horizon + timedelta(seconds=1))
        for segment in segments:
            if segment.user_id is None or not now < segment.start <= horizon:
                continue
            values = {
                "user_id": segment.user_id,
                "tier": tier,
                "start": segment.start,
                "sent_at": now,
            }
            if insert_unless_present(session, ShiftNotice, values) is None:
                continue  # told already, by this clock or another
            user = session.get_one(User, segment.user_id)
            until = engine.next_change(program, tier, segment.start)
            starting = ShiftStarting(tier, segment.start, until, zone.key)
            notify(session, starting, user, sender=sender, now=now)
            sent += 1
        session.commit()
    return sent


def tier_one_gaps(
    session: Session, now: datetime
) -> list[tuple[datetime, datetime, datetime | None]]:
    """Return (key start, start, end) of tier-1 gaps under way or starting in the next 14 days.

    The end is None when nobody is scheduled on tier 1 within a year after the gap starts.
    """
    program = load_program(session)
    lookback = now - GAP_LOOKBACK
    gaps = []
    horizon = now + GAP_HORIZON
    for segment in engine.final_schedule(program, 1, lookback, horizon):
        if segment.user_id is not None or segment.end <= now:
            continue
        key = segment.start
        if segment.start == lookback:  # under way since before the look: when did it begin?
            key = gap_began(program, now)
            # Earlier versions keyed any gap begun before the look LONG_AGO: one told of so
            # is this one (only one gap is under way), and keeps that key until it closes.
            if key != LONG_AGO and _told_as_long_ago(session):
                key = LONG_AGO
        end: datetime | None = segment.end
        if end == horizon:  # cut at the two weeks looked at: say when cover really returns
            end = engine.next_change(program, 1, max(segment.start, now))
        gaps.append((key, max(segment.start, now), end))
    return gaps


def gap_began(program: engine.Program, now: datetime) -> datetime:
    """Return when the tier-1 gap under way at `now` began, however long ago.

    Its true start, so that it keeps its key once that start is more than the
    look-back ago; LONG_AGO when nobody held tier 1 before it (no start to find).
    """
    began = engine.segment_start(program, 1, now, GAP_LOOKBACK)
    before = engine.final_schedule(program, 1, began - _SECOND, began)[-1]
    return LONG_AGO if before.user_id is None else began


def _told_as_long_ago(session: Session) -> bool:
    """Tell whether supervisors were told of a tier-1 gap under the stand-in start."""
    told = select(GapNotice.id).where(GapNotice.tier == 1, GapNotice.start == LONG_AGO)
    return session.scalar(told) is not None


def announce_gaps(
    session: Session, now: datetime, zone: ZoneInfo, sender: str | None, public_url: str | None
) -> int:
    """Text every active supervisor once about the tier-1 gaps not announced before."""
    gaps = tier_one_gaps(session, now)
    # A gap told of and no longer open (covered since, or over) is forgotten: should the
    # cover be taken back, supervisors who last heard it was covered must hear of it again.
    # The gap that reached past the look-back is one of them: the next such gap is news.
    # A run as of the past (`jobs run --at`) cannot judge gaps told of after it: they stay.
    open_keys = [key for key, _, _ in gaps]
    session.execute(
        delete(GapNotice).where(
            GapNotice.tier == 1, GapNotice.start.not_in(open_keys), GapNotice.announced_at <= now
        )
    )
    new = [
        (start, end)
        for key, start, end in gaps
        if insert_unless_present(session, GapNotice, {"tier": 1, "start": key, "announced_at": now})
        is not None
    ]
    if not new:
        return 0
    notice = CoverageGap(
        tuple(new[:GAPS_NAMED_PER_TEXT]),
        max(0, len(new) - GAPS_NAMED_PER_TEXT),
        zone.key,
        f"{public_url.rstrip('/')}/schedule" if public_url else None,
    )
    for row in session.execute(SUPERVISOR_RECIPIENTS).all():
        supervisor = Recipient(*row)
        notify(session, notice, supervisor, sender=sender, now=now, opted_out=supervisor.opted_out)
    session.commit()
    return len(new)
