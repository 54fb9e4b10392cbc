"""Times read as people say them: ages in words, a year on other years' dates, local zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask

from hotline.models import User
from hotline.web.timeline import age_words, local
from tests.factories import add_referral
from tests.web.conftest import Web

ZONE = ZoneInfo("America/Los_Angeles")


def test_ages_read_in_hours_and_days() -> None:
    assert age_words(timedelta(seconds=20)) == "under 1 min"
    assert age_words(timedelta(minutes=130)) == "2 h 10 min"
    assert age_words(timedelta(days=84, minutes=19)) == "84 days"  # not "121099 min"


def test_a_date_of_another_year_carries_its_year() -> None:
    instant = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 15:30 on Dec 31 in Los Angeles
    assert local(instant, ZONE, this_year=2026) == "Wed 12/31/2025 15:30"
    assert local(instant, ZONE, this_year=2025) == "Wed 12/31 15:30"


def test_referral_list_speaks_in_words_and_years(app: Flask, as_coordinator: Web) -> None:
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=400)
    add_referral(app, status="notified", created_at=long_ago)
    add_referral(app, status="notified", created_at=now - timedelta(minutes=130))
    page = as_coordinator.text("/referrals")
    assert f"{long_ago.astimezone(ZONE):%m/%d/%Y}" in page
    assert "(waiting 400 days)" in page
    assert "(waiting 2 h 10 min)" in page or "(waiting 2 h 11 min)" in page


def test_a_later_web_language_says_ages_in_its_own_words(
    app: Flask,
    coordinator: User,
    as_coordinator: Web,
    spanish_pages: Callable[[User, dict[str, str]], None],
) -> None:
    now = datetime.now(UTC)
    add_referral(app, status="notified", created_at=now - timedelta(days=3, hours=1))
    add_referral(app, status="notified", created_at=now - timedelta(minutes=130))
    spanish_pages(coordinator, {"{n} days": "{n} días", "{hours} h {n} min": "{hours} h y {n} min"})
    page = as_coordinator.text("/referrals")
    assert "3 días" in page and "3 days" not in page
    assert "2 h y 10 min" in page or "2 h y 11 min" in page
