"""Signing in and out: passwords, CSRF on every form, lock-out, redirects (SPEC §9)."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline import create_app
from hotline.db import database, session_scope
from hotline.models import OptOut, User
from hotline.web import auth
from hotline.web.auth import ACCOUNT_LOCKED, attempt_login
from tests.factories import add_referral, add_rotation, add_user
from tests.web.conftest import PASSWORD, Web, csrf_token
from tests.web.test_second_factor import ById


class TestSignIn:
    """Email and password; pages redirect to /login until then."""

    def test_pages_redirect_to_login_then_back(self, client: FlaskClient, supervisor: User) -> None:
        answer = client.get("/")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
        web = Web(client)
        web.token = csrf_token(client.get("/login").get_data(as_text=True))
        signed_in = client.post(
            "/login?next=/",
            data={"email": supervisor.email.upper(), "password": PASSWORD, "csrf_token": web.token},
        )
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
        assert "On call now" in web.text("/")

    def test_wrong_password_is_refused_without_saying_which(
        self, client: FlaskClient, supervisor: User
    ) -> None:
        web = Web(client)
        answer = web.login(supervisor, "wrong")
        assert answer.status_code == 401 and "Wrong email or password." in answer.get_data(
            as_text=True
        )
        assert client.get("/").status_code == 302

    def test_a_refused_sign_in_puts_the_cursor_back_in_the_password_tied_to_the_message(
        self, client: FlaskClient, supervisor: User
    ) -> None:
        page = Web(client).login(supervisor, "wrong").get_data(as_text=True)
        fields = ById(page).elements
        assert fields["email"].get("value") == supervisor.email  # kept: only the password again
        assert "autofocus" in fields["password"]
        said = (fields["password"].get("aria-describedby") or "").split()
        assert said and re.search(
            rf'<p [^>]*id="{said[0]}"[^>]*>Wrong email or password.</p>', page
        ), said

    def test_login_without_csrf_token_is_400(self, client: FlaskClient, supervisor: User) -> None:
        answer = client.post("/login", data={"email": supervisor.email, "password": PASSWORD})
        assert answer.status_code == 400
        assert client.get("/").status_code == 302

    def test_a_token_of_another_browser_is_refused_at_login_and_logout(
        self, app: Flask, client: FlaskClient, supervisor: User
    ) -> None:
        # SPEC §9: "a POST without a valid token of this browser's session is refused with
        # 400 and changes nothing" (login and logout included): another browser's is not.
        other = app.test_client()
        theirs = csrf_token(other.get("/login").get_data(as_text=True))
        client.get("/login")
        form = {"email": supervisor.email, "password": PASSWORD, "csrf_token": theirs}
        assert client.post("/login", data=form).status_code == 400
        assert client.get("/").status_code == 302
        web = Web(client)
        assert web.login(supervisor).status_code == 302
        assert client.post("/logout", data={"csrf_token": theirs}).status_code == 400
        assert client.get("/").status_code == 200

    def test_next_never_leaves_the_site(self, client: FlaskClient, supervisor: User) -> None:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        answer = client.post(
            "/login?next=//evil.example/x",
            data={"email": supervisor.email, "password": PASSWORD, "csrf_token": token},
        )
        assert answer.headers["Location"] == "/"

    @pytest.mark.parametrize("target", ["/referrals\r\nSet-Cookie: session=forged", "/\t/[x"])
    def test_a_next_with_a_control_character_signs_in_to_the_dashboard_not_an_error(
        self, client: FlaskClient, supervisor: User, target: str
    ) -> None:
        # A link mangled in a text, or written to split the redirect's header in two.
        token = csrf_token(client.get("/login").get_data(as_text=True))
        answer = client.post(
            "/login",
            query_string={"next": target},
            data={"email": supervisor.email, "password": PASSWORD, "csrf_token": token},
        )
        assert answer.status_code == 302 and answer.headers["Location"] == "/"
        assert "session=forged" not in str(answer.headers)

    def test_logout_needs_csrf_and_ends_the_session(self, as_supervisor: Web) -> None:
        assert as_supervisor.client.post("/logout").status_code == 400
        assert as_supervisor.get("/").status_code == 200
        assert as_supervisor.post("/logout").status_code == 302
        assert as_supervisor.get("/").status_code == 302

    def test_the_logout_address_offers_a_sign_out_form(
        self, client: FlaskClient, as_supervisor: Web
    ) -> None:
        assert 'id="confirm-logout"' in as_supervisor.text("/logout")
        as_supervisor.post("/logout")
        assert as_supervisor.get("/logout").headers["Location"] == "/login"

    def test_inactive_users_cannot_sign_in(self, app: Flask, client: FlaskClient) -> None:
        gone = add_user(app, "Gone Person", active=False, password=PASSWORD)
        assert Web(client).login(gone).status_code == 401


class TestLockOut:
    """An account locks for 15 minutes after 10 failures; an address after 50."""

    def test_account_locks_after_ten_failures_even_for_the_right_password(
        self, client: FlaskClient, supervisor: User
    ) -> None:
        web = Web(client)
        for _ in range(10):
            web.login(supervisor, "wrong")
        answer = web.login(supervisor)
        assert answer.status_code == 401
        assert "locked for 15 minutes" in answer.get_data(as_text=True)

    def test_a_lock_lasts_15_minutes_from_the_tenth_failure_however_spread_they_were(
        self, app: Flask, supervisor: User
    ) -> None:
        start = datetime(2026, 12, 5, 3, tzinfo=UTC)

        def sign_in(minutes: float, password: str = PASSWORD) -> User | str:
            with session_scope(app) as session:
                at = start + timedelta(minutes=minutes)
                return attempt_login(session, supervisor.email, password, "10.0.0.9", at)

        for n in range(10):  # one every 90 s: the tenth comes 13.5 minutes after the first
            assert sign_in(n * 1.5, "wrong") == "Wrong email or password."
        assert sign_in(20) == ACCOUNT_LOCKED  # the first failure is 20 minutes old by now
        assert sign_in(28) == ACCOUNT_LOCKED
        signed_in = sign_in(29)
        assert isinstance(signed_in, User) and signed_in.id == supervisor.id

    def test_guesses_sent_at_once_get_ten_password_checks_not_more(
        self, app: Flask, supervisor: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        at = datetime(2026, 12, 5, 3, tzinfo=UTC)

        def sign_in(password: str) -> User | str:
            with session_scope(app) as session:
                return attempt_login(session, supervisor.email, password, "10.0.0.9", at)

        for _ in range(9):
            assert sign_in("wrong") == "Wrong email or password."
        real_check = auth.check_password_hash
        answers: dict[str, User | str] = {}

        def second_guess_meanwhile(*args: str) -> bool:
            if "second" not in answers:  # the tenth guess is being checked: the eleventh comes
                answers["second"] = ""
                other = threading.Thread(target=lambda: answers.update(second=sign_in("guess")))
                other.start()
                other.join()
            return real_check(*args)

        monkeypatch.setattr(auth, "check_password_hash", second_guess_meanwhile)
        answers["first"] = sign_in("wrong")
        assert sorted(map(str, answers.values())) == [
            "This account is locked for 15 minutes after too many failed logins.",
            "Wrong email or password.",
        ]

    def test_address_locks_after_fifty_failures(self, app: Flask, client: FlaskClient) -> None:
        people = [add_user(app, f"Person {n}", password=PASSWORD) for n in range(6)]
        web = Web(client)
        for n in range(50):
            web.login(people[n % 5], "wrong")
        answer = web.login(people[5])
        assert "Too many failed logins from this address" in answer.get_data(as_text=True)


class TestDashboard:
    """Who is on call now, the week ahead, the chain."""

    def test_dashboard_shows_the_person_on_call_and_gaps(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        add_rotation(app, 1, ana)
        page = as_coordinator.text("/")
        assert "Ana Diaz" in page and ana.phone in page
        # The week strip names whoever holds each day, seven days from today.
        assert page.count('<span class="who">Ana Diaz</span>') == 7
        assert page.count('<section class="cal-day') == 7
        assert "Times are shown in America/Los_Angeles" in page

    def test_dashboard_warns_when_the_person_on_call_has_texts_off(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
        add_rotation(app, 1, ana)
        add_rotation(app, 2, ben)
        assert "Texts off" not in as_coordinator.text("/")
        with session_scope(app) as session:
            session.add(OptOut(phone=ana.phone, at=datetime.now(UTC), source="sms"))
        page = as_coordinator.text("/")
        ana_row = re.search(r'<tr[^>]*data-tier="1">.*?</tr>', page, re.S)
        ben_row = re.search(r'<tr[^>]*data-tier="2">.*?</tr>', page, re.S)
        assert ana_row and "Texts off (STOP)" in ana_row.group(0)
        assert ben_row and "Texts off" not in ben_row.group(0)


class TestGuidedTour:
    """In development the dashboard links each step of the tour where it says."""

    def test_tour_links_land_on_their_pages(self, app: Flask, as_supervisor: Web) -> None:
        from tests.factories import add_officer

        add_officer(app, "Officer Smith")
        page = as_supervisor.text("/")
        by_id = {tour_id: href for href, tour_id in tour_links(page)}
        assert set(by_id) == {
            "tour-call",
            "tour-text",
            "tour-oncall",
            "tour-gap",
            "tour-rotation",
            "tour-reports",
            "tour-audit",
        }
        call_page = as_supervisor.text(by_id["tour-call"].replace("&amp;", "&"))
        assert "Officer Smith" in call_page and "+12065550177" in call_page
        assert by_id["tour-text"].endswith("#officer-texts") and 'id="officer-texts"' in call_page
        assert "Rotations" in as_supervisor.text(by_id["tour-rotation"])
        assert "Reports" in as_supervisor.text(by_id["tour-reports"])
        assert by_id["tour-oncall"] == "/#oncall-heading" and 'id="oncall-heading"' in page
        assert "cal-day" in as_supervisor.text(by_id["tour-gap"])  # the week, gaps one tap away
        assert "Audit" in as_supervisor.text(by_id["tour-audit"])

    def test_the_weekend_step_shows_the_demos_weekend_gap_whatever_the_day(
        self, app: Flask, client: FlaskClient
    ) -> None:
        app.config["HOTLINE_DEMO"] = True  # as `hotline demo` runs it
        from hotline.demo import DEMO_PASSWORD, seed
        from hotline.demo_tour import coming_saturday

        with session_scope(app) as session:
            seed(session, datetime.now(UTC), app.config)
            sam = session.scalars(select(User).where(User.name == "Sam Reyes")).one()
        supervisor = Web(client)
        assert supervisor.login(sam, DEMO_PASSWORD).status_code == 302
        by_id = {tour_id: href for href, tour_id in tour_links(supervisor.text("/"))}
        week = supervisor.text(by_id["tour-gap"].replace("&amp;", "&"))
        assert 'class="gap-text" id="gap-summary"' in week, "Fay's weekend is on the page"
        days = [date(2026, 12, 5) + timedelta(days=n) for n in range(7)]  # Saturday on
        assert [(coming_saturday(day) - day).days for day in days] == [7, 6, 5, 4, 3, 2, 1]

    @pytest.mark.parametrize("weeks_ago", [1, 2, 3])
    def test_a_demo_built_weeks_ago_still_leads_its_weekend_step_to_a_gap(
        self, app: Flask, client: FlaskClient, weeks_ago: int
    ) -> None:
        """`hotline demo` run again a week later reuses its program: Fay's gap has moved on."""
        app.config["HOTLINE_DEMO"] = True
        from hotline.demo import DEMO_PASSWORD, seed

        with session_scope(app) as session:
            seed(session, datetime.now(UTC) - timedelta(weeks=weeks_ago), app.config)
            sam = session.scalars(select(User).where(User.name == "Sam Reyes")).one()
        supervisor = Web(client)
        assert supervisor.login(sam, DEMO_PASSWORD).status_code == 302
        by_id = {tour_id: href for href, tour_id in tour_links(supervisor.text("/"))}
        week = supervisor.text(by_id["tour-gap"].replace("&amp;", "&"))
        assert 'class="gap-text" id="gap-summary"' in week, "the step's week has no gap"

    def test_outside_the_demo_the_tour_speaks_of_no_one_of_the_demos(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        assert not app.config.get("HOTLINE_DEMO")  # `hotline serve`: one's own program
        page = as_supervisor.text("/")
        assert "Fay" not in page
        by_id = {tour_id: href for href, tour_id in tour_links(page)}
        assert "cal-day" in as_supervisor.text(by_id["tour-gap"].replace("&amp;", "&"))

    def test_a_blank_call_referral_is_the_next_step(self, app: Flask, as_coordinator: Web) -> None:
        from tests.factories import BLANK_CALL_REFERRAL

        number = add_referral(app, "new", **BLANK_CALL_REFERRAL)
        by_id = {tour_id: href for href, tour_id in tour_links(as_coordinator.text("/"))}
        assert by_id["tour-complete"] == f"/referrals/{number}"
        assert "Missing: type, participant name, location, consent" in as_coordinator.text(
            by_id["tour-complete"]
        )
        assert by_id["tour-assess"] == f"/referrals/{number}/assessment"
        assert as_coordinator.get(by_id["tour-assess"]).status_code == 200

    def test_a_coordinator_is_not_sent_to_supervisors_pages(self, as_coordinator: Web) -> None:
        ids = {tour_id for _, tour_id in tour_links(as_coordinator.text("/"))}
        assert "tour-call" in ids
        assert not ids & {"tour-rotation", "tour-reports", "tour-gap", "tour-audit"}

    def test_a_case_manager_tours_the_caseload_not_the_phones(self, app: Flask) -> None:
        cam = add_user(app, "Cam Reed", "case_manager", password=PASSWORD)
        web = Web(app.test_client())
        assert web.login(cam).status_code == 302
        page = web.text("/participants")
        ids = {tour_id for _, tour_id in tour_links(page)}
        assert "tour-providers" in ids and 'id="tour-plan"' in page
        assert not ids & {"tour-call", "tour-text", "tour-rotation", "tour-reports"}

    def test_a_prosecutor_is_told_what_the_status_view_holds(self, app: Flask) -> None:
        pru = add_user(app, "Pru Vance", "prosecutor", password=PASSWORD)
        web = Web(app.test_client())
        assert web.login(pru).status_code == 302
        page = web.text("/participants")
        assert 'id="tour-status"' in page and 'id="tour-charge"' in page
        assert not tour_links(page)  # no step leads to a page a prosecutor cannot open


def tour_links(page: str) -> list[tuple[str, str]]:
    """Return the guided tour's (href, id) links."""
    return re.findall(r'<a href="([^"]+)" id="(tour-[a-z]+)">', page)


class TestNulCharacters:
    """A NUL character (PostgreSQL cannot store one) is a 422 that changes nothing, not a 500."""

    def test_sign_in_with_a_nul_is_422(self, client: FlaskClient) -> None:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        form = {"email": "a\x00@example.org", "password": "x", "csrf_token": token}
        answer = client.post("/login", data=form)
        assert answer.status_code == 422
        assert "NUL character" in answer.get_data(as_text=True)

    def test_a_note_with_a_nul_saves_nothing(self, app: Flask, as_coordinator: Web) -> None:
        number = add_referral(app)
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "note", "text": "bad\x00note"}
        )
        assert answer.status_code == 422
        assert "bad" not in as_coordinator.text(f"/referrals/{number}")


