"""The schedule: the on-call calendar by day and tier, and the calendar feed addresses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import current_app, render_template, request, url_for

from .. import rotation as engine
from ..db import get_session
from ..permissions import can
from ..services.calendar import TRUE_START_LOOKBACK
from ..services.calendar_secret import calendar_token
from ..services.oncall import load_program, schedule_segments, true_ends
from . import bp, program_zone
from .auth import login_required
from .calendar_days import calendar_context, day_window
from .form_fields import people
from .timeline import lines

# A week, two weeks, four weeks (the month view): SPEC §9's 14/28 days and a week.
SPANS = (7, 14, 28)
DEFAULT_SPAN = 14


def public_url(path: str) -> str:
    """Return an absolute address of this app (HOTLINE_PUBLIC_URL when set)."""
    base = current_app.config.get("HOTLINE_PUBLIC_URL") or request.url_root
    return str(base).rstrip("/") + path


@bp.get("/schedule")
@login_required
def schedule() -> str:
    """Show the on-call calendar (a week to four weeks), its gaps, and the calendar links."""
    days = next((n for n in SPANS if request.args.get("days") == str(n)), DEFAULT_SPAN)
    zone = program_zone()
    db = get_session()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    today = now.astimezone(zone).date()
    first = chosen_day(request.args.get("from", ""), today)
    start, end = day_window(first, days, zone)
    segments = schedule_segments(db, start, end, None, primary=True)
    users = people(db)
    names = {user_id: user.name for user_id, user in users.items()}
    feed = url_for(
        "api.api_calendar.feed", token=calendar_token(db, current_app.config["SECRET_KEY"])
    )
    on_call = {s.user_id for s in segments if s.user_id is not None}
    shown = [s for s in segments if s.end > now]  # the words and the gap count: from now on
    # A stretch cut by the page's last midnight goes on: its words say until when.
    ends = true_ends(db, segments, end)
    # And a shift held at its first midnight began before it: its words say when.
    program = load_program(db)
    begins = {
        (s.tier, s.start): engine.segment_start(program, s.tier, start, TRUE_START_LOOKBACK)
        for s in segments
        if s.start == start and s.user_id is not None
    }
    return render_template(
        "schedule.html",
        days=days,
        spans=SPANS,
        first=first,
        earlier=first - timedelta(days=days) if first > today else None,
        later=first + timedelta(days=days),
        one_day=timedelta(days=1),
        today=today,
        **calendar_context(segments, first, days, names, zone, now),
        lines=lines(shown, max(start, now), end, names, zone, today.year, ends, begins),
        gaps=[
            (s, ends.get(s.tier, s.end) if s.end == end else s.end)
            for s in shown
            if s.user_id is None
        ],
        team_feed=public_url(feed),
        person_feeds=[
            (user, public_url(f"{feed}?user={user.id}"))
            for user in users.values()
            # Those who may be on call, and anyone still on the schedule (made inactive since).
            if (user.active and can(user, "take_calls")) or user.id in on_call
        ],
    )


def chosen_day(text: str, today: date) -> date:
    """Return the first day asked for (today, or a later day within a year; else today)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return today
    return day if today <= day <= today + timedelta(days=366) else today
