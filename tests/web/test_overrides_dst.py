"""An override typed across a DST change says, in words, what it saves (SPEC §3, §9)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from hotline.db import session_scope
from hotline.models import User
from hotline.schemas.oncall import OverrideIn
from hotline.services.oncall import load_program
from hotline.web.override_form import OverrideForm
from tests.factories import add_override, add_rotation
from tests.web.conftest import Web
from tests.web.test_overrides import override_form, saved

LOS_ANGELES = ZoneInfo("America/Los_Angeles")

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


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("02:10", "02:50"),
        # The hour the clocks skip itself: both ends are the jump's instant, and "The end
        # must be after the start" contradicted what the supervisor typed.
        ("02:00", "03:00"),
    ],
)
def test_a_span_inside_the_gap_is_refused_plainly(
    app: Flask, as_supervisor: Web, ben: User, start: str, end: str
) -> None:
    form = override_form(ben, f"2027-03-14T{start}", f"2027-03-14T{end}")
    answer = as_supervisor.post("/overrides", form)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert (
        f"{start}–{end} on Sunday 14 March 2027 does not exist in America/Los_Angeles: "
        "clocks jump from 02:00 to 03:00." in page
    )
    assert "The end must be after the start." not in page
    assert saved(app) == []


TWICE = (
    "01:30 happens twice on Sunday 7 November 2027 in America/Los_Angeles "
    "(clocks go back from 02:00 to 01:00)"
)


def pass_choices(page: str, name: str) -> dict[str, bool]:
    """Return the radio buttons of a time's pass: value → checked."""
    found = re.findall(rf'<input type="radio" name="{name}_pass" value="([^"]+)"( checked)?>', page)
    return {value: bool(checked) for value, checked in found}


def test_a_repeated_fall_back_time_is_saved_only_once_its_pass_is_chosen(
    app: Flask, as_supervisor: Web, ben: User
) -> None:
    form = override_form(ben, "2027-11-07T01:30", "2027-11-07T03:00")
    answer = as_supervisor.post("/overrides", form)
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422 and saved(app) == []
    assert f'id="start-error">{TWICE}: choose which.</p>' in page
    assert pass_choices(page, "start") == {
        "2027-11-07T01:30 first": False,
        "2027-11-07T01:30 second": False,
    }
    assert "01:30 PDT, the first (before clocks go back)" in page
    assert "01:30 PST, the second (after clocks go back)" in page
    assert pass_choices(page, "end") == {}  # 03:00 happens once
    chosen = {**form, "start_pass": "2027-11-07T01:30 second"}
    assert as_supervisor.post("/overrides", chosen).status_code == 302
    assert f"{TWICE}: the second, 01:30 PST, is used." in as_supervisor.text("/overrides")
    assert saved(app)[0][2] == datetime(2027, 11, 7, 9, 30, tzinfo=UTC)


def test_the_first_pass_chosen_is_saved_and_said(app: Flask, as_supervisor: Web, ben: User) -> None:
    form = override_form(ben, "2027-11-07T01:30", "2027-11-07T03:00")
    form["start_pass"] = "2027-11-07T01:30 first"
    assert as_supervisor.post("/overrides", form).status_code == 302
    assert f"{TWICE}: the first, 01:30 PDT, is used." in as_supervisor.text("/overrides")
    assert saved(app)[0][2] == datetime(2027, 11, 7, 8, 30, tzinfo=UTC)


def test_the_preview_of_a_repeated_time_asks_which_and_keeps_the_choice(
    as_supervisor: Web, ben: User
) -> None:
    form = override_form(ben, "2027-11-07T01:30", "2027-11-07T03:00", action="preview")
    page = html.unescape(as_supervisor.post("/overrides", form).get_data(as_text=True))
    assert f"{TWICE}: choose which before saving (this preview shows the first)." in page
    form["start_pass"] = "2027-11-07T01:30 second"
    page = html.unescape(as_supervisor.post("/overrides", form).get_data(as_text=True))
    assert pass_choices(page, "start")["2027-11-07T01:30 second"] is True
    assert f"{TWICE}: the second, 01:30 PST, is used." in page


def test_plain_times_get_no_note(app: Flask, as_supervisor: Web, ben: User) -> None:
    form = override_form(ben, "2027-03-15T02:30", "2027-03-15T04:00")
    assert as_supervisor.post("/overrides", form).status_code == 302
    page = as_supervisor.text("/overrides")
    assert "does not exist" not in page and "Saved 0" not in page


