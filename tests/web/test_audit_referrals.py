"""Referral work in the audit log: who, local time, before → after in words, every channel."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.simulator import CallScript, Leg, SmsEmulator, VoiceEmulator, flask_poster
from hotline.web.timeline import local
from tests.api.conftest import Api, token_for
from tests.factories import add_referral
from tests.jobs.conftest import run
from tests.sms.conftest import HOTLINE, Program, converse
from tests.sms.conftest import program as program
from tests.web.conftest import Web

ZONE = ZoneInfo("America/Los_Angeles")
_ROW = re.compile(r'<tr data-event="\d+">(.*?)</tr>', re.S)
_CELL = re.compile(r'data-label="([^"]+)">(.*?)</td>', re.S)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Give the app its own number (the sender of outbound texts)."""
    return {**app_config, "HOTLINE_NUMBER": HOTLINE}


@pytest.fixture
def phone(client: FlaskClient, app: Flask) -> SmsEmulator:
    """Return a phone that texts the app through an emulated Twilio."""
    return SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", HOTLINE
    )


def audit_rows(web: Web, query: str = "") -> list[dict[str, str]]:
    """Return the audit log's rows, newest first, each as label → cell text (HTML kept)."""
    page = html.unescape(web.text(f"/audit{query}"))
    return [dict(_CELL.findall(row)) for row in _ROW.findall(page)]


def referral_rows(web: Web, number: int, query: str = "") -> list[dict[str, str]]:
    """Return the audit rows about one referral other than page views."""
    rows = audit_rows(web, query)
    return [r for r in rows if r["Entity"] == f"referral #{number}" and r["Action"] != "viewed"]


def assert_local_time(row: dict[str, str]) -> None:
    """The row's time reads in the program's zone, matching the instant it carries."""
    match = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', row["When"])
    assert match is not None
    instant = datetime.fromisoformat(match.group(1))
    # In the repeated fall-back hour the zone's abbreviation follows (01:30:00 PDT).
    assert match.group(2) == local(instant, ZONE, "%Y-%m-%d %H:%M:%S", name_pass=True)
    assert instant.utcoffset() == timedelta(0) and "+00:00" not in match.group(2)


def change(row: dict[str, str], field: str) -> str:
    """Return one field's `before → after` of a row, in words."""
    match = re.search(rf"<strong>{re.escape(field)}</strong>: (.*?)</li>", row["Before → after"])
    assert match is not None, (field, row["Before → after"])
    return re.sub(r"</?(del|ins|span)[^>]*>", "", match.group(1))


