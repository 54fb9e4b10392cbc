"""The schedule page: 14/28-day timeline per tier with gaps, and the calendar links (SPEC §9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from hotline.db import session_scope
from hotline.models import Rotation, User
from tests.api.conftest import Api, token_for
from tests.factories import add_override, add_rotation
from tests.web.conftest import Web


def feed_urls(page: str) -> dict[str, str]:
    """Return each calendar address the page shows, by its input's id."""
    return dict(
        re.findall(
            r'<input id="(feed-[\w-]+)" class="mono" type="text" readonly value="([^"]+)"', page
        )
    )


def summaries(feed: bytes) -> list[str]:
    """Return the SUMMARY of every event of an iCalendar feed."""
    return [str(event["summary"]) for event in Calendar.from_ical(feed).walk("VEVENT")]


class TestTimeline:
    """Each tier's final schedule, with person and source, gaps in red."""

    @pytest.mark.parametrize(("query", "days"), [("", 14), ("?days=28", 28), ("?days=99", 14)])
    def test_span_is_14_or_28_days(self, as_coordinator: Web, query: str, days: int) -> None:
        page = as_coordinator.text("/schedule" + query)
        assert f"<h1>Schedule: next {days} days</h1>" in page
        assert f'id="days-{days}" href="/schedule?days={days}" aria-current="page"' in page

    def test_segments_name_person_and_source_and_gaps_are_red(
        self, app: Flask, as_coordinator: Web, ana: User, ben: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        with session_scope(app) as session:
            session.get_one(Rotation, row.id).windows = [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}
            ]
        now = datetime.now(UTC)
        add_override(app, ben, 2, now + timedelta(days=1), now + timedelta(days=2))
        page = as_coordinator.text("/schedule")
        assert "Tier 1: Ana Diaz (rotation)" in page and "Tier 2: Ben Okafor (override)" in page
        assert 'class="bar gap"' in page and '<li class="gap">Tier 1: GAP: nobody' in page
        assert re.search(r'<p class="gap-text" id="gap-summary"><strong>\d+ gaps</strong>', page)
        assert "find cover" not in page  # cover links are for supervisors

    def test_supervisors_get_links_to_cover_a_shift_or_fill_a_gap(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        add_rotation(app, 1, ana)
        page = as_supervisor.text("/schedule")
        link = re.search(r'<a class="cover" href="([^"]+)">find cover</a>', page)
        assert link and f"for={ana.id}" in link.group(1) and "tier=1" in link.group(1)
        form = as_supervisor.text(link.group(1).replace("&amp;", "&"))
        assert f'<option value="{ana.id}" selected>Ana Diaz</option>' in form

    def test_no_gap_is_said_plainly(self, app: Flask, as_coordinator: Web, ana: User) -> None:
        add_rotation(app, 1, ana)
        assert "No gaps in the next 14 days." in as_coordinator.text("/schedule")

    def test_needs_sign_in(self, client: FlaskClient) -> None:
        assert client.get("/schedule").headers["Location"].startswith("/login")


class TestCalendarLinks:
    """The team feed and one per person, absolute, each with a copy button."""

    def test_lists_team_and_personal_feeds_at_the_public_url(
        self, app: Flask, client: FlaskClient, as_coordinator: Web, ana: User
    ) -> None:
        app.config["HOTLINE_PUBLIC_URL"] = "https://hotline.example.org/"
        page = as_coordinator.text("/schedule")
        urls = feed_urls(page)
        team = urls["feed-team"]
        assert re.fullmatch(r"https://hotline\.example\.org/api/v1/calendar/[\w-]+\.ics", team)
        assert urls[f"feed-user-{ana.id}"] == f"{team}?user={ana.id}"
        api = Api(client, token_for(app, ana.id))
        assert (api.get("/calendar").json or {})["url"] == team
        assert 'data-copy="feed-team"' in page and f'data-copy="feed-user-{ana.id}"' in page
        assert '<script src="/static/app.js" defer></script>' in page
        script = client.get("/static/app.js")
        assert script.status_code == 200 and b"navigator.clipboard" in script.data
        script.close()

    def test_without_a_public_url_the_request_address_is_used(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        app.config["HOTLINE_PUBLIC_URL"] = None
        team = feed_urls(as_coordinator.text("/schedule"))["feed-team"]
        assert team.startswith("http://localhost/api/v1/calendar/")

    def test_the_feed_urls_work(
        self, app: Flask, client: FlaskClient, as_coordinator: Web, ana: User, ben: User
    ) -> None:
        add_rotation(app, 1, ana)
        add_rotation(app, 2, ben)
        urls = feed_urls(as_coordinator.text("/schedule"))
        team = client.get(urls["feed-team"].removeprefix("http://localhost"))
        assert team.status_code == 200 and team.mimetype == "text/calendar"
        assert {"LEAD on-call: Ana Diaz (tier 1)", "LEAD on-call: Ben Okafor (tier 2)"} <= set(
            summaries(team.data)
        )
        own = client.get(urls[f"feed-user-{ben.id}"].removeprefix("http://localhost"))
        assert own.status_code == 200
        assert set(summaries(own.data)) == {"LEAD on-call: Ben Okafor (tier 2)"}
