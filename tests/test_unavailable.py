"""With the database down, the API answers 503 with Retry-After and pages a styled 503."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline import create_app
from hotline.db import database
from tests.faults.stuck import unused_loopback_port
from tests.web.conftest import csrf_token


@pytest.fixture
def down(app_config: dict[str, Any]) -> Iterator[Flask]:
    """Yield an app whose PostgreSQL database refuses every connection."""
    url = f"postgresql+psycopg://hotline@127.0.0.1:{unused_loopback_port()}/hotline"
    app = create_app({**app_config, "DATABASE_URL": url})
    yield app
    database(app).engine.dispose()


def quickly(client: FlaskClient, method: str, path: str, **kwargs: Any) -> Any:
    """Send a request and check the answer came fast (a refused connection is no wait)."""
    started = time.monotonic()
    answer = client.open(path, method=method, **kwargs)
    assert time.monotonic() - started < 5
    return answer


class TestApi:
    """SPEC §8 errors: a passing outage is 503 `unavailable`, and says when to retry."""

    @pytest.mark.parametrize(
        ("method", "path"), [("GET", "/api/v1/users"), ("POST", "/api/v1/officers")]
    )
    def test_database_down_is_503_with_retry_after(
        self, down: Flask, method: str, path: str
    ) -> None:
        answer = quickly(
            down.test_client(),
            method,
            path,
            headers={"Authorization": "Bearer some-token"},
            json={"name": "X", "badge": "1", "agency": "SPD", "phone": "+12065550142"},
        )
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "30"
        assert answer.json["error"]["code"] == "unavailable"
        assert "try again" in answer.json["error"]["message"]


class TestPages:
    """People see the app's own page saying the database is down, not a bare 500."""

    def test_signing_in_while_the_database_is_down(self, down: Flask) -> None:
        client = down.test_client()
        token = csrf_token(client.get("/login").get_data(as_text=True))
        answer = quickly(
            client,
            "POST",
            "/login",
            data={"email": "a@example.org", "password": "whatever", "csrf_token": token},
        )
        self.assert_styled_503(answer)

    def test_a_signed_in_page_while_the_database_is_down(self, down: Flask) -> None:
        client = down.test_client()
        with client.session_transaction() as cookie:
            cookie["user_id"], cookie["epoch"] = 1, 0
        self.assert_styled_503(quickly(client, "GET", "/audit"))

    def assert_styled_503(self, answer: Any) -> None:
        page = answer.get_data(as_text=True)
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "30"
        assert answer.mimetype == "text/html"
        assert "Temporarily unavailable" in page and "try again in a minute" in page
        assert "/static/style.css" in page and 'class="brand"' in page
