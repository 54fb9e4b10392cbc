"""Single sign-on through an OpenID Connect provider served on loopback (SPEC §9).

Nothing in the app is mocked: it reads the provider's discovery document and
keys over HTTP, sends the browser there with PKCE, exchanges the code and
checks the signed ID token. The test plays the browser between the two.
"""

from __future__ import annotations

import html
import re
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hotline import create_app
from hotline.db import database, session_scope
from hotline.models import User
from tests.factories import add_user
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, serving


@pytest.fixture
def provider() -> Iterator[Provider]:
    with serving({"email": "ana@example.org", "email_verified": True}) as state:
        yield state


@pytest.fixture
def app_config(app_config: dict[str, Any], provider: Provider) -> dict[str, Any]:
    """Point the app at the loopback provider; require the TOTP factor, as production does."""
    return {
        **app_config,
        "HOTLINE_OIDC_ISSUER": provider.issuer,
        "HOTLINE_OIDC_CLIENT_ID": CLIENT_ID,
        "HOTLINE_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "HOTLINE_REQUIRE_MFA": True,
    }


def single_sign_on(client: FlaskClient, start_at: str = "/login/sso") -> Any:
    """Go through the provider as a browser would; return the app's answer to the callback."""
    start = client.get(start_at)
    assert start.status_code == 302
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/login/sso/callback"
    return client.get(f"{back.path}?{back.query}")


def test_the_login_page_offers_the_citys_sign_in(client: FlaskClient) -> None:
    assert 'id="sso" href="/login/sso"' in client.get("/login").get_data(as_text=True)


def test_an_active_user_signs_in_with_the_provider_and_its_factor(
    app: Flask, client: FlaskClient, provider: Provider
) -> None:
    add_user(app, "Ana Diaz", email="ana@example.org")
    answer = single_sign_on(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in: no TOTP, the provider's factor
    (sent,) = provider.token_requests
    assert sent["code_verifier"]  # PKCE: the provider checked it against the challenge


def test_nobody_is_created_for_an_unknown_email(app: Flask, client: FlaskClient) -> None:
    answer = single_sign_on(client)
    assert answer.status_code == 401
    assert "no active hotline account for ana@example.org" in answer.get_data(as_text=True)
    with session_scope(app) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
    assert client.get("/").status_code == 302


def test_a_deactivated_user_stays_out(app: Flask, client: FlaskClient) -> None:
    ana = add_user(app, "Ana Diaz", email="ana@example.org")
    with session_scope(app) as session:
        session.get_one(User, ana.id).active = False
    assert single_sign_on(client).status_code == 401
    assert client.get("/").status_code == 302


def test_an_unverified_email_is_not_enough(
    app: Flask, client: FlaskClient, provider: Provider
) -> None:
    add_user(app, "Ana Diaz", email="ana@example.org")
    provider.identity["email_verified"] = False
    answer = single_sign_on(client)
    assert answer.status_code == 401 and "did not confirm an email" in answer.get_data(as_text=True)


def test_a_forged_callback_signs_nobody_in(app: Flask, client: FlaskClient) -> None:
    add_user(app, "Ana Diaz", email="ana@example.org")
    client.get("/login/sso")  # a real state in the session, but a code the provider never gave
    answer = client.get("/login/sso/callback?code=made-up&state=made-up")
    assert answer.status_code == 401
    assert client.get("/").status_code == 302


def test_a_callback_from_anyone_cannot_write_lines_into_the_log(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    # The callback needs no sign-in, and its `error` comes from whoever wrote the URL.
    forged = "access_denied\n2026-12-06 03:00:00 INFO hotline: supervisor signed in"
    answer = client.get("/login/sso/callback", query_string={"error": forged})
    assert answer.status_code == 401
    logged = [record.getMessage() for record in caplog.records]
    assert logged and not any("\n" in line or "supervisor signed in" in line for line in logged)


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://another-issuer.example"},
        {"aud": "another-client"},
        {"nonce": "not-the-one-sent"},
        {"exp": 1_000_000_000, "iat": 999_999_000},  # expired: a skewed clock, or a replay
    ],
)
def test_an_id_token_that_fails_its_checks_is_refused_with_the_sign_in_page(
    app: Flask, client: FlaskClient, provider: Provider, claims: dict[str, Any]
) -> None:
    add_user(app, "Ana Diaz", email="ana@example.org")
    provider.identity.update(claims)
    answer = single_sign_on(client)
    assert answer.status_code == 401, answer.status_code
    assert "did not complete" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_provider_naming_another_issuer_than_the_one_configured_is_refused(
    app: Flask, client: FlaskClient, provider: Provider
) -> None:
    add_user(app, "Ana Diaz", email="ana@example.org")
    # Discovery and token agree with each other, not with HOTLINE_OIDC_ISSUER.
    provider.named_issuer = "https://sign-in.elsewhere.example"
    answer = single_sign_on(client)
    assert answer.status_code == 401, answer.status_code
    assert "did not complete" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_citys_sign_in_goes_on_to_the_page_the_link_was_for(
    app: Flask, client: FlaskClient
) -> None:
    add_user(app, "Ana Diaz", email="ana@example.org")
    to_login = client.get("/referrals?status=notified")  # a link from a text, at 3 a.m.
    page = client.get(to_login.headers["Location"]).get_data(as_text=True)
    link = re.search(r'id="sso" href="([^"]+)"', page)
    assert link, "the login page offers the city's sign-in"
    answer = single_sign_on(client, html.unescape(link.group(1)))
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/referrals?status=notified"


def test_the_citys_sign_in_never_leaves_the_site(app: Flask, client: FlaskClient) -> None:
    add_user(app, "Ana Diaz", email="ana@example.org")
    answer = single_sign_on(client, "/login/sso?next=//evil.example/referrals")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_a_provider_out_of_reach_leaves_the_password_sign_in_open(
    app: Flask, app_config: dict[str, Any]
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    down = create_app({**app_config, "HOTLINE_OIDC_ISSUER": closed})
    try:
        answer = down.test_client().get("/login/sso")
    finally:
        database(down).engine.dispose()
    assert answer.status_code == 503, answer.status_code
    page = answer.get_data(as_text=True)
    assert "cannot be reached" in page and 'name="password"' in page


def test_a_provider_that_never_answers_is_given_up_on_in_time(
    app: Flask, app_config: dict[str, Any], provider: Provider
) -> None:
    # The web workers also answer Twilio: a hung provider must not hold one for long.
    stalled = create_app({**app_config, "OIDC_TIMEOUT_SECONDS": 0.5})
    try:
        add_user(stalled, "Ana Diaz", email="ana@example.org")
        client = stalled.test_client()
        start = client.get("/login/sso")
        at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
        back = urlsplit(at_provider.headers["Location"])
        provider.answering.clear()  # the token endpoint now takes the request and says nothing
        began = time.monotonic()
        answer = client.get(f"{back.path}?{back.query}")
        waited = time.monotonic() - began
    finally:
        provider.answering.set()
        database(stalled).engine.dispose()
    assert answer.status_code == 503, answer.status_code
    assert "cannot be reached" in answer.get_data(as_text=True)
    assert waited < 5, waited
    assert client.get("/").status_code == 302
