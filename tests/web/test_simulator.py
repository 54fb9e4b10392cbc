"""The phone simulator drives the real, signed webhooks from two phones on one page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import Call, Message, Officer, Referral, User
from tests.factories import add_officer, add_rotation, add_user, leave_roster
from tests.web.conftest import PRODUCTION, Web

STRANGER = "+12065550199"


@dataclass
class Program:
    """Ana is on tier 1, Ben on tier 2, Officer Smith on the roster."""

    ana: User
    ben: User
    officer: Officer


@pytest.fixture
def program(app: Flask) -> Program:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana)
    add_rotation(app, 2, ben)
    return Program(ana, ben, add_officer(app))


def page_text(html: str) -> str:
    """Return a page's words without tags, so assertions read like what a person sees."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def call(web: Web, officer: str, **fields: str) -> str:
    answer = web.post("/simulator/call", {"officer": officer, "voicemail": "leave", **fields})
    assert answer.status_code == 200
    return page_text(answer.get_data(as_text=True))


def text(web: Web, phone: str, body: str, **state: Any) -> None:
    answer = web.post("/simulator/text", {"phone": phone, "body": body, **state})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def only_call(app: Flask) -> Call:
    with session_scope(app) as session:
        (record,) = session.scalars(select(Call)).all()
        record.legs  # noqa: B018 (load the legs before the session closes)
        return record