def failed_login(client: FlaskClient, email: str, forwarded_for: str) -> str:
    """Post a wrong password as a browser behind `forwarded_for` would; return the page."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    answer = client.post(
        "/login",
        data={"email": email, "password": "wrong", "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return answer.get_data(as_text=True)


class TestForwardedAddresses:
    """X-Forwarded-For counts only when HOTLINE_PROXY_COUNT says a proxy sets it (SPEC §2)."""

    def test_without_a_proxy_a_forged_address_does_not_escape_the_lock_out(
        self, app: Flask, client: FlaskClient
    ) -> None:
        people = [add_user(app, f"Person {n}", password=PASSWORD) for n in range(6)]
        for n in range(50):
            failed_login(client, people[n % 5].email, f"198.51.100.{n}")
        page = failed_login(client, people[5].email, "203.0.113.77")
        assert "Too many failed logins from this address" in page

    def test_behind_one_proxy_the_forwarded_address_is_counted(
        self, app_config: dict[str, Any], supervisor: User
    ) -> None:
        app = create_app({**app_config, "HOTLINE_PROXY_COUNT": 1})
        client = app.test_client()
        for n in range(50):
            failed_login(client, f"nobody{n}@example.org", "198.51.100.7")
        assert "from this address" in failed_login(client, supervisor.email, "198.51.100.7")
        other = failed_login(client, supervisor.email, "203.0.113.77")
        assert "from this address" not in other
        assert "Wrong email or password" in other
        database(app).engine.dispose()
