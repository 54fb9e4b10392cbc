"""The iCalendar feed gives back the final schedule's segments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from icalendar import Calendar, vDuration
from sqlalchemy import select

from hotline import create_app
from hotline.db import database, session_scope
from hotline.models import ProgramSetting
from hotline.rotation import final_schedule
from hotline.services.calendar import FEED_AFTER, FEED_BEFORE, render_feed
from hotline.services.calendar_secret import calendar_token
from hotline.services.oncall import load_program
from tests.api.conftest import Api, add_user, rotation_body
from tests.factories import add_override, add_rotation
from tests.factories import add_user as add_person

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def events(feed: bytes) -> list[tuple[datetime, datetime, str, str]]:
    calendar = Calendar.from_ical(feed)
    return sorted(
        (e.decoded("dtstart"), e.decoded("dtend"), str(e["summary"]), str(e["uid"]))
        for e in calendar.walk("VEVENT")
    )


class TestCalendarFeed:
    """One secret URL for the program; a wrong token is 404."""

    def test_feed_matches_schedule_and_filters_by_user(
        self, app: Flask, client, supervisor_api: Api
    ) -> None:  # type: ignore[no-untyped-def]
        alice, bob = add_user(app, name="Alice"), add_user(app, name="Bob")
        start = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT08:00")
        windows = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "20:00"}]
        supervisor_api.post("/rotations", rotation_body([alice, bob], start=start, windows=windows))
        url = supervisor_api.get("/calendar").json["url"]
        assert url.startswith("http://localhost/api/v1/calendar/") and url.endswith(".ics")
        path = url.removeprefix("http://localhost")
        first = client.get(path)
        assert first.status_code == 200 and first.mimetype == "text/calendar"
        feed = events(first.data)
        with app.app_context(), session_scope(app) as session:
            program = load_program(session)
        now = datetime.now(UTC)
        segments = [
            s for s in final_schedule(program, 1, now - FEED_BEFORE, now + FEED_AFTER) if s.user_id
        ]
        # The feed was made a moment earlier: its first and last events are clipped then.
        assert [(s.start, s.end) for s in segments[1:-1]] == [(e[0], e[1]) for e in feed[1:-1]]
        assert segments[-1].start == feed[-1][0] and len(segments) == len(feed)
        assert all("(tier 1)" in e[2] for e in feed)
        again = events(client.get(path).data)
        assert [e[3] for e in again] == [e[3] for e in feed]  # stable UIDs
        only_alice = events(client.get(path + f"?user={alice}").data)
        assert only_alice and all("Alice" in e[2] for e in only_alice)

    def test_wrong_token_is_404(self, client, supervisor_api: Api) -> None:  # type: ignore[no-untyped-def]
        supervisor_api.get("/calendar")
        assert client.get("/api/v1/calendar/guess.ics").status_code == 404

    def test_a_token_of_other_characters_is_404_not_an_error(
        self, client, supervisor_api: Api
    ) -> None:  # type: ignore[no-untyped-def]
        supervisor_api.get("/calendar")
        assert client.get("/api/v1/calendar/d%C3%A9j%C3%A0-vu.ics").status_code == 404


class TestCalendarSecret:
    """The feed's token is stored only as a hash; the database alone opens no feed."""

    def test_no_stored_value_is_the_token(self, app: Flask, client, supervisor_api: Api) -> None:  # type: ignore[no-untyped-def]
        url = supervisor_api.get("/calendar").json["url"]
        token = url.rsplit("/", 1)[-1].removesuffix(".ics")
        assert client.get(url.removeprefix("http://localhost")).status_code == 200
        with session_scope(app) as session:
            stored = [row.value for row in session.scalars(select(ProgramSetting))]
        assert stored and not any(token in value for value in stored)

    def test_the_url_stays_the_same_between_asks(self, supervisor_api: Api) -> None:
        assert supervisor_api.get("/calendar").json == supervisor_api.get("/calendar").json

    def test_the_old_url_is_404_as_soon_as_secret_key_changes(
        self, app: Flask, app_config: dict[str, Any], supervisor_api: Api
    ) -> None:
        # SECRET_KEY replaced after a leak: what was derived from the old key must die with it,
        # not keep serving the schedule until someone happens to open /schedule.
        old_path = supervisor_api.get("/calendar").json["url"].removeprefix("http://localhost")
        rekeyed = create_app({**app_config, "SECRET_KEY": "a new key after the old one leaked"})
        client = rekeyed.test_client()
        try:
            assert client.get(old_path).status_code == 404
            with rekeyed.app_context(), session_scope(rekeyed) as session:
                token = calendar_token(session, rekeyed.config["SECRET_KEY"])
            assert client.get(f"/api/v1/calendar/{token}.ics").status_code == 200
            assert client.get(old_path).status_code == 404
        finally:  # its own pool: left open, PostgreSQL's connection outlives the test
            database(rekeyed).engine.dispose()

    def test_a_clear_token_left_by_an_older_version_opens_nothing(
        self, app: Flask, client, supervisor_api: Api
    ) -> None:  # type: ignore[no-untyped-def]
        with session_scope(app) as session:
            session.add(ProgramSetting(key="calendar_token", value="old-clear-token"))
        assert client.get("/api/v1/calendar/old-clear-token.ics").status_code == 404
        supervisor_api.get("/calendar")
        with session_scope(app) as session:
            assert session.get(ProgramSetting, "calendar_token") is None


