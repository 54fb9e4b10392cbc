"""Fixtures shared by every test: an app on a fresh, empty database, and its clients.

The database is SQLite unless HOTLINE_TEST_DATABASE_URL names a PostgreSQL
database, whose tables these fixtures drop, recreate and empty at will.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from hotline import create_app
from hotline.config import DEFAULTS, normalize_database_url
from hotline.db import build_engine, database
from hotline.models import Base
from tests.messaging.fake_twilio import FakeTwilio

TEST_DATABASE_VARIABLE = "HOTLINE_TEST_DATABASE_URL"

settings.register_profile("ci", max_examples=50, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
# A long campaign before a release; the fuzz tests also run 20 × their examples (tests/fuzzing.py).
settings.register_profile("deep", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the shell's own settings (DATABASE_URL, HOTLINE_*, …) out of every test."""
    for key in DEFAULTS:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of a database holding the empty schema, created once per session.

    PostgreSQL when HOTLINE_TEST_DATABASE_URL is set; otherwise a SQLite file
    that `app` copies, so that each test starts from its own file.
    """
    configured = os.environ.get(TEST_DATABASE_VARIABLE)
    if configured:
        url = normalize_database_url(configured)
        assert url is not None
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'empty.db'}"
    engine = build_engine(url)
    try:
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            Base.metadata.create_all(connection)
    finally:
        engine.dispose()
    return url


def is_sqlite(url: str) -> bool:
    """Tell whether `url` names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Return the settings `app` is created with; override this fixture to change them."""
    if is_sqlite(database_url):
        template = make_url(database_url).database
        assert template is not None
        shutil.copyfile(template, tmp_path / "hotline.db")
        database_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    return {
        "TESTING": True,
        "HOTLINE_ENV": "development",
        "INSTANCE_PATH": tmp_path / "instance",
        "SECRET_KEY": "test",
        "TWILIO_AUTH_TOKEN": "test-token",
        "HOTLINE_PUBLIC_URL": "http://localhost",
        "HOTLINE_NUMBER": "+12065550100",
        "HOTLINE_TRANSPORT": "log",
        "DATABASE_URL": database_url,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """Yield an app on an empty database of its own (SQLite) or just emptied (PostgreSQL)."""
    app = create_app(app_config)
    engine = database(app).engine
    if not is_sqlite(app_config["DATABASE_URL"]):
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield app
    engine.dispose()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """Serve a fresh fake Twilio REST API on a free loopback port for one test (its `url`)."""
    fake = FakeTwilio()
    with fake.serve():
        yield fake


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Return a runner of the app's `flask`/`hotline` commands."""
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """Yield a session on the app's database, inside an app context.

    It is the test's own, not the one views get from get_session(): commit
    what a request should see.
    """
    with app.app_context(), database(app).sessionmaker() as session:
        yield session


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a database with nothing in it, on each backend under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    configured = normalize_database_url(os.environ.get(TEST_DATABASE_VARIABLE))
    if not configured:
        pytest.skip(f"{TEST_DATABASE_VARIABLE} is not set")
    # A schema of its own leaves the tables the other fixtures share untouched.
    schema = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(configured, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(configured).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
