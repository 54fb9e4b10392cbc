"""The schedule: a 14- or 28-day timeline per tier, and the calendar feed addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, render_template, request, url_for

from ..db import get_session
from ..services.calendar_secret import calendar_token
from ..services.oncall import schedule_segments
from . import bp, program_zone
from .auth import login_required
from .form_fields import people
from .preview import ruler
from .timeline import lines

SPANS = (14, 28)


def public_url(path: str) -> str:
    """Return an absolute address of this app (HOTLINE_PUBLIC_URL when set)."""
    base = current_app.config.get("HOTLINE_PUBLIC_URL") or request.url_root
    return str(base).rstrip("/") + path


@bp.get("/schedule")
@login_required
def schedule() -> str:
    """Show each tier's final schedule with gaps, and the calendar links."""
    days = next((n for n in SPANS if request.args.get("days") == str(n)), SPANS[0])
    zone = program_zone()
    db = get_session()
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    end = start + timedelta(days=days)
    segments = schedule_segments(db, start, end, None)
    users = people(db)
    names = {user_id: user.name for user_id, user in users.items()}
    feed = url_for(
        "api.api_calendar.feed", token=calendar_token(db, current_app.config["SECRET_KEY"])
    )
    on_call = {s.user_id for s in segments if s.user_id is not None}
    return render_template(
        "schedule.html",
        days=days,
        spans=SPANS,
        lines=lines(segments, start, end, names, zone),
        marks=ruler(start, end, zone),
        gaps=[s for s in segments if s.user_id is None],
        team_feed=public_url(feed),
        person_feeds=[
            (user, public_url(f"{feed}?user={user.id}"))
            for user in users.values()
            if user.active or user.id in on_call
        ],
    )
