"""A signed-in browser over the test client, sending CSRF tokens as a browser does."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hotline.db import session_scope
from hotline.models import User
from tests.factories import add_user

PASSWORD = "correct horse battery"
# Settings production starts with, a password-only sign-in (the second factor has its tests).
PRODUCTION = {
    "HOTLINE_ENV": "production",
    "SECRET_KEY": "k" * 32,
    "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
    "HOTLINE_REQUIRE_MFA": False,
}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """Return the CSRF token a page's form carries."""
    match = _TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@dataclass
class Web:
    """One browser: its cookies, and the CSRF token of its session."""

    client: FlaskClient
    token: str = ""
    user: User | None = field(default=None)

    def login(self, user: User, password: str = PASSWORD) -> TestResponse:
        self.token = csrf_token(self.client.get("/login").get_data(as_text=True))
        answer = self.client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": self.token}
        )
        self.user = user
        if answer.status_code == 302:  # signing in starts a new session, with a new token
            home = self.client.get("/", follow_redirects=True)  # a role may have another home
            self.token = csrf_token(home.get_data(as_text=True))
        return answer

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """Post a form as the browser would, with this session's CSRF token."""
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def text(self, path: str) -> str:
        answer = self.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        return answer.get_data(as_text=True)


@pytest.fixture
def supervisor(app: Flask) -> User:
    return add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)


@pytest.fixture
def coordinator(app: Flask) -> User:
    return add_user(app, "Cora Lee", "coordinator", password=PASSWORD)


@pytest.fixture
def as_supervisor(client: FlaskClient, supervisor: User) -> Web:
    """Return a browser signed in as a supervisor."""
    web = Web(client)
    assert web.login(supervisor).status_code == 302
    return web


@pytest.fixture
def as_coordinator(app: Flask, coordinator: User) -> Web:
    """Return a browser (its own cookies) signed in as a coordinator."""
    web = Web(app.test_client())
    assert web.login(coordinator).status_code == 302
    return web


@pytest.fixture
def ana(app: Flask) -> User:
    """Return a coordinator, Ana Diaz."""
    return add_user(app, "Ana Diaz")


@pytest.fixture
def ben(app: Flask) -> User:
    """Return a coordinator, Ben Okafor."""
    return add_user(app, "Ben Okafor")


@pytest.fixture
def cy(app: Flask) -> User:
    """Return a coordinator, Cy Park."""
    return add_user(app, "Cy Park")


@pytest.fixture
def spanish_pages(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[User, dict[str, str]], None]]:
    """Return `speak(user, translations)`: the user reads pages through a Spanish web catalog."""
    import hotline.i18n as i18n

    def speak(user: User, translations: dict[str, str]) -> None:
        catalog = tmp_path / "es" / "LC_MESSAGES" / "web.po"
        catalog.parent.mkdir(parents=True, exist_ok=True)
        po = functools.partial(json.dumps, ensure_ascii=False)  # a PO string is a JSON one here
        entries = [f"msgid {po(en)}\nmsgstr {po(es)}\n" for en, es in translations.items()]
        catalog.write_text("\n".join(entries), encoding="utf-8")
        monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
        i18n._table.cache_clear()
        with session_scope(app) as session:
            session.get_one(User, user.id).language = "es"

    yield speak
    i18n._table.cache_clear()


@pytest.fixture
def bracketed_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write every web catalog word as [[word]], so a word outside the catalog stands out."""
    import hotline.web.language as web
    from hotline.i18n import Translate

    def bracket(channel: str, language: str | None) -> Translate:
        return lambda message, **params: "[[" + message.format(**params) + "]]"

    monkeypatch.setattr(web, "translator", bracket)
