"""The dashboard lists the referrals nobody owns, oldest first, with their age in words."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

import hotline.web.pages as pages
from hotline.db import session_scope
from hotline.models import Call
from tests.factories import add_referral, add_rotation, add_user
from tests.web.conftest import Web


def unowned_section(page: str) -> str:
    start = page.index('id="unowned-heading"')
    return page[start : page.index("</ul>", start)]


class TestNobodyHasTakenThese:
    """Referrals in received/notified are listed until someone takes them."""

    def test_oldest_first_with_ages_in_words_and_overdue_marked(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        now = datetime.now(UTC)
        fresh = add_referral(app, "notified", created_at=now - timedelta(minutes=3))
        days = add_referral(app, "notified", created_at=now - timedelta(days=3, minutes=1))
        call = add_referral(
            app,
            "received",
            channel="voice",
            type=None,
            call_outcome="abandoned",
            created_at=now - timedelta(hours=2, minutes=10, seconds=20),
        )
        section = unowned_section(as_coordinator.text("/"))
        positions = [section.index(f">#{n}<") for n in (days, call, fresh)]
        assert positions == sorted(positions)
        assert "waiting 3 days" in section and "waiting 2 h 10 min" in section
        assert "waiting 3 min" in section and "call, hung up" in section
        assert section.count(">overdue<") == 2  # the two past HOTLINE_ACK_MINUTES, in words
        fresh_item = section[section.index(f">#{fresh}<") :]
        assert "overdue" not in fresh_item.split("</li>")[0]

    def test_taken_and_closed_referrals_are_not_listed(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        taken = add_referral(app, "acknowledged", acknowledged_by=ana.id)
        closed = add_referral(app, "intake_completed")
        page = as_coordinator.text("/")
        section = unowned_section(page)
        assert "Every referral has an owner." in section
        assert f">#{closed}<" not in page
        assert f">#{taken}<" in page and "with Ana Diaz" in page

    def test_one_its_assessor_could_not_reach_is_theirs_not_unowned(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        # An `unable_to_contact` assessment leaves `notified` as it was, and owns it (SPEC §6).
        ana = add_user(app, "Ana Diaz")
        held = add_referral(app, "notified", acknowledged_by=ana.id)
        page = as_coordinator.text("/")
        assert "Every referral has an owner." in unowned_section(page)
        waiting = page[page.index('class="waiting"') :]
        assert f">#{held}<" in waiting and "with Ana Diaz" in waiting


def test_on_call_now_shows_a_tier_one_gap_when_only_tier_two_has_a_rotation(
    app: Flask, as_coordinator: Web
) -> None:
    ben = add_user(app, "Ben Okafor")
    add_rotation(app, 2, ben)

    page = as_coordinator.text("/")

    table = page[page.index('id="oncall-heading"') : page.index("</table>")]
    assert 'data-tier="1"' in table
    tier_one = table[table.index('data-tier="1"') : table.index('data-tier="2"')]
    assert "GAP: nobody" in tier_one and "no rotation" in tier_one
    assert "Ben Okafor" in table[table.index('data-tier="2"') :]


def test_todays_calls_are_the_calls_since_local_midnight(app: Flask, as_coordinator: Web) -> None:
    # SPEC §9: "Dashboard: … today's calls." Today is the program's day, not UTC's.
    zone = ZoneInfo(app.config["HOTLINE_TIMEZONE"])
    now = datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    with session_scope(app) as session:
        for sid, caller, started in (
            ("CAtoday", "+12065550171", now - timedelta(seconds=5)),
            ("CAyesterday", "+12065550172", midnight.astimezone(UTC) - timedelta(minutes=1)),
        ):
            session.add(
                Call(
                    call_sid=sid,
                    from_number=caller,
                    to_number="+12065550100",
                    status="completed",
                    call_outcome="answered",
                    started_at=started,
                )
            )
        session.commit()

    page = as_coordinator.text("/")

    calls = page[page.index('class="calls"') : page.index("</ul>", page.index('class="calls"'))]
    assert "+12065550171" in calls
    assert "+12065550172" not in calls


def test_todays_calls_say_how_each_ended_in_words(app: Flask, as_coordinator: Web) -> None:
    now = datetime.now(UTC)
    with session_scope(app) as session:
        for sid, status, outcome in (
            ("CAlive", "in-progress", None),
            ("CAgone", "completed", "abandoned"),
            ("CAmail", "completed", "voicemail"),
        ):
            session.add(
                Call(
                    call_sid=sid,
                    from_number="+12065550171",
                    to_number="+12065550100",
                    status=status,
                    call_outcome=outcome,
                    started_at=now,
                )
            )
        session.commit()

    page = as_coordinator.text("/")

    calls = page[page.index('class="calls"') : page.index("</ul>", page.index('class="calls"'))]
    assert "in progress" in calls and "in-progress" not in calls
    assert "the caller hung up before anyone answered" in calls and "abandoned" not in calls
    assert "went to voicemail" in calls


def test_todays_calls_in_the_repeated_fall_back_hour_say_which_pass(
    app: Flask, as_coordinator: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Newest first: 01:30 PST came an hour after 01:40 PDT; bare "01:30, 01:40" reads reversed.
    zone = ZoneInfo("America/Los_Angeles")
    morning = datetime(2026, 11, 1, 7, 30, tzinfo=zone)

    class FallBackMorning(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:
            return morning.astimezone(tz)

    monkeypatch.setattr(pages, "datetime", FallBackMorning)
    with session_scope(app) as session:
        for sid, caller, fold, minute in (("CAfirst", "1", 0, 40), ("CAsecond", "2", 1, 30)):
            started = datetime(2026, 11, 1, 1, minute, tzinfo=zone, fold=fold)
            session.add(
                Call(
                    call_sid=sid,
                    from_number=f"+1206555017{caller}",
                    to_number="+12065550100",
                    status="completed",
                    call_outcome="answered",
                    started_at=started.astimezone(UTC),
                )
            )
        session.commit()

    page = as_coordinator.text("/")

    calls = page[page.index('class="calls"') : page.index("</ul>", page.index('class="calls"'))]
    assert calls.index("01:30 PST from +12065550172") < calls.index("01:40 PDT from +12065550171")
