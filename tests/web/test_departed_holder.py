"""Referrals whose holder left or changed role: listed on the dashboard, taken over (SPEC §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Message, Referral, ReferralEvent, User
from tests.factories import add_referral, add_user
from tests.web.conftest import Web
from tests.web.test_people import edit_form
from tests.web.test_referral_page import shown

GONE = {"deactivated": {"active": False}, "made a prosecutor": {"role": "prosecutor"}}


def gone(app: Flask, name: str, how: str) -> User:
    """Add a person who held referrals and then left, or whose new role cannot work them."""
    user = add_user(app, name)
    with session_scope(app) as session:
        row = session.get_one(User, user.id)
        for field, value in GONE[how].items():
            setattr(row, field, value)
    return user


def held(app: Flask, holder: User, status: str, age: timedelta = timedelta(minutes=5)) -> int:
    created = datetime.now(UTC) - age
    return add_referral(
        app, status, acknowledged_by=holder.id, acknowledged_at=created, created_at=created
    )


def orphan_section(page: str) -> str:
    start = page.index('id="orphaned-heading"')
    return page[start : page.index("</ul>", start)]


class TestTakeItOver:
    """The page's "Take it" takes over from a holder who cannot act on it."""

    @pytest.mark.parametrize("how", list(GONE))
    @pytest.mark.parametrize(
        ("status", "after"),
        [("acknowledged", "acknowledged"), ("assessed", "assessed"), ("notified", "acknowledged")],
    )
    def test_take_it_makes_the_taker_the_holder_and_moves_no_status_back(
        self, app: Flask, as_coordinator: Web, how: str, status: str, after: str
    ) -> None:
        assert as_coordinator.user is not None
        number = held(app, gone(app, "Ana Diaz", how), status)
        page = as_coordinator.text(f"/referrals/{number}")
        assert "ack" in shown(page)
        assert "Ana Diaz (no longer works referrals)" in page

        answer = as_coordinator.post(f"/referrals/{number}/actions", {"action": "ack"})

        assert answer.status_code == 302
        flashed = as_coordinator.text(f"/referrals/{number}")
        assert f"You have #{number}, taken over from Ana Diaz" in flashed
        assert "took over from Ana Diaz" in flashed  # on the timeline
        with session_scope(app) as session:
            referral = session.get_one(Referral, number)
            assert (referral.status, referral.acknowledged_by) == (after, as_coordinator.user.id)
            kinds = session.scalars(select(ReferralEvent.kind)).all()
            assert kinds == ["acknowledged"]
            officer_texts = session.scalars(select(Message.body)).all()
            # Only a status that changed is news for the officer (no officer phone here).
            assert officer_texts == []

    def test_a_holder_who_still_works_referrals_is_not_offered_up(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = held(app, add_user(app, "Ana Diaz", "supervisor"), "acknowledged")
        assert "ack" not in shown(as_coordinator.text(f"/referrals/{number}"))
        answer = as_coordinator.post(f"/referrals/{number}/actions", {"action": "ack"})
        assert answer.status_code == 409


class TestDashboard:
    """Such referrals are listed beside those nobody has taken, oldest first, in words."""

    def test_listed_with_who_held_it_why_they_cannot_and_its_age_oldest_first(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        ana = gone(app, "Ana Diaz", "deactivated")
        pat = gone(app, "Pat Moss", "made a prosecutor")
        newer = held(app, ana, "acknowledged", timedelta(hours=2, minutes=10, seconds=5))
        older = held(app, pat, "assessed", timedelta(days=3, minutes=1))
        quiet = held(app, ana, "notified", timedelta(minutes=30))
        closed = held(app, ana, "intake_completed", timedelta(days=4))
        page = as_coordinator.text("/")
        section = orphan_section(page)
        positions = [section.index(f">#{n}<") for n in (older, newer, quiet)]
        assert positions == sorted(positions)
        assert f">#{closed}<" not in section
        older_item = section[positions[0] : positions[1]]
        assert "waiting 3 days" in older_item and "assessed" in older_item
        assert "Pat Moss, now a prosecutor" in older_item
        newer_item = section[positions[1] : positions[2]]
        assert "waiting 2 h 10 min" in newer_item and "Ana Diaz, who left the program" in newer_item
        # Not shown as in hand under "Taken, waiting for an assessment".
        waiting = page[page.index('class="waiting"') :]
        assert f">#{newer}<" not in waiting.split("</ul>")[0]
        assert f">#{quiet}<" not in waiting.split("</ul>")[0]

    def test_no_such_list_when_every_holder_can_act(self, app: Flask, as_coordinator: Web) -> None:
        held(app, add_user(app, "Ana Diaz"), "acknowledged")
        page = as_coordinator.text("/")
        assert 'id="orphaned-heading"' not in page
        assert "Every referral has an owner." in page


class TestPeoplePage:
    """Taking someone out of referral work says what they held and where it is now."""

    def test_deactivating_someone_says_how_many_open_referrals_they_held(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        for status in ("acknowledged", "assessed", "intake_completed"):
            held(app, ana, status)
        as_supervisor.post(f"/people/users/{ana.id}/deactivate")
        page = as_supervisor.text("/people")
        assert (
            "Deactivated Ana Diaz. They held 2 open referrals: these are listed on the "
            "dashboard for someone to take over." in page
        )

    def test_a_role_that_cannot_work_referrals_says_so_too(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        held(app, ana, "acknowledged")
        as_supervisor.post(f"/people/users/{ana.id}", edit_form(ana, role="case_manager"))
        page = as_supervisor.text("/people")
        assert (
            "Saved Ana Diaz. They held 1 open referral: it is listed on the dashboard for "
            "someone to take over." in page
        )

    def test_nothing_is_said_of_referrals_when_they_held_none_or_still_work_them(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
        held(app, ana, "acknowledged")
        as_supervisor.post(f"/people/users/{ana.id}", edit_form(ana, role="supervisor"))
        as_supervisor.post(f"/people/users/{ben.id}/deactivate")
        page = as_supervisor.text("/people")
        assert "Saved Ana Diaz." in page and "Deactivated Ben Okafor." in page
        assert "open referral" not in page
