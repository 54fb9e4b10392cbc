"""Rotations, overrides, who is on call, and the final schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db import get_session
from ..models import Override, Rotation
from ..schemas.oncall import (
    MAX_SCHEDULE_SPAN,
    OnCallOut,
    OnCallQuery,
    OverrideIn,
    OverrideOut,
    RotationIn,
    RotationOut,
    ScheduleOut,
    ScheduleQuery,
)
from ..services import oncall
from ..services.errors import Conflict
from .framework import ApiError, Versioned, current_actor, endpoint
from .lists import ItemsOf

bp = Blueprint("api_oncall", __name__)
DEFAULT_SCHEDULE_SPAN = timedelta(days=14)


@endpoint(bp, "/rotations", "GET", summary="List rotations", returns=ItemsOf(RotationOut))
def list_rotations() -> dict[str, Any]:
    query = select(Rotation).options(selectinload(Rotation.participants)).order_by(Rotation.id)
    return {"items": [oncall.rotation_json(r) for r in get_session().scalars(query)]}


@endpoint(
    bp,
    "/rotations",
    "POST",
    summary="Create a rotation",
    access="edit_program",
    body=RotationIn,
    returns=RotationOut,
    status=201,
    etag=True,
)
def create_rotation(body: RotationIn) -> Versioned:
    row = oncall.create_rotation(get_session(), body, current_actor(), datetime.now(UTC))
    return versioned(row)


@endpoint(
    bp,
    "/rotations/<int:rotation_id>",
    "GET",
    summary="Show a rotation",
    returns=RotationOut,
    etag=True,
)
def show_rotation(rotation_id: int) -> Versioned:
    return versioned(oncall.get_rotation(get_session(), rotation_id))


@endpoint(
    bp,
    "/rotations/<int:rotation_id>",
    "PUT",
    summary="Replace a rotation",
    access="edit_program",
    body=RotationIn,
    returns=RotationOut,
    etag=True,
    if_match=True,
)
def replace_rotation(rotation_id: int, body: RotationIn) -> Versioned:
    drawn_from = version_matched()
    try:
        row = oncall.replace_rotation(
            get_session(), rotation_id, body, current_actor(), datetime.now(UTC), drawn_from
        )
    except Conflict as error:
        if error.field != "drawn_from":
            raise
        raise stale() from None
    return versioned(row)


# A PUT is last-write-wins unless it says which version it replaces: a script that read the
# rotation, then saves over a colleague's change made since, is refused as the web's editor is.
STALE = "the rotation was changed since the version If-Match names: read it again"


def stale() -> ApiError:
    """Return the 412 of a PUT whose If-Match names no version the rotation has now."""
    return ApiError(412, "precondition_failed", STALE, "If-Match")


def versioned(row: Rotation) -> Versioned:
    """Answer a rotation with its version as the ETag."""
    return Versioned(oncall.rotation_json(row), oncall.rotation_version(row))


def version_matched() -> datetime | None:
    """Return the version a PUT's If-Match names (None without one, or with *); else 412."""
    tags = request.if_match
    if not tags or tags.star_tag:
        return None
    try:
        (version,) = (datetime.fromisoformat(tag) for tag in tags.as_set())
        if version.tzinfo is None:
            raise stale()
        # An offset that takes it past year 1 or 9999 has no UTC instant: no version is that.
        return version.astimezone(UTC)
    except (ValueError, OverflowError):  # not one of our versions, or several: none can match
        raise stale() from None


@endpoint(
    bp,
    "/rotations/<int:rotation_id>",
    "DELETE",
    summary="Delete a rotation",
    access="edit_program",
    status=204,
)
def delete_rotation(rotation_id: int) -> None:
    oncall.delete_rotation(get_session(), rotation_id, current_actor(), datetime.now(UTC))


@endpoint(bp, "/overrides", "GET", summary="List overrides", returns=ItemsOf(OverrideOut))
def list_overrides() -> dict[str, Any]:
    rows = get_session().scalars(select(Override).order_by(Override.id))
    return {"items": [oncall.override_fields(r) for r in rows]}


@endpoint(
    bp,
    "/overrides",
    "POST",
    summary="Create an override",
    access="edit_program",
    body=OverrideIn,
    returns=OverrideOut,
    status=201,
)
def create_override(body: OverrideIn) -> dict[str, Any]:
    row = oncall.create_override(get_session(), body, current_actor(), datetime.now(UTC))
    return oncall.override_fields(row)


@endpoint(
    bp,
    "/overrides/<int:override_id>",
    "DELETE",
    summary="Delete an override",
    access="edit_program",
    status=204,
)
def delete_override(override_id: int) -> None:
    oncall.delete_override(get_session(), override_id, current_actor(), datetime.now(UTC))


@endpoint(
    bp,
    "/oncall",
    "GET",
    summary="Who is on call per tier, until when, and the chain",
    query=OnCallQuery,
    returns=OnCallOut,
)
def show_oncall(query: OnCallQuery) -> dict[str, Any]:
    at = query.at or datetime.now(UTC)
    return oncall.who_is_on_call(get_session(), at, current_app.config["HOTLINE_FALLBACK_NUMBERS"])


@endpoint(
    bp,
    "/schedule",
    "GET",
    summary="The final schedule with gaps",
    query=ScheduleQuery,
    returns=ScheduleOut,
)
def show_schedule(query: ScheduleQuery) -> dict[str, Any]:
    start = query.start or datetime.now(UTC)
    end = query.end or start + DEFAULT_SCHEDULE_SPAN
    if end <= start:
        raise ApiError(400, "bad_query", "end must be after start", "end")
    if end - start > MAX_SCHEDULE_SPAN:
        raise ApiError(400, "bad_query", "the window is at most 400 days", "end")
    segments = oncall.schedule_segments(get_session(), start, end, query.tier)
    return {"segments": [vars(s) for s in segments]}
