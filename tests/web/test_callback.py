"""The referral page's "Call back" rings the coordinator from the hotline (SPEC §4.10, §9)."""

from __future__ import annotations

import html
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import CALLBACK_OUTCOMES, Callback, ReferralEvent
from hotline.web import referrals as referral_pages
from hotline.web.words import WORDS
from tests.factories import add_officer, add_referral
from tests.messaging.fake_twilio import FakeTwilio
from tests.web.conftest import Web

BUTTON = 'id="action-callback"'


def officer_referral(app: Flask) -> int:
    """Add a referral by Officer Smith, whose phone the hotline may call back."""
    officer = add_officer(app)
    return add_referral(app, officer_id=officer.id, officer_phone=officer.phone)


def callbacks(app: Flask) -> list[Callback]:
    with session_scope(app) as session:
        rows = list(session.scalars(select(Callback).order_by(Callback.id)))
        session.expunge_all()
        return rows


class TestButton:
    """The button is offered where there is an officer phone, and refused elsewhere."""

    def test_offered_on_a_referral_with_an_officer_phone_even_once_closed(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        open_one = officer_referral(app)
        closed = add_referral(app, "intake_completed", officer_phone="+12065550177")
        assert BUTTON in as_coordinator.text(f"/referrals/{open_one}")
        assert BUTTON in as_coordinator.text(f"/referrals/{closed}")

    def test_not_offered_and_refused_without_an_officer_phone(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, officer_phone=None)
        assert BUTTON not in as_coordinator.text(f"/referrals/{number}")
        answer = as_coordinator.post(f"/referrals/{number}/actions", {"action": "callback"})
        assert answer.status_code == 409
        assert f"#{number} has no officer phone to call back." in answer.get_data(as_text=True)
        assert callbacks(app) == []

    def test_in_development_the_page_says_no_phone_rings(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = officer_referral(app)
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "callback"}, follow_redirects=True
        )
        page = answer.get_data(as_text=True)
        assert "No phone rings in development" in page and "phone simulator" in page
        assert "call back asked for" in page  # on the timeline
        [callback] = callbacks(app)
        assert callback.state == "placed" and callback.channel == "web"


class TestThroughTwilio:
    """With Twilio configured, the button places the call at once."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any], fake_twilio: FakeTwilio) -> dict[str, Any]:
        return {
            **app_config,
            **fake_twilio.settings(),
        }

    def test_the_coordinator_phone_rings_from_the_hotline(
        self, app: Flask, as_coordinator: Web, fake_twilio: FakeTwilio
    ) -> None:
        number = officer_referral(app)
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "callback"}, follow_redirects=True
        )
        assert as_coordinator.user is not None
        phone = as_coordinator.user.phone
        assert f"Your phone ({phone}) is ringing from the hotline: press 1" in answer.get_data(
            as_text=True
        )
        [placed] = fake_twilio.calls
        assert (placed.to, placed.sender) == (phone, app.config["HOTLINE_NUMBER"])
        with session_scope(app) as session:
            kinds = session.scalars(
                select(ReferralEvent.kind).where(ReferralEvent.referral_id == number)
            ).all()
        assert kinds == ["callback_requested"]

    def test_a_refused_call_is_said_on_the_page(
        self, app: Flask, as_coordinator: Web, fake_twilio: FakeTwilio
    ) -> None:
        fake_twilio.fail_next("21211")
        number = officer_referral(app)
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "callback"}, follow_redirects=True
        )
        page = answer.get_data(as_text=True)
        assert "The call back could not be placed (HTTP 400 (Twilio error 21211))" in page
        assert "the call could not be placed" in page  # the timeline's outcome

    def test_a_call_the_clock_places_first_is_said_to_ring_not_to_have_failed(
        self,
        app: Flask,
        as_coordinator: Web,
        fake_twilio: FakeTwilio,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # The page's request has queued the call back; the clock's dispatch-outbox run,
        # on another host, finds it queued and places it before the page can.
        number = officer_referral(app)
        real = referral_pages.place_due_callbacks  # type: ignore[attr-defined]

        def clock_first(*args: Any, **kwargs: Any) -> Any:
            clock = threading.Thread(
                target=run_job, args=(app, "dispatch-outbox", datetime.now(UTC))
            )
            clock.start()
            clock.join()
            return real(*args, **kwargs)

        monkeypatch.setattr(referral_pages, "place_due_callbacks", clock_first)
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "callback"}, follow_redirects=True
        )
        page = answer.get_data(as_text=True)
        assert len(fake_twilio.calls) == 1  # her phone rings, once
        assert "could not be placed" not in page  # so she does not ask again: a second ring
        assert as_coordinator.user is not None
        assert f"Your phone ({as_coordinator.user.phone}) is ringing from the hotline" in page


class TestOutcomeWords:
    """Each way a call back can end is said in words on the referral's timeline."""

    @pytest.mark.parametrize("outcome", CALLBACK_OUTCOMES)
    def test_each_outcome_is_said_in_words_not_as_a_code(
        self, app: Flask, as_coordinator: Web, outcome: str
    ) -> None:
        number = officer_referral(app)
        with session_scope(app) as session:
            session.add(
                ReferralEvent(
                    referral_id=number,
                    kind="callback_ended",
                    channel="voice",
                    at=datetime.now(UTC),
                    detail={"callback": 1, "outcome": outcome},
                )
            )
        page = as_coordinator.get(f"/referrals/{number}").get_data(as_text=True)
        assert WORDS[outcome] in html.unescape(page)
