"""Users and officers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint
from sqlalchemy import select

from ..db import get_session
from ..models import Officer, User
from ..schemas.people import OfficerCreate, OfficerOut, OfficerPatch, UserCreate, UserOut, UserPatch
from ..services import people
from .framework import current_actor, endpoint
from .lists import ItemsOf

bp = Blueprint("api_people", __name__)

UserList = ItemsOf(UserOut)
OfficerList = ItemsOf(OfficerOut)


@endpoint(bp, "/users", "GET", summary="List users", returns=UserList)
def list_users() -> dict[str, Any]:
    rows = get_session().scalars(select(User).order_by(User.id))
    return {"items": [people.user_fields(r) for r in rows]}


@endpoint(
    bp,
    "/users",
    "POST",
    summary="Create a user",
    access="edit_program",
    body=UserCreate,
    returns=UserOut,
    status=201,
)
def create_user(body: UserCreate) -> dict[str, Any]:
    row = people.create_user(get_session(), body, current_actor(), datetime.now(UTC))
    return people.user_fields(row)


@endpoint(bp, "/users/<int:user_id>", "GET", summary="Show a user", returns=UserOut)
def show_user(user_id: int) -> dict[str, Any]:
    return people.user_fields(people.get_user(get_session(), user_id))


@endpoint(
    bp,
    "/users/<int:user_id>",
    "PATCH",
    summary="Change a user",
    access="edit_program",
    body=UserPatch,
    returns=UserOut,
)
def patch_user(user_id: int, body: UserPatch) -> dict[str, Any]:
    row = people.update_user(get_session(), user_id, body, current_actor(), datetime.now(UTC))
    return people.user_fields(row)


@endpoint(bp, "/officers", "GET", summary="List the officer roster", returns=OfficerList)
def list_officers() -> dict[str, Any]:
    rows = get_session().scalars(select(Officer).order_by(Officer.id))
    return {"items": [people.officer_fields(r) for r in rows]}


@endpoint(
    bp,
    "/officers",
    "POST",
    summary="Add an officer",
    access="edit_program",
    body=OfficerCreate,
    returns=OfficerOut,
    status=201,
)
def create_officer(body: OfficerCreate) -> dict[str, Any]:
    row = people.create_officer(get_session(), body, current_actor(), datetime.now(UTC))
    return people.officer_fields(row)


@endpoint(bp, "/officers/<int:officer_id>", "GET", summary="Show an officer", returns=OfficerOut)
def show_officer(officer_id: int) -> dict[str, Any]:
    return people.officer_fields(people.get_officer(get_session(), officer_id))


@endpoint(
    bp,
    "/officers/<int:officer_id>",
    "PATCH",
    summary="Change an officer",
    access="edit_program",
    body=OfficerPatch,
    returns=OfficerOut,
)
def patch_officer(officer_id: int, body: OfficerPatch) -> dict[str, Any]:
    row = people.update_officer(get_session(), officer_id, body, current_actor(), datetime.now(UTC))
    return people.officer_fields(row)
