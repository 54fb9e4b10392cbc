"""Each person is texted once before each on-call segment of theirs, DST included."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from flask import Flask

from tests.factories import add_override, add_rotation, add_user
from tests.jobs.conftest import run, texts_to

# Daily 08:00 hand-offs in Los Angeles; 8 March 2026 springs forward, so 08:00 is 15:00 UTC.
HANDOFF = datetime(2026, 3, 8, 15, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_notice_is_sent_from_exactly_an_hour_before_the_shift(app: Flask) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana, ben, start=datetime(2026, 3, 7, 8), shift_hours=24)
    notice_from = HANDOFF - timedelta(minutes=60)
    assert run(app, "shift-notices", notice_from - MINUTE) == "0 shift notices"
    assert run(app, "shift-notices", notice_from) == "1 shift notices"
    assert texts_to(app, ben.phone) == [
        "You are LEAD on-call (tier 1) from Sun 03/08 08:00 to Mon 03/09 08:00."
    ]
    assert run(app, "shift-notices", notice_from) == "0 shift notices"  # same instant again
    assert run(app, "shift-notices", notice_from + MINUTE) == "0 shift notices"
    assert run(app, "shift-notices", HANDOFF) == "0 shift notices"  # started: too late, and told
    assert len(texts_to(app, ben.phone)) == 1


def test_the_notice_comes_as_many_minutes_ahead_as_the_setting_says(app: Flask) -> None:
    # SPEC §7 `shift-notices`: when a run finds a segment "starting within the next
    # HOTLINE_SHIFT_NOTICE_MINUTES (start - notice <= now < start)".
    app.config["HOTLINE_SHIFT_NOTICE_MINUTES"] = 15
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana, ben, start=datetime(2026, 3, 7, 8), shift_hours=24)
    notice_from = HANDOFF - timedelta(minutes=15)
    assert run(app, "shift-notices", notice_from - MINUTE) == "0 shift notices"
    assert run(app, "shift-notices", notice_from) == "1 shift notices"
    assert len(texts_to(app, ben.phone)) == 1


def test_fall_back_shift_uses_the_local_time(app: Flask) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana, ben, start=datetime(2026, 10, 31, 8), shift_hours=24)
    handoff = datetime(2026, 11, 1, 16, tzinfo=UTC)  # 08:00 PST, the day clocks fell back
    assert run(app, "shift-notices", handoff - timedelta(minutes=61)) == "0 shift notices"
    assert run(app, "shift-notices", handoff - timedelta(minutes=60)) == "1 shift notices"
    assert texts_to(app, ben.phone) == [
        "You are LEAD on-call (tier 1) from Sun 11/01 08:00 to Mon 11/02 08:00."
    ]


def test_override_made_later_still_gets_its_notice(app: Flask) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana)
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    run(app, "shift-notices", now)
    add_override(app, ben, 1, now + timedelta(minutes=30), now + timedelta(hours=4))
    assert run(app, "shift-notices", now + timedelta(minutes=1)) == "1 shift notices"
    assert texts_to(app, ben.phone)[0].startswith(
        "You are LEAD on-call (tier 1) from Fri 05/01 05:30 to Fri 05/01 09:00"
    )


def test_two_clocks_at_once_send_one_notice(app: Flask) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana, ben, start=datetime(2026, 3, 7, 8), shift_hours=24)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def clock() -> None:
        barrier.wait()
        results.append(run(app, "shift-notices", HANDOFF - timedelta(minutes=30)))

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["0 shift notices", "1 shift notices"]
    assert len(texts_to(app, ben.phone)) == 1


def test_a_shift_in_the_repeated_fall_back_hour_says_which_pass(app: Flask) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana)
    # 1 November 2026 falls back: 01:30 PDT is 08:30 UTC, and 01:30 PST an hour later.
    add_override(
        app,
        ben,
        1,
        datetime(2026, 11, 1, 8, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
    )
    assert run(app, "shift-notices", datetime(2026, 11, 1, 8, tzinfo=UTC)) == "1 shift notices"
    assert texts_to(app, ben.phone) == [
        "You are LEAD on-call (tier 1) from Sun 11/01 01:30 PDT to Sun 11/01 01:30 PST."
    ]
    assert run(app, "shift-notices", datetime(2026, 11, 1, 9, tzinfo=UTC)) == "1 shift notices"
    assert texts_to(app, ana.phone)[0].startswith(
        "You are LEAD on-call (tier 1) from Sun 11/01 01:30 PST "
    )


def test_a_segment_first_seen_as_it_starts_gets_no_notice(app: Flask) -> None:
    # SPEC §7: "start - notice <= now < start": a shift already under way is not announced.
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    add_rotation(app, 1, ana)
    start = datetime(2026, 5, 1, 12, tzinfo=UTC)
    add_override(app, ben, 1, start, start + timedelta(hours=4))
    assert run(app, "shift-notices", start) == "0 shift notices"
    assert run(app, "shift-notices", start - MINUTE) == "1 shift notices"  # a minute before: told
    assert len(texts_to(app, ben.phone)) == 1
