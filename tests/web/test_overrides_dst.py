"""An override typed across a DST change says, in words, what it saves (SPEC §3, §9)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from hotline.models import User
from tests.web.conftest import Web
from tests.web.test_overrides import override_form, saved

GAP_NOTE = (
    "02:30 does not exist on Sunday 14 March 2027 in America/Los_Angeles: "
    "clocks jump from 02:00 to 03:00."
)


def test_a_start_in_the_spring_forward_gap_is_saved_at_the_jump_and_said_so(
    app: Flask, as_supervisor: Web, supervisor: User, ben: User
) -> None:
    form = override_form(ben, "2027-03-14T02:30", "2027-03-14T04:00")
    answer = as_supervisor.post("/overrides", form)
    assert answer.status_code == 302
    page = as_supervisor.text("/overrides")
    assert GAP_NOTE in page
    assert "Saved 03:00–04:00 on Sunday 14 March 2027." in page
    assert saved(app) == [
        (
            ben.id,
            1,
            datetime(2027, 3, 14, 10, tzinfo=UTC),
            datetime(2027, 3, 14, 11, tzinfo=UTC),
            supervisor.id,
        )
    ]


def test_the_preview_says_it_before_saving(app: Flask, as_supervisor: Web, ben: User) -> None:
    form = override_form(ben, "2027-03-14T02:30", "2027-03-14T04:00", action="preview")
    page = as_supervisor.post("/overrides", form).get_data(as_text=True)
    assert GAP_NOTE in page and "Saved 03:00–04:00 on Sunday 14 March 2027." in page
    assert saved(app) == []


def test_a_span_inside_the_gap_is_refused_plainly(
    app: Flask, as_supervisor: Web, ben: User
) -> None:
    form = override_form(ben, "2027-03-14T02:10", "2027-03-14T02:50")
    answer = as_supervisor.post("/overrides", form)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert (
        "02:10–02:50 on Sunday 14 March 2027 does not exist in America/Los_Angeles: "
        "clocks jump from 02:00 to 03:00." in page
    )
    assert "The end must be after the start." not in page
    assert saved(app) == []


def test_a_repeated_fall_back_time_names_the_occurrence_used(
    app: Flask, as_supervisor: Web, ben: User
) -> None:
    form = override_form(ben, "2027-11-07T01:30", "2027-11-07T03:00")
    assert as_supervisor.post("/overrides", form).status_code == 302
    page = as_supervisor.text("/overrides")
    assert (
        "01:30 happens twice on Sunday 7 November 2027 in America/Los_Angeles "
        "(clocks go back from 02:00 to 01:00): the first, 01:30 PDT, is used." in page
    )
    assert saved(app)[0][2] == datetime(2027, 11, 7, 8, 30, tzinfo=UTC)


def test_plain_times_get_no_note(app: Flask, as_supervisor: Web, ben: User) -> None:
    form = override_form(ben, "2027-03-15T02:30", "2027-03-15T04:00")
    assert as_supervisor.post("/overrides", form).status_code == 302
    page = as_supervisor.text("/overrides")
    assert "does not exist" not in page and "Saved 0" not in page
