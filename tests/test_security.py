"""Security headers on every response, and limits on refused webhook and API requests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline import create_app
from hotline.simulator import sign
from tests.factories import add_user
from tests.web.conftest import PASSWORD, csrf_token

ATTACKER, OTHER = "203.0.113.5", "198.51.100.7"
TEXT = {"MessageSid": "SM1", "From": "+12065550123", "To": "+12065550100", "Body": "HELP"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Refuse an address after three refused requests a minute, behind one proxy."""
    return {**app_config, "HOTLINE_REFUSAL_LIMIT": "3/minute", "HOTLINE_PROXY_COUNT": 1}


def post_from(client: FlaskClient, address: str, path: str, **kwargs: Any) -> int:
    """POST as the client at `address` (as the proxy in front reports it); return the status."""
    headers = {"X-Forwarded-For": address, **kwargs.pop("headers", {})}
    return client.post(path, headers=headers, **kwargs).status_code


class TestHeaders:
    """What a browser is told to refuse."""

    def test_pages_forbid_inline_script_framing_and_caching(self, client: FlaskClient) -> None:
        headers = client.get("/login").headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy.split("style-src-attr")[0]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"  # no address to another site
        assert headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers  # development runs on plain http

    def test_static_files_may_be_cached(self, client: FlaskClient) -> None:
        with client.get("/static/style.css") as response:
            assert response.status_code == 200
            assert "no-store" not in response.headers.get("Cache-Control", "")
            assert response.headers["X-Content-Type-Options"] == "nosniff"

    def test_production_adds_hsts_and_a_secure_cookie(self, tmp_path: Any) -> None:
        app = create_app(
            {
                "INSTANCE_PATH": str(tmp_path),
                "HOTLINE_ENV": "production",
                "SECRET_KEY": "k" * 32,
                "TWILIO_AUTH_TOKEN": "t" * 32,
                "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            }
        )
        response = app.test_client().get("/login", base_url="https://hotline.example.org")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_NAME"] == "__Host-hotline"


# What a browser sends as Referer from a page of this site to this site, by the page's policy.
SAME_SITE_REFERER = {"no-referrer": None, "same-origin": "page", "strict-origin": "origin"}


class TestBehindTheRouter:
    """Production behind one Heroku-style router, as the README sets it up."""

    SITE = "https://hotline.example.org"

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        """Run as production does, over HTTPS behind one proxy."""
        production = {"HOTLINE_ENV": "production", "SECRET_KEY": "k" * 32, "TESTING": False}
        return {
            **app_config,
            **production,
            "HOTLINE_PUBLIC_URL": self.SITE,
            "HOTLINE_PROXY_COUNT": 1,
        }

    def test_a_browser_signs_in_over_https(self, app: Flask) -> None:
        # The form must take a post that carries what the app's own Referrer-Policy
        # lets a browser send from its page to the same site.
        user = add_user(app, "Sam Reyes", "supervisor", password=PASSWORD)
        browser = app.test_client()
        router = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        page = browser.get("/login", base_url=self.SITE, headers=router)
        sent = SAME_SITE_REFERER[page.headers["Referrer-Policy"]]
        referer = {"page": f"{self.SITE}/login", "origin": f"{self.SITE}/", None: None}[sent]
        form = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
        headers = {**router, **({"Referer": referer} if referer else {})}
        answer = browser.post("/login", base_url=self.SITE, headers=headers, data=form)
        assert answer.status_code == 302, answer.text  # on to the second factor
        assert answer.headers["Location"] == "/login/enrol"
        elsewhere = {**router, "Referer": "https://evil.example.com/"}
        forged = browser.post("/login", base_url=self.SITE, headers=elsewhere, data=form)
        assert forged.status_code == 400  # a post from another site is still refused


class TestRefusalLimits:
    """An address that keeps sending unsigned webhooks or bad tokens is cut off; Twilio never."""

    def test_unsigned_webhooks_from_one_address_are_cut_off(self, client: FlaskClient) -> None:
        statuses = [post_from(client, ATTACKER, "/sms/incoming", data=TEXT) for _ in range(4)]
        assert statuses == [403, 403, 403, 429]
        assert post_from(client, ATTACKER, "/voice/incoming", data={"CallSid": "CA1"}) == 429
        assert post_from(client, OTHER, "/sms/incoming", data=TEXT) == 403

    def test_signed_webhooks_are_never_counted(self, app: Flask, client: FlaskClient) -> None:
        token = app.config["TWILIO_AUTH_TOKEN"]
        for n in range(6):
            text = {**TEXT, "MessageSid": f"SM{n}"}
            signature = sign(token, "http://localhost/sms/incoming", text)
            status = post_from(
                client,
                ATTACKER,
                "/sms/incoming",
                data=text,
                headers={"X-Twilio-Signature": signature},
            )
            assert status == 200

    def test_bad_api_tokens_from_one_address_are_cut_off(self, client: FlaskClient) -> None:
        wrong = {"Authorization": "Bearer not-a-token"}
        statuses = [
            client.get("/api/v1/users", headers={**wrong, "X-Forwarded-For": ATTACKER}).status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        assert (
            client.get("/api/v1/users", headers={**wrong, "X-Forwarded-For": OTHER}).status_code
            == 401
        )

    def test_an_api_client_cut_off_is_told_so_in_the_json_error_object(
        self, client: FlaskClient
    ) -> None:
        # The API's 429 was the text "Too many refused requests…": a client reading
        # error.code and error.message (SPEC §8) failed to parse it.
        wrong = {"Authorization": "Bearer not-a-token", "X-Forwarded-For": ATTACKER}
        for _ in range(3):
            client.get("/api/v1/users", headers=wrong)
        answer = client.get("/api/v1/users", headers=wrong)
        assert (answer.status_code, answer.mimetype) == (429, "application/json")
        assert answer.json is not None
        error = answer.json["error"]
        assert (error["code"], error["field"]) == ("too_many_refusals", None)
        assert "Too many refused requests" in error["message"]


class TestNoRefusalLimitByDefault:
    """Unset, HOTLINE_REFUSAL_LIMIT changes nothing: refusals stay 403 (SPEC §4), signed pass."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in app_config.items() if k != "HOTLINE_REFUSAL_LIMIT"}

    def test_every_unsigned_webhook_is_403_and_signed_ones_still_pass(
        self, app: Flask, client: FlaskClient
    ) -> None:
        statuses = {post_from(client, ATTACKER, "/sms/incoming", data=TEXT) for _ in range(40)}
        assert statuses == {403}
        signature = sign(app.config["TWILIO_AUTH_TOKEN"], "http://localhost/sms/incoming", TEXT)
        headers = {"X-Twilio-Signature": signature}
        assert post_from(client, ATTACKER, "/sms/incoming", data=TEXT, headers=headers) == 200


class TestOversizedBodies:
    """A webhook body over 1 MiB is refused before it is read (the API: tests/api)."""

    @pytest.mark.parametrize("path", ["/sms/incoming", "/voice/incoming"])
    def test_is_413_even_with_a_signature_to_check(self, client: FlaskClient, path: str) -> None:
        body = {"From": "+12065550123", "Body": "x" * (1024 * 1024 + 1)}
        headers = {"X-Twilio-Signature": "checking it would mean reading the body"}
        assert client.post(path, data=body, headers=headers).status_code == 413

    def test_without_a_signature_it_is_refused_unread(self, client: FlaskClient) -> None:
        body = {"From": "+12065550123", "Body": "x" * (1024 * 1024 + 1)}
        assert client.post("/sms/incoming", data=body).status_code == 403
