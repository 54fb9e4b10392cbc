"""Credentials end when they should: sign-out, deactivation and a new password (issue 13)."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.models import User
from tests.factories import add_referral
from tests.web.conftest import PASSWORD, Web, csrf_token
from tests.web.test_people import edit_form


def signed_in(app: Flask, user: User) -> Web:
    """Return a new browser signed in as `user`."""
    web = Web(app.test_client())
    assert web.login(user).status_code == 302
    return web


def sent_away(web: Web, path: str = "/audit") -> bool:
    """Tell whether the browser is sent to /login instead of seeing `path`."""
    answer = web.get(path)
    return answer.status_code == 302 and answer.headers["Location"].startswith("/login")


class TestSignOut:
    """Signing out ends every session of that user, not just this browser's cookie."""

    def test_a_copied_cookie_is_useless_after_sign_out(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        cookie = as_supervisor.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        thief = Web(app.test_client())
        thief.client.set_cookie(cookie.key, cookie.value)
        assert thief.get("/audit").status_code == 200

        assert as_supervisor.post("/logout").status_code == 302

        assert sent_away(thief)

    def test_sign_out_in_one_browser_ends_the_other(self, app: Flask, supervisor: User) -> None:
        phone, laptop = signed_in(app, supervisor), signed_in(app, supervisor)
        assert laptop.get("/audit").status_code == 200
        phone.post("/logout")
        assert sent_away(laptop)
        assert signed_in(app, supervisor).get("/audit").status_code == 200  # signs in again


class TestOtherEnds:
    """Deactivation and a new password end the person's sessions; reactivation revives none."""

    def test_deactivated_then_reactivated_user_must_sign_in_again(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        browser = signed_in(app, coordinator)
        as_supervisor.post(f"/people/users/{coordinator.id}/deactivate")
        as_supervisor.post(f"/people/users/{coordinator.id}/reactivate")
        assert sent_away(browser, "/")
        assert signed_in(app, coordinator).get("/").status_code == 200

    def test_a_new_password_ends_the_persons_other_sessions(
        self, app: Flask, as_supervisor: Web, coordinator: User
    ) -> None:
        browser = signed_in(app, coordinator)
        form = edit_form(coordinator, password="another password")
        assert as_supervisor.post(f"/people/users/{coordinator.id}", form).status_code == 302
        assert sent_away(browser, "/")

    def test_changing_ones_own_password_keeps_this_browser_only(
        self, app: Flask, as_supervisor: Web, supervisor: User, client: FlaskClient
    ) -> None:
        other = signed_in(app, supervisor)
        form = edit_form(supervisor, password="another password")
        assert as_supervisor.post(f"/people/users/{supervisor.id}", form).status_code == 302
        assert as_supervisor.get("/audit").status_code == 200
        assert sent_away(other)
        assert Web(app.test_client()).login(supervisor, PASSWORD).status_code == 401


class TestIdleSessions:
    """A signed-in session ends after 30 minutes without a request (SPEC §9)."""

    def test_a_session_idle_past_30_minutes_signs_in_again(self, as_coordinator: Web) -> None:
        with as_coordinator.client.session_transaction() as cookie:
            cookie["seen_at"] = time.time() - 31 * 60
        answer = as_coordinator.get("/referrals")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login?next=/referrals&expired=1")
        page = as_coordinator.client.get(answer.headers["Location"]).get_data(as_text=True)
        assert "signed out after 30 minutes without activity" in page
        assert as_coordinator.get("/").status_code == 302  # the session is gone, not paused

    def test_a_form_sent_after_the_session_expired_leads_back_to_its_page(
        self, app: Flask, as_coordinator: Web, coordinator: User
    ) -> None:
        number = add_referral(app)
        page = f"http://localhost/referrals/{number}"
        with as_coordinator.client.session_transaction() as cookie:
            cookie["seen_at"] = time.time() - 31 * 60
        answer = as_coordinator.post(
            f"/referrals/{number}/actions",
            {"action": "note", "text": "called back"},
            headers={"Referer": page},
        )
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith(f"/login?next=/referrals/{number}&")
        login = answer.headers["Location"]
        token = csrf_token(as_coordinator.get(login).get_data(as_text=True))
        credentials = {"email": coordinator.email, "password": PASSWORD, "csrf_token": token}
        signed_in_again = as_coordinator.client.post(login, data=credentials)
        assert signed_in_again.headers["Location"] == f"/referrals/{number}"  # not a 405 page

    def test_a_form_sent_after_expiry_from_another_site_leads_home(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app)
        with as_coordinator.client.session_transaction() as cookie:
            cookie["seen_at"] = time.time() - 31 * 60
        answer = as_coordinator.post(
            f"/referrals/{number}/actions",
            {"action": "note", "text": "x"},
            headers={"Referer": "https://evil.example/referrals/1"},
        )
        assert answer.headers["Location"].startswith("/login?next=/&")

    @pytest.mark.parametrize(("idle", "ended"), [(30 * 60 - 0.001, False), (30 * 60, True)])
    def test_a_session_idle_for_exactly_30_minutes_has_ended(
        self, as_coordinator: Web, monkeypatch: pytest.MonkeyPatch, idle: float, ended: bool
    ) -> None:
        now = float(int(time.time()))  # whole seconds: the difference is exact
        monkeypatch.setattr(time, "time", lambda: now)
        with as_coordinator.client.session_transaction() as cookie:
            cookie["seen_at"] = now - idle
        assert as_coordinator.get("/referrals").status_code == (302 if ended else 200)

    def test_each_request_restarts_the_clock(self, as_coordinator: Web) -> None:
        with as_coordinator.client.session_transaction() as cookie:
            cookie["seen_at"] = time.time() - 29 * 60
        assert as_coordinator.get("/session/stay").status_code == 204
        with as_coordinator.client.session_transaction() as cookie:
            assert time.time() - cookie["seen_at"] < 60
        assert as_coordinator.get("/referrals").status_code == 200

    def test_pages_carry_the_limit_for_the_warning(self, as_coordinator: Web) -> None:
        page = as_coordinator.text("/")
        assert 'data-idle-seconds="1800"' in page and 'id="idle-warning"' in page

    def test_asking_the_time_left_is_not_activity(
        self, as_coordinator: Web, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Another tab was used 20 minutes ago: this tab's timer asks before signing out.
        now = float(int(time.time()))
        monkeypatch.setattr(time, "time", lambda: now)
        with as_coordinator.client.session_transaction() as cookie:
            cookie["seen_at"] = now - 20 * 60
        answer = as_coordinator.get("/session/left")
        assert answer.status_code == 200 and answer.get_json() == {"seconds": 10 * 60}
        with as_coordinator.client.session_transaction() as cookie:
            assert cookie["seen_at"] == now - 20 * 60  # the question kept nobody signed in
        monkeypatch.setattr(time, "time", lambda: now + 10 * 60)
        assert as_coordinator.get("/session/left").get_json() == {"seconds": 0}
        answer = as_coordinator.get("/referrals")
        assert answer.headers["Location"].startswith("/login?next=/referrals&expired=1")

    def test_the_time_left_of_a_session_ended_elsewhere_is_none(
        self, app: Flask, coordinator: User
    ) -> None:
        here, there = signed_in(app, coordinator), signed_in(app, coordinator)
        assert here.get("/session/left").get_json()["seconds"] > 29 * 60
        there.post("/logout", {})  # signing out anywhere ends every session
        assert here.get("/session/left").get_json() == {"seconds": 0}
        assert Web(app.test_client()).get("/session/left").get_json() == {"seconds": 0}


class TestLongestSession:
    """A sign-in lasts at most 12 hours, however busy the session (docs/security.md)."""

    def test_a_session_in_use_ends_12_hours_after_sign_in(
        self, app: Flask, coordinator: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        clock = [time.time()]
        monkeypatch.setattr(time, "time", lambda: clock[0])  # sessions and cookies read it
        browser = signed_in(app, coordinator)
        for _ in range(35):  # a request every 20 minutes: never idle, for 11 h 40 min
            clock[0] += 20 * 60
            assert browser.get("/referrals").status_code == 200
        clock[0] += 20 * 60  # 12 hours since the sign-in
        answer = browser.get("/referrals")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login?next=/referrals&expired=")
        page = browser.get(answer.headers["Location"]).get_data(as_text=True)
        assert "A sign-in lasts 12 hours" in page
        assert browser.get("/").status_code == 302  # the session is gone, not paused
        assert signed_in(app, coordinator).get("/referrals").status_code == 200
