"""Ages in plain words, as the dashboard shows how long a referral has waited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.web.timeline import age_words


@pytest.mark.parametrize(
    ("age", "words"),
    [
        (timedelta(seconds=20), "under 1 min"),
        (timedelta(seconds=-5), "under 1 min"),  # a clock a little ahead is not a negative age
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=45, seconds=59), "45 min"),
        (timedelta(minutes=60), "1 h"),
        (timedelta(hours=2, minutes=10), "2 h 10 min"),
        (timedelta(hours=23, minutes=59), "23 h 59 min"),
        (timedelta(hours=24), "1 day"),
        (timedelta(days=3, hours=23), "3 days"),
    ],
)
def test_age_reads_in_minutes_hours_or_days(age: timedelta, words: str) -> None:
    assert age_words(age) == words