class TestAccess:
    """The simulator exists only in development, and only for people signed in."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        # Production, with a password-only sign-in: the second factor has tests of its own.
        return {**app_config, **PRODUCTION}

    def test_every_route_is_404_when_the_simulator_is_off(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        assert app.config["HOTLINE_SIMULATOR"] is False
        assert as_coordinator.get("/simulator").status_code == 404
        assert as_coordinator.post("/simulator/call", {"leg1": "accept"}).status_code == 404
        assert as_coordinator.post("/simulator/text", {"body": "HELP"}).status_code == 404
        assert ">Simulator<" not in as_coordinator.text("/")


class TestPage:
    """Staff and case managers get both phones; a stranger or a forged post gets nothing."""

    def test_the_page_sends_a_stranger_to_the_login(self, client: FlaskClient) -> None:
        answer = client.get("/simulator")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login")

    def test_a_typed_number_that_is_not_one_is_refused(
        self, as_coordinator: Web, program: Program
    ) -> None:
        page = page_text(as_coordinator.text("/simulator?other=12ab"))
        assert "12ab is not a phone number" in page
        assert f"{program.officer.phone} · Officer Smith" in page  # the roster's first officer

    def test_staff_see_both_phones_with_tier_1_on_the_on_call_phone(
        self, as_coordinator: Web, program: Program
    ) -> None:
        html = as_coordinator.text("/simulator")
        assert ">Simulator<" in as_coordinator.text("/")
        assert "Officer's phone" in html and "On-call phone" in html
        assert f'<option value="{program.ana.id}" selected>' in html
        assert f'<option value="{program.officer.phone}" selected>' in html

    def test_in_a_tier_1_gap_the_on_call_phone_is_the_one_a_call_rings(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        away = add_user(app, "Aaron Away", active=False)  # tier 1's only person, on leave
        ben = add_user(app, "Ben Okafor")
        add_user(app, "Abe Idle")  # first by name, on call nowhere
        add_rotation(app, 1, away)
        add_rotation(app, 2, ben)
        officer = add_officer(app)
        html = as_coordinator.text("/simulator")
        assert f'<option value="{ben.id}" selected>' in html
        page = call(as_coordinator, officer.phone, leg1="accept")
        assert "Answered by Ben Okafor." in page

    def test_a_post_without_the_csrf_token_is_refused_and_sends_nothing(
        self, app: Flask, client: FlaskClient, as_supervisor: Web, program: Program
    ) -> None:
        data = {"phone": "officer", "officer": program.officer.phone, "body": "REFER"}
        assert client.post("/simulator/text", data=data).status_code == 400
        assert client.post("/simulator/call", data={"leg1": "accept"}).status_code == 400
        with session_scope(app) as session:
            assert session.scalar(select(func.count()).select_from(Message)) == 0
            assert session.scalar(select(func.count()).select_from(Call)) == 0


class TestCall:
    """A call runs through /voice/* as Twilio would run it; the page shows the transcript."""

    def test_a_roster_officer_answered_on_tier_1(
        self, app: Flask, as_supervisor: Web, program: Program
    ) -> None:
        page = call(as_supervisor, program.officer.phone, leg1="accept")
        assert "Caller hears: Thank you, Officer Smith, connecting you" in page
        assert f"Dialling: Ana Diaz ({program.ana.phone})" in page
        assert "Answered by Ana Diaz." in page
        # The call's referral arrives blank: the result says what to complete next.
        assert (
            "Next: complete referral #1 (missing: type, participant name, location, consent)"
            in (page_text(page))
        )
        record = only_call(app)
        assert record.answered_by == program.ana.id
        assert [(leg.number, leg.outcome) for leg in record.legs] == [
            (program.ana.phone, "accepted")
        ]

    def test_a_voicemail_box_on_tier_1_goes_on_to_tier_2(
        self, app: Flask, as_supervisor: Web, program: Program
    ) -> None:
        page = call(as_supervisor, program.officer.phone, leg1="voicemail", leg2="accept")
        assert f"Dialling: Ana Diaz ({program.ana.phone})" in page
        assert "answered: voicemail picks up" in page
        assert f"Dialling: Ben Okafor ({program.ben.phone})" in page
        assert "Answered by Ben Okafor." in page
        record = only_call(app)
        assert [leg.outcome for leg in record.legs] == ["declined", "accepted"]
        assert record.answered_by == program.ben.id

    def test_an_unknown_number_keys_a_badge(self, as_supervisor: Web, program: Program) -> None:
        page = call(as_supervisor, program.officer.phone, other=STRANGER, keys="4711#")
        assert "Caller hears: LEAD hotline. Enter your badge number" in page
        assert "Caller presses: 4711" in page
        assert "Thank you. Connecting you" in page and "Thank you, Officer" not in page

    def test_nobody_answers_and_the_voicemail_notice_reaches_the_on_call_phone(
        self, app: Flask, as_supervisor: Web, program: Program
    ) -> None:
        page = call(as_supervisor, program.officer.phone, leg1="no-answer", leg2="busy")
        assert "a voicemail was left (12 s)" in page
        assert only_call(app).call_outcome == "voicemail"
        with session_scope(app) as session:
            notices = session.scalars(select(Message).where(Message.to_number == program.ana.phone))
            assert [m.status for m in notices] == ["sent"]  # dispatched right after the call

    def test_the_voicemail_left_plays_from_the_referral_page(
        self, app: Flask, as_supervisor: Web, program: Program
    ) -> None:
        call(as_supervisor, program.officer.phone, leg1="no-answer", leg2="no-answer")
        record = only_call(app)
        assert record.referral_id is not None
        page = as_supervisor.text(f"/referrals/{record.referral_id}")
        link = re.search(r'<a href="([^"]+)">play the voicemail</a>', page)
        assert link, "the referral page offers the voicemail"
        played = as_supervisor.get(link.group(1))  # the app's own sample, not a Twilio 404
        assert played.status_code == 200 and played.mimetype == "audio/wav"
        assert "play the voicemail (12 s)" in page_text(page)

    def test_a_voicemail_of_zero_seconds_is_marked_silent_on_the_referral_page(
        self, app: Flask, as_supervisor: Web, program: Program
    ) -> None:
        # Twilio keeps a 0 s recording when the officer hangs up at the tone: nothing to play.
        call(as_supervisor, program.officer.phone, leg1="no-answer", leg2="no-answer")
        with session_scope(app) as session:
            record = session.scalars(select(Call)).one()
            record.recording_duration = 0
            referral_id = record.referral_id
        page = page_text(as_supervisor.text(f"/referrals/{referral_id}"))
        assert "play the voicemail (0 s: silence, no message)" in page

    def test_an_officer_who_left_the_roster_is_a_stranger_on_the_page_as_on_the_line(
        self, app: Flask, as_supervisor: Web, program: Program
    ) -> None:
        gone = add_officer(app, "Officer Gone", badge="9001", phone="+12065550178")
        leave_roster(app, gone)
        html = as_supervisor.text(f"/simulator?officer={gone.phone}")
        page = page_text(html.split('id="oncall-phone"')[0])
        assert "not on the roster: the hotline asks for a badge" in page
        assert "Officer Gone · badge 9001 · +12065550178 · left the roster" in page
        heard = call(as_supervisor, gone.phone, leg1="accept")
        assert "Enter your badge number" in heard  # the hotline does not know the phone

    def test_each_phone_dialled_and_each_text_say_how_they_ended_in_words(
        self, app: Flask, as_supervisor: Web, program: Program
    ) -> None:
        with session_scope(app) as session:  # a text the officer's STOP kept from going out
            session.add(
                Message(
                    direction="out",
                    from_number="+12065550100",
                    to_number=program.officer.phone,
                    body="LEAD #9: thank you.",
                    status="suppressed",
                    created_at=datetime.now(UTC),
                )
            )
        page = call(
            as_supervisor, program.officer.phone, leg1="no-answer", leg2="busy", voicemail=""
        )
        assert f"1 Ana Diaz {program.ana.phone} did not answer" in page
        assert f"2 Ben Okafor {program.ben.phone} line busy" in page
        assert "LEAD #9: thank you." in page
        assert "not sent: the number opted out with STOP" in page
        assert "· suppressed" not in page and f"{program.ben.phone} busy" not in page


class TestPublicUrl:
    """Behind a public URL, the simulator signs what the app checks."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "HOTLINE_PUBLIC_URL": "https://hotline.example.org"}

    def test_the_call_is_signed_against_the_public_url(
        self, as_supervisor: Web, program: Program
    ) -> None:
        page = call(as_supervisor, program.officer.phone, leg1="accept")
        assert "Answered by Ana Diaz." in page
        assert "→ 403" not in page


class TestTexts:
    """An officer refers by text; the on-call phone gets the alert and takes it."""

    def test_intake_then_ack_from_the_on_call_phone(
        self, app: Flask, as_coordinator: Web, program: Program
    ) -> None:
        state = {"officer": program.officer.phone, "oncall": str(program.ana.id)}
        for body in ("REFER", "1", "Jane Doe", "1", "3rd & Pine", "Y", "SEND"):
            text(as_coordinator, "officer", body, **state)
        with session_scope(app) as session:
            (referral,) = session.scalars(select(Referral)).all()
        number = referral.id
        # Without a choice, the on-call phone is tier 1's: Ana's.
        page = page_text(as_coordinator.text(f"/simulator?officer={program.officer.phone}"))
        assert f"Hotline: LEAD #{number}: Reply ACK {number} to take it." in page
        assert "You: SEND" in page

        text(as_coordinator, "oncall", f"ACK {number}", **state)
        with session_scope(app) as session:
            taken = session.get_one(Referral, number)
            assert (taken.status, taken.acknowledged_by) == ("acknowledged", program.ana.id)
        html = as_coordinator.text(
            f"/simulator?officer={program.officer.phone}&oncall={program.ana.id}"
        )
        officer_side = page_text(html.split('id="oncall-phone"')[0])
        assert "with a coordinator" in officer_side
        assert "· sent" in officer_side  # the status text went out through the outbox

    def test_a_text_of_another_day_says_its_day_not_only_its_time(
        self, app: Flask, as_coordinator: Web, program: Program
    ) -> None:
        # The demo's officers have months of texts: a bare "03:04:41" reads as this morning.
        earlier = datetime.now(UTC) - timedelta(days=40)
        with session_scope(app) as session:
            session.add(
                Message(
                    direction="in",
                    from_number=program.officer.phone,
                    to_number="+12065550100",
                    body="REFER",
                    status="received",
                    created_at=earlier,
                )
            )
        page = page_text(as_coordinator.text(f"/simulator?officer={program.officer.phone}"))
        day = earlier.astimezone(ZoneInfo(app.config["HOTLINE_TIMEZONE"]))
        assert f"You: REFER {day:%a %m/%d %H:%M}" in page, page

    def test_the_on_call_phones_list_names_each_role_in_words(
        self, app: Flask, as_coordinator: Web, program: Program
    ) -> None:
        add_user(app, "Cam Reed", "case_manager")
        page = page_text(as_coordinator.text("/simulator"))
        assert "Cam Reed · case manager ·" in page
        assert "case_manager" not in page


def test_a_later_web_language_names_who_sent_each_simulated_text_in_its_own_words(
    as_coordinator: Web, program: Program, bracketed_words: None
) -> None:
    # "You" and "Hotline" before each text were English literals in the template.
    text(as_coordinator, "officer", "REFER", officer=program.officer.phone)
    html = as_coordinator.text(f"/simulator?officer={program.officer.phone}")
    assert '<span class="sender">[[You]]:</span>' in html
    assert '<span class="sender">[[Hotline]]:</span>' in html
