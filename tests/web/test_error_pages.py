"""Refusals, unknown addresses and failures are the app's own pages, with the navigation."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from hotline.models import ReferralEvent
from hotline.services import referral_actions
from tests.factories import add_referral, add_user
from tests.web.conftest import PASSWORD, Web


class Links(HTMLParser):
    """Collect the page's link targets and its first heading."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        self._in_h1 = tag == "h1"

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False


def read(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def test_unknown_address_is_a_styled_page_with_the_navigation(as_coordinator: Web) -> None:
    answer = as_coordinator.get("/no-such-page")
    assert answer.status_code == 404
    page = read(answer.get_data(as_text=True))
    assert page.h1 == "There is no page at this address"
    assert "/referrals" in page.hrefs  # the coordinator's navigation is there
    assert "/" in page.hrefs


def test_refusal_says_what_to_do_and_keeps_the_navigation(as_coordinator: Web) -> None:
    answer = as_coordinator.get("/reports")
    assert answer.status_code == 403
    html = answer.get_data(as_text=True)
    assert read(html).h1 == "This page is not open to your role"
    assert "ask a supervisor" in html
    assert "/schedule" in read(html).hrefs
    assert "Forbidden" not in html


def test_signed_out_visitor_gets_a_sign_in_link_on_an_unknown_page(client: FlaskClient) -> None:
    answer = client.get("/nowhere")
    assert answer.status_code == 404
    assert "/login" in read(answer.get_data(as_text=True)).hrefs


def test_expired_form_is_explained_in_plain_words(as_supervisor: Web) -> None:
    answer = as_supervisor.client.post("/overrides", data={"csrf_token": "stale"})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert read(html).h1 == "This form could not be accepted"
    assert "nothing was changed" in html
    assert "CSRF" not in html


def test_a_failure_is_a_styled_500_that_logs_and_offers_a_way_on(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/broken-for-test", "broken_for_test", broken)
    answer = app.test_client().get("/broken-for-test")
    assert answer.status_code == 500
    html = answer.get_data(as_text=True)
    assert read(html).h1 == "Something went wrong on our side"
    assert "phone the coordinator on call directly" in html
    assert "boom" not in html


def test_api_errors_stay_json(client: FlaskClient) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1", 404),  # the API's own address, as a client first tries it
        ("GET", "/api/v1/", 404),
        ("DELETE", "/api/v1/users", 405),
        ("POST", "/api/v1/oncall", 405),
    ],
)
def test_every_api_refusal_is_the_json_error_object_not_a_page(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    answer = client.open(path, method=method)
    assert (answer.status_code, answer.mimetype) == (status, "application/json")
    assert set(answer.get_json()["error"]) == {"code", "message", "field"}


def test_webhook_refusal_stays_plain_for_twilio(client: FlaskClient) -> None:
    answer = client.post("/voice/incoming", data={"CallSid": "CA1"})
    assert answer.status_code == 403
    assert "<nav" not in answer.get_data(as_text=True)


def test_favicon_is_served(client: FlaskClient) -> None:
    with client.get("/favicon.ico") as answer:
        assert answer.status_code == 200
        assert answer.data[:4] == b"\x00\x00\x01\x00"  # an ICO header: browsers show it


def test_a_conflict_asks_to_reload(app: Flask) -> None:
    def conflicted() -> str:
        abort(409)

    app.add_url_rule("/conflict-for-test", "conflict_for_test", conflicted)
    answer = app.test_client().get("/conflict-for-test")
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert read(html).h1 == "Someone changed this first"
    assert "Reload the page" in html


@pytest.mark.parametrize("number", ["3000000000", "99999999999999999999999"])
@pytest.mark.parametrize("role", ["supervisor", "prosecutor", "case_manager"])
def test_an_id_past_the_databases_integers_is_404_on_every_page(
    app: Flask, number: str, role: str
) -> None:
    web = Web(app.test_client())
    assert web.login(add_user(app, "Pat Lee", role, password=PASSWORD)).status_code == 302
    pages = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.") and "int" in rule.rule
    ]
    assert len(pages) > 10
    for rule in pages:
        path = re.sub(r"<int:\w+>", number, rule.rule)
        answer = web.get(path) if "GET" in (rule.methods or ()) else web.post(path, {})
        assert answer.status_code in (403, 404), (path, answer.status_code)


def test_a_database_failure_saving_a_note_logs_no_word_of_it(
    app: Flask,
    as_coordinator: Web,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL quotes the failing row (the note) in its error: the logs must not (SPEC §10)."""
    note = "Zephyrine sleeps behind St. Mark's"
    number = add_referral(app, "acknowledged")

    def a_faulty_write(session: Session, referral_id: int, *args: object) -> object:
        # A bug in a write: a row the database refuses, holding the note's words.
        detail = {"text": note}
        row = {
            "referral_id": referral_id,
            "kind": "note",
            "at": datetime.now(UTC),
            "detail": detail,
        }
        session.execute(insert(ReferralEvent).values(channel=None, **row))
        raise AssertionError("the database took a row without a channel")

    monkeypatch.setattr(referral_actions, "add_note", a_faulty_write)
    caplog.set_level(logging.DEBUG)
    answer = as_coordinator.post(f"/referrals/{number}/actions", {"action": "note", "text": note})
    assert answer.status_code == 500
    assert caplog.records, "the failure was not logged at all"
    assert "Zephyrine" not in caplog.text, "the note reached the logs"


def test_a_database_failure_saving_a_note_is_the_styled_500_page(
    app: Flask, as_coordinator: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused write leaves PostgreSQL's transaction aborted; the page must still render."""
    number = add_referral(app, "acknowledged")

    def a_faulty_write(session: Session, referral_id: int, *args: object) -> object:
        now = datetime.now(UTC)
        row = {"referral_id": referral_id, "kind": "note", "at": now, "channel": None}
        session.execute(insert(ReferralEvent).values(**row))
        raise AssertionError("the database took a row without a channel")

    monkeypatch.setattr(referral_actions, "add_note", a_faulty_write)
    answer = as_coordinator.post(f"/referrals/{number}/actions", {"action": "note", "text": "x"})
    assert answer.status_code == 500
    page = read(answer.get_data(as_text=True))
    assert page.h1 == "Something went wrong on our side"
    assert "/referrals" in page.hrefs  # the navigation, not the bare text
