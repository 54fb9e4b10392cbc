"""In a real browser over HTTPS, as production serves it: sign in, then post a form."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.browser.conftest import shows
from tests.factories import add_user
from tests.web.conftest import PASSWORD, PRODUCTION


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Run as production does (secure cookie, HSTS, strict CSRF over HTTPS)."""
    return {**app_config, **PRODUCTION}


@pytest.fixture
def https_server(app: Flask) -> Iterator[str]:
    """Serve the app over TLS (a throwaway certificate) on a free loopback port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context="adhoc")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["HOTLINE_PUBLIC_URL"] = f"https://127.0.0.1:{server.server_port}"
    yield app.config["HOTLINE_PUBLIC_URL"]
    server.shutdown()
    thread.join()


def test_a_supervisor_signs_in_and_out_over_https(
    app: Flask, browser: Any, https_server: str
) -> None:
    sam = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
    context = browser.new_context(base_url=https_server, ignore_https_errors=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill(sam.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{https_server}/")
        shows(page.get_by_role("heading", name="On call now"))
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{https_server}/login")
        shows(page.get_by_role("button", name="Sign in"))
    finally:
        context.close()