class TestReferralWorkIsAudited:
    """ACKs, status changes and assessments appear with the person's name and words."""

    def test_ack_by_text(
        self, app: Flask, phone: SmsEmulator, program: Program, as_supervisor: Web
    ) -> None:
        number = add_referral(app, officer_phone=program.officer.phone)
        converse(phone, program.ana.phone, f"ACK {number}")
        (row,) = referral_rows(as_supervisor, number)
        assert (row["Who"], row["Channel"]) == ("Ana Diaz", "text message")
        assert row["Action"] == "acknowledged (taken)"
        assert change(row, "status") == "coordinator texted → acknowledged"
        assert change(row, "taken by") == "none → Ana Diaz"
        assert_local_time(row)

    @pytest.mark.parametrize(
        ("text", "after"),
        [
            ("INTAKE {}", "intake completed"),
            ("NONCOMPLY {} Jane moved to Tacoma", "intake not completed"),
        ],
    )
    def test_intake_by_text(
        self,
        app: Flask,
        phone: SmsEmulator,
        program: Program,
        as_supervisor: Web,
        text: str,
        after: str,
    ) -> None:
        number = add_referral(
            app, status="assessed", officer_phone=program.officer.phone, acknowledged_by=1
        )
        converse(phone, program.ana.phone, text.format(number))
        (row,) = referral_rows(as_supervisor, number)
        assert (row["Who"], row["Channel"], row["Action"]) == (
            "Ana Diaz",
            "text message",
            "status changed",
        )
        assert change(row, "status") == f"assessed → {after}"
        assert "Tacoma" not in str(row)  # a reason may name the participant: timeline only
        assert_local_time(row)

    def test_completing_a_call_referral_by_api(
        self, app: Flask, client: FlaskClient, program: Program, as_supervisor: Web
    ) -> None:
        api = Api(client, token_for(app, program.ana.id))
        number = add_referral(app, channel="voice", type=None, offense=None)
        body = {"type": "social_contact", "consent": True}
        assert api.patch(f"/referrals/{number}", body).status_code == 200
        (row,) = referral_rows(as_supervisor, number)
        assert (row["Action"], row["Who"], row["Channel"]) == (
            "referral completed or corrected",
            "Ana Diaz",
            "API",
        )
        assert change(row, "type").endswith("social contact")
        assert change(row, "consent confirmed by").endswith("Ana Diaz")
        assert_local_time(row)

    def test_assessment_by_api_with_each_version_and_consent(
        self, app: Flask, client: FlaskClient, program: Program, as_supervisor: Web
    ) -> None:
        api = Api(client, token_for(app, program.ana.id))
        number = add_referral(app)
        body = {
            "offense": "possession",
            "consent_confirmed": False,
            "needs": ["substance_use"],
            "disposition": "unable_to_contact",
            "notes": "needs ID replacement",
        }
        assert api.post(f"/referrals/{number}/assessment", body).status_code == 201
        second = {**body, "consent_confirmed": True, "disposition": "accepted"}
        second["needs"] = ["substance_use", "mental_health"]
        assert api.post(f"/referrals/{number}/assessment", second).status_code == 201
        rows = referral_rows(as_supervisor, number)
        kinds = [(r["Action"], r["Who"], r["Channel"]) for r in rows]
        assert kinds == [
            ("status changed", "Ana Diaz", "API"),
            ("assessment saved", "Ana Diaz", "API"),
            ("status changed", "Ana Diaz", "API"),
            ("assessment saved", "Ana Diaz", "API"),
        ]
        newest, first_status, first = rows[1], rows[2], rows[3]
        assert change(newest, "version") == "1 → 2"
        assert change(newest, "consent confirmed") == "no → yes"
        assert change(newest, "disposition") == "unable to contact → accepted"
        assert change(newest, "needs") == "substance use → substance use; mental health"
        assert change(first, "notes written") == "— → yes"
        assert "ID replacement" not in str(rows)  # free text stays out of the audit log
        assert change(rows[0], "status") == "coordinator texted → assessed"
        assert change(first, "offence") == "— → possession"
        assert change(first_status, "taken by") == "none → Ana Diaz"  # the implied ACK
        for row in rows:
            assert_local_time(row)

    def test_the_participant_an_assessment_files_the_referral_under_is_in_the_log(
        self, app: Flask, client: FlaskClient, program: Program, as_supervisor: Web
    ) -> None:
        assert as_supervisor.user is not None
        supervisor = Api(client, token_for(app, as_supervisor.user.id))
        robert = supervisor.post("/participants", {"name": "Robert Smith"}).json["id"]
        bob = supervisor.post("/participants", {"name": "Bob Smith"}).json["id"]
        api = Api(client, token_for(app, program.ana.id))
        number = add_referral(app, participant_name="Robert Smith")
        body = {"offense": "possession", "consent_confirmed": True, "disposition": "accepted"}
        for picked in (robert, bob):  # the wrong person picked first, then corrected
            answer = api.post(f"/referrals/{number}/assessment", {**body, "participant_id": picked})
            assert answer.status_code == 201
        declined = {**body, "disposition": "declined"}
        assert api.post(f"/referrals/{number}/assessment", declined).status_code == 201
        rows = referral_rows(as_supervisor, number)
        saved = [row for row in rows if row["Action"] == "assessment saved"]
        assert [change(row, "participant") for row in reversed(saved)] == [
            f"— → participant #{robert}",
            f"participant #{robert} → participant #{bob}",
            f"participant #{bob} → none",
        ]
        assert "Smith" not in str(saved)  # a participant's name stays out of the audit log

    def test_an_ack_by_the_assessor_who_holds_it_does_not_say_it_was_nobodys(
        self,
        app: Flask,
        client: FlaskClient,
        phone: SmsEmulator,
        program: Program,
        as_supervisor: Web,
    ) -> None:
        api = Api(client, token_for(app, program.ana.id))
        number = add_referral(app, status="notified", officer_phone=program.officer.phone)
        body = {"offense": "possession", "consent_confirmed": False}
        unreachable = {**body, "disposition": "unable_to_contact"}
        assert api.post(f"/referrals/{number}/assessment", unreachable).status_code == 201
        converse(phone, program.ana.phone, f"ACK {number}")
        ack = referral_rows(as_supervisor, number)[0]
        assert (ack["Who"], ack["Action"]) == ("Ana Diaz", "acknowledged (taken)")
        assert change(ack, "status") == "coordinator texted → acknowledged"
        assert "taken by" not in ack["Before → after"]  # hers since the assessment

    def test_web_buttons(self, app: Flask, as_coordinator: Web, as_supervisor: Web) -> None:
        number = add_referral(app)
        for action in ("ack", "not_a_referral"):
            as_coordinator.post(f"/referrals/{number}/actions", {"action": action})
        closed, taken = referral_rows(as_supervisor, number)
        assert (taken["Who"], taken["Channel"]) == ("Cora Lee", "web app")
        assert change(closed, "status") == "acknowledged → not a referral"

    def test_not_a_referral_says_which_participant_it_took_the_referral_from(
        self, app: Flask, client: FlaskClient, program: Program, as_supervisor: Web
    ) -> None:
        api = Api(client, token_for(app, program.ana.id))
        number = add_referral(app)
        body = {"offense": "possession", "consent_confirmed": True, "disposition": "accepted"}
        assert api.post(f"/referrals/{number}/assessment", body).status_code == 201
        as_supervisor.post(f"/referrals/{number}/actions", {"action": "not_a_referral"})
        closed = referral_rows(as_supervisor, number)[0]
        assert (closed["Action"], closed["Who"]) == ("status changed", "Sam Reyes")
        assert change(closed, "status") == "assessed → not a referral"
        assert change(closed, "participant") == "participant #1 → none"

    def test_the_intake_deadline_job_as_system(
        self, app: Flask, program: Program, as_supervisor: Web
    ) -> None:
        created = datetime.now(UTC) - timedelta(days=40)
        number = add_referral(
            app, status="acknowledged", created_at=created, acknowledged_by=program.ana.id
        )
        assert run(app, "intake-deadlines", datetime.now(UTC)).startswith("1 ")
        (row,) = referral_rows(as_supervisor, number)
        assert (row["Who"], row["Channel"]) == ("the hotline", "automatic")
        assert change(row, "status") == "acknowledged → intake not completed"
        assert change(row, "reason") == "none → deadline"

    def test_consent_of_a_texted_referral(
        self, app: Flask, phone: SmsEmulator, program: Program, as_supervisor: Web
    ) -> None:
        steps = ["REFER", "1", "Jane Doe", "1", "3rd & Pine", "Y", "SEND"]
        converse(phone, program.officer.phone, *steps)
        (row,) = [r for r in audit_rows(as_supervisor) if r["Action"] == "created"]
        assert (row["Who"], row["Channel"]) == ("officer (by text)", "text message")
        consent = change(row, "consent confirmed at")
        assert re.fullmatch(r"— → \d{4}-\d\d-\d\d \d\d:\d\d( P[DS]T)?", consent), consent
        assert change(row, "type") == "— → arrest diversion"

    def test_the_kind_filter_offers_each_kind(
        self, app: Flask, phone: SmsEmulator, program: Program, as_supervisor: Web
    ) -> None:
        page = as_supervisor.text("/audit")
        for kind, words in (
            ("acknowledge", "acknowledged (taken)"),
            ("assess", "assessment saved"),
            ("status", "status changed"),
            ("create", "created"),
        ):
            assert f'<option value="{kind}">{words}</option>' in page
        number = add_referral(app, officer_phone=program.officer.phone)
        converse(phone, program.ana.phone, f"ACK {number}", f"INTAKE {number}")
        only = audit_rows(as_supervisor, "?kind=acknowledge")
        assert [r["Action"] for r in only] == ["acknowledged (taken)"]


def test_pressing_1_on_a_call_is_an_audited_ack(
    app: Flask, client: FlaskClient, program: Program, as_supervisor: Web
) -> None:
    twilio = VoiceEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost"
    )
    script = CallScript(legs={program.ana.phone: [Leg("accept")]})
    twilio.call(program.officer.phone, HOTLINE, script)
    (row,) = [r for r in audit_rows(as_supervisor) if r["Action"] == "acknowledged (taken)"]
    assert (row["Who"], row["Channel"]) == ("Ana Diaz", "phone call")
    assert change(row, "taken by") == "none → Ana Diaz"
    assert_local_time(row)
