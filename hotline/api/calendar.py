"""The program's calendar feed: its secret URL, and the feed itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from flask import Blueprint, Response, current_app, request, url_for

from ..db import get_session
from ..models import User
from ..schemas.common import IN_DIGITS, Input, Output, PositiveId
from ..services import calendar, calendar_secret
from ..services.oncall import load_program
from .framework import ApiError, endpoint

bp = Blueprint("api_calendar", __name__)


class CalendarOut(Output):
    """Where the program's calendar feed is."""

    url: str


class FeedQuery(Input):
    """`?user=`: only this person's shifts."""

    model_config = Input.model_config | {"strict": False, "extra": "ignore"}
    user: Annotated[PositiveId, IN_DIGITS] | None = None


@endpoint(bp, "/calendar", "GET", summary="The calendar feed's address", returns=CalendarOut)
def feed_address() -> dict[str, Any]:
    token = calendar_secret.calendar_token(get_session(), current_app.config["SECRET_KEY"])
    path = url_for(".feed", token=token)
    base = current_app.config.get("HOTLINE_PUBLIC_URL") or request.url_root
    return {"url": base.rstrip("/") + path}


@endpoint(
    bp,
    "/calendar/<token>.ics",
    "GET",
    summary="The on-call schedule as iCalendar",
    access="public",
    query=FeedQuery,
    media_type="text/calendar",
)
def feed(token: str, query: FeedQuery) -> Response:
    session = get_session()
    if not calendar_secret.token_matches(session, token, current_app.config["SECRET_KEY"]):
        raise ApiError(404, "not_found", "no such calendar")
    if query.user is not None and session.get(User, query.user) is None:
        raise ApiError(400, "bad_query", f"no user with id {query.user}", "user")
    body = calendar.render_feed(session, load_program(session), datetime.now(UTC), query.user)
    return Response(body, mimetype="text/calendar")
