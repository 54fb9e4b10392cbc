"""An API client that carries a supervisor's or coordinator's bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.models import User
from hotline.services.tokens import create_token

PHONES = iter(f"+1206557{n:04d}" for n in range(100, 10_000))  # clear of the 555 numbers


def add_user(
    app: Flask, role: str = "coordinator", name: str = "Casey", active: bool = True
) -> int:
    """Add a user straight to the database and return its id."""
    with session_scope(app) as session:
        user = User(
            name=name,
            email=f"{name.lower()}.{role}.{next(PHONES)[-4:]}@example.org",
            phone=next(PHONES),
            role=role,
            active=active,
            created_at=datetime.now(UTC),
        )
        session.add(user)
        session.flush()
        return user.id


def token_for(app: Flask, user_id: int) -> str:
    """Return a new bearer token of a user."""
    with session_scope(app) as session:
        user = session.get_one(User, user_id)
        return create_token(session, user, datetime.now(UTC), Actor(None, "system"))


@dataclass
class Api:
    """Call /api/v1 as one user."""

    client: FlaskClient
    token: str | None

    def call(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def supervisor_api(app: Flask, client: FlaskClient) -> Api:
    """Return an API client acting as a supervisor (may write)."""
    return Api(client, token_for(app, add_user(app, "supervisor", "Sam")))


@pytest.fixture
def coordinator_api(app: Flask, client: FlaskClient) -> Api:
    """Return an API client acting as a coordinator (may read)."""
    return Api(client, token_for(app, add_user(app, "coordinator", "Cory")))


def rotation_body(participants: list[int], **fields: Any) -> dict[str, Any]:
    """Return a valid rotation body: daily 08:00 hand-offs in Los Angeles."""
    body: dict[str, Any] = {
        "name": "Primary",
        "tier": 1,
        "timezone": "America/Los_Angeles",
        "start": "2026-03-01T08:00",
        "shift_hours": 24,
        "participants": participants,
    }
    body.update(fields)
    return body
