"""The program's iCalendar feed of the final schedule (RFC 5545)."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event, vDuration
from sqlalchemy.orm import Session

from .. import rotation as engine
from .people import user_names

FEED_BEFORE = timedelta(days=15)
FEED_AFTER = timedelta(days=180)
FEED_REFRESH = timedelta(hours=1)
# A segment's true start may lie before the feed; look this far back for it first.
TRUE_START_LOOKBACK = timedelta(days=366)


def feed_segments(
    program: engine.Program, now: datetime, user_id: int | None = None
) -> list[tuple[engine.Segment, datetime]]:
    """Return (segment clipped to the feed's window, its true start) for each non-gap segment."""
    now = now.replace(microsecond=0)  # iCalendar keeps whole seconds
    start, end = now - FEED_BEFORE, now + FEED_AFTER
    found = []
    for tier in engine.schedule_tiers(program, start, end):
        for segment in engine.final_schedule(program, tier, start, end):
            if segment.user_id is None:
                continue
            if user_id is not None and segment.user_id != user_id:
                continue
            began = segment.start
            if began == start:  # it may have begun long before the feed: its UID needs when
                began = engine.segment_start(program, tier, start, TRUE_START_LOOKBACK)
            found.append((segment, began))
    return found


def render_feed(
    session: Session, program: engine.Program, now: datetime, user_id: int | None
) -> bytes:
    """Return the feed as iCalendar bytes."""
    names = user_names(session)
    calendar = Calendar()
    calendar.add("prodid", "-//LEAD hotline//on-call schedule//EN")
    calendar.add("version", "2.0")
    # One person's feed beside the team's on one phone: its name must tell them apart.
    title = "LEAD on-call" if user_id is None else f"LEAD on-call: {names.get(user_id, '?')}"
    calendar.add("x-wr-calname", title)
    # Apps that heed them fetch again this often (RFC 7986; Outlook's own name): else a week.
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for segment, true_start in feed_segments(program, now, user_id):
        assert segment.user_id is not None
        event = Event()
        event.add(
            "uid",
            f"tier{segment.tier}-user{segment.user_id}-{true_start:%Y%m%dT%H%M%SZ}@lead-hotline",
        )
        event.add("dtstamp", now)
        event.add("dtstart", segment.start)
        event.add("dtend", segment.end)
        summary = f"LEAD on-call: {names.get(segment.user_id, '?')} (tier {segment.tier})"
        if segment.source == "override":  # as the schedule marks it: else two like events in a row
            summary += " — override"
        event.add("summary", summary)
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
