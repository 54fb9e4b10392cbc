"""Every signed-in page warns, in words, while the clock is not sending texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from hotline import create_app
from hotline.db import database, session_scope
from hotline.jobs import run_job
from hotline.models import JobRun
from tests.factories import add_user
from tests.web.conftest import PASSWORD, PRODUCTION, Web

WARNING = "Warning: texts are not going out."
PAGES = ("/", "/rotations", "/overrides", "/schedule", "/referrals", "/people", "/audit")


def banner_of(html: str) -> bool:
    return 'class="alert-banner" role="alert"' in html and WARNING in html


def test_every_signed_in_page_warns_while_the_clock_never_ran(as_supervisor: Web) -> None:
    for path in PAGES:
        assert banner_of(as_supervisor.text(path)), path
    assert "never sent the queued texts" in as_supervisor.text("/")


def test_the_warning_goes_away_once_texts_go_out_and_returns_when_they_stop(
    app: Flask, as_coordinator: Web
) -> None:
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    assert not banner_of(as_coordinator.text("/"))

    with session_scope(app) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.name == "dispatch-outbox")
            .values(succeeded_at=datetime.now(UTC) - timedelta(minutes=4))
        )
    page = as_coordinator.text("/referrals")
    assert banner_of(page)
    assert "last sent the queued texts on" in page


def test_the_sign_in_page_shows_no_warning(client: FlaskClient) -> None:
    assert not banner_of(client.get("/login").get_data(as_text=True))


class TestProductionWithoutTwilio:
    """A production program that sends no texts (no Twilio account set) says so on every page."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, **PRODUCTION}

    def test_every_signed_in_page_says_texts_are_not_sent(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        run_job(app, "dispatch-outbox", datetime.now(UTC))  # the clock runs: that is not it
        assert app.config["HOTLINE_TRANSPORT"] == "log"
        for path in PAGES:
            page = as_supervisor.text(path)
            assert 'id="transport-warning"' in page and "TWILIO_ACCOUNT_SID" in page, path

    def test_the_app_says_so_in_its_log_at_start(
        self, app_config: dict[str, Any], caplog: pytest.LogCaptureFixture
    ) -> None:
        create_app(app_config)
        assert "texts are stored and none is sent" in caplog.text

    def test_development_says_nothing(self, app_config: dict[str, Any]) -> None:
        app = create_app({**app_config, "HOTLINE_ENV": "development"})
        try:
            web = Web(app.test_client())
            web.login(add_user(app, "Sam Reyes", "supervisor", password=PASSWORD))
            assert 'id="transport-warning"' not in web.text("/")
        finally:
            database(app).engine.dispose()  # its pooled connections closed, not left to GC


def test_the_warning_names_a_carrier_that_refuses_the_texts(
    app: Flask, as_coordinator: Web
) -> None:
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    with session_scope(app) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.name == "dispatch-outbox")
            .values(
                succeeded_at=datetime.now(UTC) - timedelta(minutes=4),
                ok=False,
                result="texts are not going out: Twilio answered HTTP 401 (Twilio error 20003)",
                refused="Twilio answered HTTP 401 (Twilio error 20003)",
            )
        )

    page = as_coordinator.text("/")

    assert banner_of(page)
    assert "Twilio did not take the last text: HTTP 401 (Twilio error 20003)" in page
    assert "Twilio account" in page


class TestProductionWithoutItsOwnNumber:
    """A production program on Twilio without HOTLINE_NUMBER cannot send a text: it says so."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {
            **app_config,
            **PRODUCTION,
            "HOTLINE_TRANSPORT": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",  # never the internet
            "HOTLINE_NUMBER": None,
        }

    def test_every_signed_in_page_says_texts_have_no_sender(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        run_job(app, "dispatch-outbox", datetime.now(UTC))
        assert app.config["HOTLINE_TRANSPORT"] == "twilio"
        for path in PAGES:
            page = as_supervisor.text(path)
            assert 'id="transport-warning"' in page and "HOTLINE_NUMBER is not set" in page, path

    def test_the_app_says_so_in_its_log_at_start(
        self, app_config: dict[str, Any], caplog: pytest.LogCaptureFixture
    ) -> None:
        app = create_app(app_config)
        database(app).engine.dispose()
        assert "HOTLINE_NUMBER is not set in production" in caplog.text