def test_covering_a_shift_that_ends_in_the_second_pass_of_the_repeated_hour_saves_it_as_it_is(
    app: Flask, ana: User, ben: User, cy: User
) -> None:
    # Ben is on call from Saturday 20:00 PDT; Ana's override (made by instants, as the API
    # allows) takes over at 09:30 UTC, the second 01:30 of Sunday 1 November 2026 (PST).
    add_rotation(app, 1, ben, start=datetime(2026, 10, 31, 20))
    add_override(
        app, ana, 1, datetime(2026, 11, 1, 9, 30, tzinfo=UTC), datetime(2026, 11, 1, 20, tzinfo=UTC)
    )
    with session_scope(app) as session:
        program = load_program(session)
    form = OverrideForm(user=str(cy.id), for_user=str(ben.id))  # "Cy covers for Ben"
    assert form.fill_from_shift(program, datetime(2026, 10, 31, 12, tzinfo=UTC), LOS_ANGELES)
    assert (form.start, form.end) == ("2026-10-31T20:00", "2026-11-01T01:30")
    checked = form.check(LOS_ANGELES)
    assert isinstance(checked, OverrideIn)
    assert checked.start.astimezone(UTC) == datetime(2026, 11, 1, 3, tzinfo=UTC)
    # Not 08:30 UTC, the first 01:30 (PDT): that would leave Ben on call for the last hour.
    assert checked.end.astimezone(UTC) == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert any("the second, 01:30 PST, is used" in note for note in form.dst_notes(LOS_ANGELES))


def test_the_second_pass_a_filled_form_carries_is_saved_and_said(
    app: Flask, as_supervisor: Web, ben: User
) -> None:
    form = override_form(
        ben, "2027-11-06T20:00", "2027-11-07T01:30", end_pass="2027-11-07T01:30 second"
    )
    assert as_supervisor.post("/overrides", form).status_code == 302
    assert saved(app)[0][2:4] == (
        datetime(2027, 11, 7, 3, tzinfo=UTC),
        datetime(2027, 11, 7, 9, 30, tzinfo=UTC),
    )
    assert "the second, 01:30 PST, is used." in as_supervisor.text("/overrides")


def test_the_pass_is_kept_only_for_the_time_it_was_chosen_for(
    app: Flask, as_supervisor: Web, ben: User
) -> None:
    # The supervisor changed the end to 01:45 after the form was filled: which 01:45 is unsaid.
    form = override_form(
        ben, "2027-11-06T20:00", "2027-11-07T01:45", end_pass="2027-11-07T01:30 second"
    )
    page = html.unescape(as_supervisor.post("/overrides", form).get_data(as_text=True))
    assert "01:45 happens twice" in page and saved(app) == []
    assert pass_choices(page, "end") == {
        "2027-11-07T01:45 first": False,
        "2027-11-07T01:45 second": False,
    }
    form["end_time"] = "03:00"  # out of the repeated hour: nothing to choose
    assert as_supervisor.post("/overrides", form).status_code == 302
    assert saved(app)[0][3] == datetime(2027, 11, 7, 11, tzinfo=UTC)


def test_a_previewed_form_keeps_the_second_pass_for_the_save(as_supervisor: Web, ben: User) -> None:
    form = override_form(
        ben,
        "2027-11-06T20:00",
        "2027-11-07T01:30",
        end_pass="2027-11-07T01:30 second",
        action="preview",
    )
    page = as_supervisor.post("/overrides", form).get_data(as_text=True)
    assert pass_choices(page, "end") == {
        "2027-11-07T01:30 first": False,
        "2027-11-07T01:30 second": True,
    }
    assert pass_choices(page, "start") == {}


def test_find_cover_on_the_schedule_covers_a_shift_ending_in_the_second_pass(
    app: Flask, as_supervisor: Web, ana: User, ben: User, cy: User
) -> None:
    # Ben from Saturday 20:00 PDT; Ana takes over at the second 01:30 of the repeated hour.
    add_rotation(app, 1, ben, start=datetime(2027, 11, 6, 20))
    second_0130 = datetime(2027, 11, 7, 9, 30, tzinfo=UTC)
    add_override(app, ana, 1, second_0130, datetime(2027, 11, 7, 20, tzinfo=UTC))
    page = as_supervisor.text("/schedule?days=7&from=2027-11-06")
    links = [
        unquote_plus(html.unescape(h)) for h in re.findall(r'href="(/overrides\?[^"]+)"', page)
    ]
    bens = [href for href in links if f"for={ben.id}" in href and "end=2027-11-07T01:30" in href]
    assert len(bens) == 2  # the calendar's bar and the list's line
    assert all("end_pass=2027-11-07T01:30 second" in href for href in bens), bens
    cover = as_supervisor.text(bens[0])
    checked = [value for value, on in pass_choices(cover, "end").items() if on]
    form = override_form(
        cy, "2027-11-06T20:00", "2027-11-07T01:30", end_pass=checked[0], **{"for": str(ben.id)}
    )
    assert as_supervisor.post("/overrides", form).status_code == 302
    [end] = [row[3] for row in saved(app) if row[0] == cy.id]
    assert end.replace(tzinfo=UTC) == second_0130, "Ben would stay on call for the last hour"


