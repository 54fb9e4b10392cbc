"""The schedule page: 14/28-day timeline per tier with gaps, and the calendar links (SPEC §9)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from hotline.db import session_scope
from hotline.models import Rotation, User
from hotline.web.timeline import day_pattern
from tests.api.conftest import Api, token_for
from tests.factories import add_override, add_rotation, add_user
from tests.web.conftest import Web

LA = ZoneInfo("America/Los_Angeles")  # the program's zone (HOTLINE_TIMEZONE's default)


def feed_urls(page: str) -> dict[str, str]:
    """Return each calendar address the page shows, by its input's id."""
    return dict(
        re.findall(
            r'<input id="(feed-[\w-]+)" class="mono" type="text" readonly value="([^"]+)"', page
        )
    )


def day_shown(day: date) -> str:
    """Return a day as the page writes it: with its year only when not this year's."""
    return day.strftime(day_pattern(day.year, datetime.now(LA).year))


def summaries(feed: bytes) -> list[str]:
    """Return the SUMMARY of every event of an iCalendar feed."""
    return [str(event["summary"]) for event in Calendar.from_ical(feed).walk("VEVENT")]


class TestCalendar:
    """Whole days by tier, a named bar per shift, overrides and gaps marked (SPEC §9)."""

    @pytest.mark.parametrize(
        ("query", "days"), [("", 14), ("?days=7", 7), ("?days=28", 28), ("?days=99", 14)]
    )
    def test_span_is_a_week_two_or_four(self, as_coordinator: Web, query: str, days: int) -> None:
        page = as_coordinator.text("/schedule" + query)
        assert f'id="days-{days}" href="/schedule?days={days}" aria-current="page"' in page
        assert len(re.findall(r'<section class="cal-day', page)) == days

    def test_bars_carry_names_overrides_and_gaps_in_words(
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
        names = re.findall(r'<span class="who">([^<]*)</span>', page)
        assert "Ana Diaz" in names and "✱ Ben Okafor" in names and "Gap" in names
        # Each person one colour, the same on every day: the key says whose.
        ana_colours = set(re.findall(r"cal-bar rotation (c\d)", page))
        assert len(ana_colours) == 1
        assert (
            f'<span class="swatch {ana_colours.pop()}" aria-hidden="true"></span>Ana Diaz' in page
        )
        assert re.search(r'<p class="gap-text" id="gap-summary"><strong>\d+ gaps</strong>', page)
        assert '<details class="segments" id="segment-details">' in page  # words behind a toggle
        assert "Tier 1: Ana Diaz (rotation)" in page and "Tier 2: Ben Okafor (override)" in page
        assert "find cover" not in page and "fill this gap" not in page  # supervisors only

    def test_a_gap_is_one_tap_from_the_override_form(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        add_override(app, ana, 1, datetime.now(UTC), datetime.now(UTC) + timedelta(hours=30))
        page = as_supervisor.text("/schedule?days=7")
        gap = re.search(
            r'class="cal-bar gap gap-bar[^"]*"[^>]*><a href="([^"]+)"><span class="who">Gap', page
        )
        assert gap, "the gap bar is a link"
        form = as_supervisor.text(gap.group(1).replace("&amp;", "&"))
        assert 'id="override-form"' in form and 'name="tier" type="number"' in form

    def test_later_pages_go_forward_and_today_is_marked(
        self, app: Flask, as_coordinator: Web, ana: User
    ) -> None:
        add_rotation(app, 1, ana)
        page = as_coordinator.text("/schedule?days=7")
        assert '<span class="today-mark">today</span>' in page and 'id="earlier"' not in page
        later = re.search(r'href="([^"]+)" id="later"', page)
        assert later
        next_week = as_coordinator.text(later.group(1).replace("&amp;", "&"))
        assert "today-mark" not in next_week and 'id="earlier"' in next_week
        assert len(re.findall(r'<section class="cal-day', next_week)) == 7

    def test_supervisors_get_links_to_cover_a_shift_or_fill_a_gap(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        add_rotation(app, 1, ana)
        page = as_supervisor.text("/schedule")
        link = re.search(r'<a class="cover" href="([^"]+)">find cover</a>', page)
        assert link and f"for={ana.id}" in link.group(1) and "tier=1" in link.group(1)
        form = as_supervisor.text(link.group(1).replace("&amp;", "&"))
        assert f'<option value="{ana.id}" selected>Ana Diaz</option>' in form
        assert '<span class="visually-hidden">, 00:00–24:00: find cover</span>' in page

    def test_no_gap_is_said_plainly(self, app: Flask, as_coordinator: Web, ana: User) -> None:
        add_rotation(app, 1, ana)
        assert "No gaps in these 14 days." in as_coordinator.text("/schedule")

    def test_tier_one_without_a_rotation_is_a_gap_not_no_gaps(
        self, app: Flask, as_supervisor: Web, ben: User
    ) -> None:
        add_rotation(app, 2, ben)  # the backup is on; the primary tier has nobody
        for path in ("/schedule", "/"):
            page = as_supervisor.text(path)
            assert 'aria-label="Tier 1, ' in page and "fill this gap" in page, path
        page = as_supervisor.text("/schedule")
        summary = re.search(r'<p class="gap-text" id="gap-summary">(.*?)</p>', page, re.S)
        assert summary and "tier 1" in summary.group(1)  # as coverage-gaps texts supervisors
        assert "No gaps in these" not in page

    def test_a_stretch_cut_by_the_pages_last_midnight_says_when_it_really_ends(
        self, app: Flask, as_coordinator: Web, ana: User, ben: User, cy: User
    ) -> None:
        add_rotation(app, 1, ana, ben, start=datetime(2026, 11, 1, 8), shift_hours=24)
        first = datetime.now(LA).date() + timedelta(days=7)
        noon = datetime.combine(first + timedelta(days=1), time(12), LA)
        add_override(app, cy, 2, noon, noon + timedelta(days=1))  # then nobody, for good
        page = as_coordinator.text(f"/schedule?days=7&from={first.isoformat()}")
        after = first + timedelta(days=7)  # the page ends at its midnight
        details = re.search(r'id="segment-details">(.*?)</details>', page, re.S)
        assert details
        # The last shift of tier 1 runs to 08:00 that day, not to the page's midnight.
        said = re.sub(r"\s+</li>", "</li>", details.group(1))
        assert f"{day_shown(after)} 08:00</li>" in said
        assert f"{day_shown(after)} 00:00" not in details.group(1)
        summary = re.search(r'<p class="gap-text" id="gap-summary">(.*?)</p>', page, re.S)
        assert summary and "until further notice" in summary.group(1)
        assert f"{after:%a %m/%d}" not in summary.group(1)

    def test_a_shift_begun_before_the_pages_first_midnight_says_when_it_really_began(
        self, app: Flask, as_coordinator: Web, ana: User, ben: User
    ) -> None:
        add_rotation(app, 1, ana, ben, start=datetime(2026, 11, 1, 8), shift_hours=24)
        first = datetime.now(LA).date() + timedelta(days=7)
        page = as_coordinator.text(f"/schedule?days=7&from={first.isoformat()}")
        details = re.search(r'id="segment-details">(.*?)</details>', page, re.S)
        assert details
        stretches = re.findall(r"Tier 1: ([^<]*?)\s*(?:<|$)", details.group(1))
        # The shift held at the page's first midnight began at 08:00 the day before.
        before = first - timedelta(days=1)
        began = f"{day_shown(before)} 08:00 – {day_shown(first)} 08:00"
        assert stretches[0].endswith(began), stretches
        assert f"{day_shown(first)} 00:00" not in details.group(1)

    def test_a_stretch_begun_in_another_year_says_its_year(
        self, app: Flask, as_coordinator: Web, ana: User
    ) -> None:
        # One person on tier 1 since 08:00 on Monday, January 6, 2020: one unbroken stretch.
        add_rotation(app, 1, ana, start=datetime(2020, 1, 6, 8))
        page = as_coordinator.text("/schedule")
        details = re.search(r'id="segment-details">(.*?)</details>', page, re.S)
        assert details
        stretches = re.findall(r"Tier 1: ([^<]*?)\s*(?:<|$)", details.group(1))
        # "Mon 01/06 08:00" would read as this year's January 6 (not even a Monday).
        assert stretches == ["Ana Diaz (rotation), Mon 01/06/2020 08:00 – until further notice"]

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

    def test_people_never_on_call_have_no_feed_of_their_own(
        self, app: Flask, as_coordinator: Web, ana: User
    ) -> None:
        others = [
            add_user(app, "Cam Reed", "case_manager"),
            add_user(app, "Pia Ross", "prosecutor"),
        ]
        urls = feed_urls(as_coordinator.text("/schedule"))
        assert f"feed-user-{ana.id}" in urls
        assert all(f"feed-user-{person.id}" not in urls for person in others)

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


def test_a_spanish_reader_sees_rotation_and_override_in_spanish(
    app: Flask,
    coordinator: User,
    as_coordinator: Web,
    ana: User,
    ben: User,
    spanish_pages: Callable[[User, dict[str, str]], None],
) -> None:
    add_rotation(app, 1, ana)
    now = datetime.now(UTC)
    add_override(app, ben, 2, now - timedelta(hours=1), now + timedelta(days=2))
    spanish_pages(coordinator, {"rotation": "turno", "override": "sustitución"})
    schedule = as_coordinator.text("/schedule")
    assert "Ana Diaz (turno)" in schedule and "Ben Okafor (sustitución)" in schedule
    dashboard = as_coordinator.text("/")
    assert "(turno)" in dashboard and "(sustitución)" in dashboard
    assert "(rotation)" not in dashboard and "(override)" not in dashboard


def test_a_later_web_language_counts_the_gaps_in_its_own_words(
    app: Flask, as_supervisor: Web, ana: User, bracketed_words: None
) -> None:
    # "gaps" was "gap" with an English "s" added, on the schedule and on a rotation's or
    # override's preview alike.
    row = add_rotation(app, 1, ana)
    with session_scope(app) as session:
        session.get_one(Rotation, row.id).windows = [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}
        ]
    page = as_supervisor.text("/schedule")
    assert re.search(r'id="gap-summary"><strong>\d+ \[\[gaps\]\]</strong>', page)
    preview = as_supervisor.text(f"/rotations/{row.id}")
    assert re.search(r'class="gap-text gap-summary"><strong>\d+ \[\[gaps\]\]</strong>', preview)