def test_a_shift_begun_years_ago_keeps_its_uid_between_fetches(app: Flask) -> None:
    # One person on call without a break since 2020: one segment, begun 2020-01-06 08:00 PST.
    ana = add_person(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    first_fetch = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    with session_scope(app) as session:
        program = load_program(session)
        before = uids(render_feed(session, program, first_fetch, None))
        after = uids(render_feed(session, program, first_fetch + timedelta(hours=1), None))
    assert after == before  # else a subscriber's calendar shows a new event at each fetch
    assert before == [f"tier1-user{ana.id}-20200106T160000Z@lead-hotline"]


def uids(feed: bytes) -> list[str]:
    """Return the UIDs of a feed's events."""
    return [str(event["uid"]) for event in Calendar.from_ical(feed).walk("VEVENT")]


def test_an_override_is_shown_as_one_in_the_feed(app: Flask) -> None:
    # Ana covers her own shift's last hours: without a word, two identical events in a row.
    ana = add_person(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    add_override(app, ana, 1, now + timedelta(days=1), now + timedelta(days=2))
    with session_scope(app) as session:
        feed = events(render_feed(session, load_program(session), now, None))
    assert [summary for _, _, summary, _ in feed] == [
        "LEAD on-call: Ana Diaz (tier 1)",
        "LEAD on-call: Ana Diaz (tier 1) — override",
        "LEAD on-call: Ana Diaz (tier 1)",
    ]


def test_the_feed_asks_calendar_apps_to_fetch_it_again_within_the_hour(app: Flask) -> None:
    # Else Outlook or Apple may keep a schedule a week old: a cover made tonight unseen.
    with session_scope(app) as session:
        calendar = Calendar.from_ical(render_feed(session, load_program(session), NOW, None))
    assert calendar.decoded("refresh-interval") <= timedelta(hours=1)
    assert vDuration.from_ical(str(calendar["x-published-ttl"])) <= timedelta(hours=1)


def test_a_persons_feed_is_named_for_them_beside_the_teams(app: Flask) -> None:
    # Subscribed side by side on one phone, two calendars both called "LEAD on-call" are a guess.
    ana = add_person(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    with session_scope(app) as session:
        program = load_program(session)
        team = Calendar.from_ical(render_feed(session, program, NOW, None))
        own = Calendar.from_ical(render_feed(session, program, NOW, ana.id))
    assert str(team["x-wr-calname"]) == "LEAD on-call"
    assert str(own["x-wr-calname"]) == "LEAD on-call: Ana Diaz"