def test_the_overrides_list_tells_the_two_passes_of_the_repeated_hour_apart(
    app: Flask, as_supervisor: Web, ben: User
) -> None:
    start = datetime(2027, 11, 7, 8, tzinfo=UTC)  # 01:00 PDT, then 01:00 PST an hour later
    override = add_override(app, ben, 1, start, datetime(2027, 11, 7, 9, tzinfo=UTC))
    page = as_supervisor.text("/overrides")
    row = page.split(f'data-override="{override.id}"')[1].split("</tr>")[0]
    cells = re.findall(r'<td data-label="(?:From|To)">([^<]*)</td>', row)
    assert cells == ["Sun 11/07/2027 01:00 PDT", "Sun 11/07/2027 01:00 PST"]


def test_a_spanish_supervisor_reads_the_dst_notes_in_spanish(
    app: Flask,
    as_supervisor: Web,
    supervisor: User,
    ben: User,
    spanish_pages: Callable[[User, dict[str, str]], None],
) -> None:
    spanish_pages(
        supervisor,
        {
            "{reading} happens twice on {day} in {zone} (clocks go back from {back_from} to "
            "{back_to})": "{reading} ocurre dos veces el {day} en {zone}",
            "{twice}: choose which.": "{twice}: elija cuál.",
            "{twice}: the second, {reading} {abbreviation}, is used.": (
                "{twice}: se usa la segunda."
            ),
            "Saved {start}–{end} on {day}.": "Guardado de {start} a {end} el {day}.",
            "{start}–{end} on {day} does not exist in {zone}: clocks jump from {jump_from} to "
            "{jump_to}. Choose times outside the jump (e.g. from {jump_to}).": "{start}–{end} no "
            "existe el {day}.",
        },
    )
    twice = "01:30 ocurre dos veces el Sunday 7 November 2027 en America/Los_Angeles"
    form = override_form(ben, "2027-11-07T01:30", "2027-11-07T03:00")
    page = html.unescape(as_supervisor.post("/overrides", form).get_data(as_text=True))
    assert f'id="start-error">{twice}: elija cuál.</p>' in page
    chosen = {**form, "start_pass": "2027-11-07T01:30 second", "action": "preview"}
    page = html.unescape(as_supervisor.post("/overrides", chosen).get_data(as_text=True))
    assert f"{twice}: se usa la segunda." in page
    assert "Guardado de 01:30 a 03:00 el Sunday 7 November 2027." in page
    gap = override_form(ben, "2027-03-14T02:00", "2027-03-14T03:00")
    page = html.unescape(as_supervisor.post("/overrides", gap).get_data(as_text=True))
    assert "02:00–03:00 no existe el Sunday 14 March 2027." in page


def cover_the_repeated_hour(as_supervisor: Web, ben: User, day: str, reading: str) -> str:
    """Post "Ben covers from the first pass of the repeated hour to its second"; return the page."""
    form = override_form(
        ben,
        f"{day}T{reading}",
        f"{day}T{reading}",
        start_pass=f"{day}T{reading} first",
        end_pass=f"{day}T{reading} second",
    )
    preview = as_supervisor.post("/overrides", {**form, "action": "preview"})
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert as_supervisor.post("/overrides", form).status_code == 302
    return as_supervisor.text("/overrides")


def test_an_override_from_one_pass_of_the_repeated_hour_to_the_other_is_saved(
    app: Flask, as_supervisor: Web, ben: User
) -> None:
    # 01:00 PDT to 01:00 PST is an hour; held in one zone the two compared as the same
    # reading, and the save was refused with "end must be after start".
    page = cover_the_repeated_hour(as_supervisor, ben, "2027-11-07", "01:00")
    assert saved(app)[0][2:4] == (
        datetime(2027, 11, 7, 8, tzinfo=UTC),
        datetime(2027, 11, 7, 9, tzinfo=UTC),
    )
    assert "Sun 11/07/2027 01:00 PDT" in page and "Sun 11/07/2027 01:00 PST" in page


class TestInSydney:
    """The southern hemisphere's fall-back: 03:00 AEDT back to 02:00 AEST on 4 April 2027."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "HOTLINE_TIMEZONE": "Australia/Sydney"}

    def test_an_override_ending_in_the_second_pass_after_a_later_first_pass_start_is_saved(
        self, app: Flask, as_supervisor: Web, ben: User
    ) -> None:
        # 02:45 AEDT to 02:15 AEST is half an hour: the end's reading is earlier, its instant later.
        form = override_form(
            ben,
            "2027-04-04T02:45",
            "2027-04-04T02:15",
            start_pass="2027-04-04T02:45 first",
            end_pass="2027-04-04T02:15 second",
        )
        assert as_supervisor.post("/overrides", form).status_code == 302
        assert saved(app)[0][2:4] == (
            datetime(2027, 4, 3, 15, 45, tzinfo=UTC),
            datetime(2027, 4, 3, 16, 15, tzinfo=UTC),
        )

    def test_the_repeated_hour_is_covered_from_its_first_pass_to_its_second(
        self, app: Flask, as_supervisor: Web, ben: User
    ) -> None:
        cover_the_repeated_hour(as_supervisor, ben, "2027-04-04", "02:00")
        assert saved(app)[0][2:4] == (
            datetime(2027, 4, 3, 15, tzinfo=UTC),
            datetime(2027, 4, 3, 16, tzinfo=UTC),
        )
