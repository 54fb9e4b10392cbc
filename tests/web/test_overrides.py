"""Overrides in the web app: "A covers for B", defaults, preview, list, delete (SPEC §9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Override, User
from hotline.rotation import final_schedule
from hotline.services.oncall import load_program
from tests.api.conftest import Api, token_for
from tests.factories import add_override, add_rotation, add_user
from tests.web.conftest import Web

ZONE = ZoneInfo("America/Los_Angeles")
NO_TIME = "Enter a date and a 24-hour time, e.g. 18:30."


def local_value(instant: datetime) -> str:
    """Return an instant as the form's datetime-local value in the program's zone."""
    return instant.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def field_value(page: str, field: str) -> str:
    """Return the value an input of the page holds (a date and a 24-hour time for start/end)."""
    if field in ("start", "end"):
        day = re.search(rf'id="{field}" name="{field}_date" type="date"[^>]* value="([^"]*)"', page)
        clock = re.search(rf'id="{field}-time" name="{field}_time"[^>]* value="([^"]*)"', page)
        assert day and clock, f"no {field} date and time inputs"
        return f"{day.group(1)}T{clock.group(1)}" if day.group(1) else ""
    match = re.search(rf'id="{field}" name="{field}"[^>]* value="([^"]*)"', page)
    assert match, f"no {field} input"
    return match.group(1)


def selected(page: str, field: str) -> str:
    """Return the value selected in a select of the page."""
    select_html = re.search(rf'<select id="{field}".*?</select>', page, re.S)
    assert select_html
    match = re.search(r'<option value="([^"]*)" selected>', select_html.group(0))
    return match.group(1) if match else ""


def saved(app: Flask) -> list[tuple[int, int, datetime, datetime, int | None]]:
    """Return every override as (user, tier, start, end, created_by)."""
    with session_scope(app) as session:
        rows = session.scalars(select(Override).order_by(Override.id))
        return [(o.user_id, o.tier, o.start, o.end, o.created_by) for o in rows]


def override_form(user: User | None, start: str, end: str, **fields: Any) -> dict[str, Any]:
    """Return the override form as a browser posts it: each time as a date and a 24-hour time."""
    start_day, _, start_clock = start.partition("T")
    end_day, _, end_clock = end.partition("T")
    form = {
        "user": str(user.id) if user else "",
        "for": "",
        "tier": "1",
        "start_date": start_day,
        "start_time": start_clock,
        "end_date": end_day,
        "end_time": end_clock,
        "action": "save",
    }
    form.update(fields)
    return form


class TestList:
    """Current and upcoming overrides, for everyone signed in; delete buttons for supervisors."""

    def test_lists_current_and_upcoming_but_not_past_overrides(
        self, app: Flask, as_coordinator: Web, ana: User, ben: User
    ) -> None:
        now = datetime.now(UTC)
        add_override(app, ana, 1, now - timedelta(days=2), now - timedelta(days=1))
        current = add_override(app, ben, 1, now - timedelta(hours=1), now + timedelta(hours=1))
        upcoming = add_override(app, ana, 2, now + timedelta(days=1), now + timedelta(days=2))
        page = as_coordinator.text("/overrides")
        rows = re.findall(r'<tr data-override="(\d+)"', page)
        assert rows == [str(current.id), str(upcoming.id)]
        assert "<strong>now</strong>" in page
        assert 'id="override-form"' not in page and "Delete" not in page

    def test_each_override_says_whom_it_covers_for(
        self, app: Flask, as_coordinator: Web, ana: User, ben: User
    ) -> None:
        add_rotation(app, 1, ana)  # Ana holds tier 1 all year
        now = datetime.now(UTC)
        add_override(app, ben, 1, now + timedelta(hours=1), now + timedelta(hours=3))
        add_override(app, ana, 2, now + timedelta(hours=1), now + timedelta(hours=3))
        page = as_coordinator.text("/overrides")
        covers = re.findall(r'class="covers-for">(.*?)</td>', page)
        assert covers == ["Ana Diaz", '<span class="gap-text">nobody (a gap)</span>']
        assert "Only supervisors add or delete overrides" in page

    def test_only_people_who_can_be_on_call_are_offered(
        self, app: Flask, as_supervisor: Web, ben: User
    ) -> None:
        """A case manager or prosecutor is on no tier: neither covers nor is covered for."""
        others = [
            add_user(app, "Cam Reed", "case_manager"),
            add_user(app, "Pia Ross", "prosecutor"),
        ]
        page = as_supervisor.text("/overrides")
        assert page.count(f'<option value="{ben.id}"') == 2  # who, and for whom
        for person in others:
            assert f'<option value="{person.id}"' not in page

    def test_needs_sign_in(self, client: FlaskClient) -> None:
        assert client.get("/overrides").headers["Location"].startswith("/login")


class TestDefaults:
    """Choosing B fills in B's next on-call shift from the final schedule."""

    def test_for_b_prefills_tier_and_times_with_bs_next_shift(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        add_rotation(app, 1, ana)
        now = datetime.now(UTC)
        # B's first shift starts tomorrow, so it is never the one in progress (clipped to now).
        tomorrow = now.astimezone(ZONE).date() + timedelta(days=1)
        add_rotation(app, 2, ben, ana, start=datetime(*tomorrow.timetuple()[:3], 8), shift_hours=24)
        with session_scope(app) as session:
            program = load_program(session)
        shift = next(
            s
            for s in final_schedule(program, 2, now, now + timedelta(days=28))
            if s.user_id == ben.id
        )
        page = as_supervisor.text(f"/overrides?for={ben.id}")
        assert selected(page, "for") == str(ben.id) and selected(page, "user") == ""
        assert field_value(page, "tier") == "2"
        assert field_value(page, "start") == local_value(shift.start)
        assert field_value(page, "end") == local_value(shift.end)
        button = as_supervisor.post(
            "/overrides", override_form(None, "", "", action="fill", tier="1", **{"for": ben.id})
        )
        filled = button.get_data(as_text=True)
        assert button.status_code == 200 and saved(app) == []
        assert field_value(filled, "start") == local_value(shift.start)
        assert field_value(filled, "tier") == "2"  # B holds no tier-1 shift: any tier then

    def test_without_b_the_form_starts_now_on_tier_one(self, as_supervisor: Web) -> None:
        page = as_supervisor.text("/overrides")
        start = datetime.strptime(field_value(page, "start"), "%Y-%m-%dT%H:%M")
        assert abs(start - datetime.now(ZONE).replace(tzinfo=None)) < timedelta(minutes=2)
        assert field_value(page, "tier") == "1" and field_value(page, "end") == ""

    def test_b_without_a_shift_is_said_so(self, as_supervisor: Web, ben: User) -> None:
        page = as_supervisor.text(f"/overrides?for={ben.id}")
        assert "Ben Okafor has no on-call shift in the next 28 days" in page


class TestPreview:
    """Before saving: the tier as it stands and with the override, clashes and cautions."""

    def test_preview_shows_the_gap_it_fills_and_saves_nothing(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        start = datetime.now(UTC) + timedelta(days=1)
        clash = add_override(app, ana, 1, start, start + timedelta(hours=1))
        form = override_form(
            ben,
            local_value(start),
            local_value(start + timedelta(hours=4)),
            action="preview",
            **{"for": ana.id},
        )
        answer = as_supervisor.post("/overrides", form)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200 and len(saved(app)) == 1
        before = page[page.index('id="before-heading"') : page.index('id="after-heading"')]
        after = page[page.index('id="after-heading"') :]
        assert 'class="bar gap"' in before and "Ben Okafor" not in before
        assert "Ben Okafor (override)" in after
        clashes = page[page.index('id="clashes"') : page.index("</ul>", page.index('id="clashes"'))]
        assert "Ana Diaz" in clashes and f"{clash.tier}" in clashes
        assert "Ana Diaz is not on call on tier 1" not in page  # she is, by her override

    def test_preview_warns_when_b_is_not_on_call_then(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        add_rotation(app, 1, ana)
        start = datetime.now(UTC) + timedelta(days=1)
        form = override_form(
            ana,
            local_value(start),
            local_value(start + timedelta(hours=2)),
            action="preview",
            **{"for": ben.id},
        )
        page = as_supervisor.post("/overrides", form).get_data(as_text=True)
        assert "Ben Okafor is not on call on tier 1 at any time in this span." in page
        assert "No other override on this tier overlaps it." in page

    def test_preview_warns_when_the_person_covering_is_already_on_call_throughout(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        # At 3 a.m. on a phone, "who covers" picked as the person to be covered for: Ana,
        # off sick, would stay on call, and the two timelines differ only by a label.
        add_rotation(app, 1, ana)
        form = override_form(
            ana, "2027-06-01T10:00", "2027-06-01T12:00", action="preview", **{"for": ana.id}
        )
        page = as_supervisor.post("/overrides", form).get_data(as_text=True)
        idle = "Ana Diaz is already on call on tier 1 throughout this span: nobody would change."
        assert idle in page
        form["user"] = str(ben.id)
        assert idle not in as_supervisor.post("/overrides", form).get_data(as_text=True)


class TestSave:
    """Saved with local times read in the program's zone; errors beside their fields."""

    def test_local_times_are_read_in_the_program_zone(
        self, app: Flask, as_supervisor: Web, supervisor: User, ben: User
    ) -> None:
        # 01:30 happens twice on 2030-11-03 in Los Angeles: the first is 08:30 UTC.
        form = override_form(
            ben,
            "2030-11-03T01:30",
            "2030-11-03T03:00",
            tier="2",
            start_pass="2030-11-03T01:30 first",
        )
        answer = as_supervisor.post("/overrides", form)
        assert answer.status_code == 302 and answer.headers["Location"] == "/overrides"
        assert saved(app) == [
            (
                ben.id,
                2,
                datetime(2030, 11, 3, 8, 30, tzinfo=UTC),
                datetime(2030, 11, 3, 11, 0, tzinfo=UTC),
                supervisor.id,
            )
        ]
        assert "Override saved: Ben Okafor covers tier 2" in as_supervisor.text("/overrides")

    def test_an_override_saved_wholly_in_the_past_says_it_changes_nothing(
        self, app: Flask, as_supervisor: Web, ben: User
    ) -> None:
        # 2025 typed for 2027, say, saved straight from the form without a preview.
        answer = as_supervisor.post(
            "/overrides", override_form(ben, "2025-01-10T08:00", "2025-01-10T20:00")
        )
        assert answer.status_code == 302 and len(saved(app)) == 1
        page = as_supervisor.text("/overrides")
        assert "This span is over: the override changes nothing from now on." in page

    def test_saved_override_is_who_the_dashboard_and_api_put_on_call(
        self, app: Flask, client: FlaskClient, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        add_rotation(app, 1, ana)
        now = datetime.now(UTC)
        form = override_form(
            ben, local_value(now - timedelta(minutes=5)), local_value(now + timedelta(hours=2))
        )
        assert as_supervisor.post("/overrides", form).status_code == 302
        dashboard = as_supervisor.text("/")
        row = re.search(r'<tr class="" data-tier="1">.*?</tr>', dashboard, re.S)
        assert row and "Ben Okafor" in row.group(0) and "(override)" in row.group(0)
        api = Api(client, token_for(app, ana.id))
        (tier,) = (api.get("/oncall").json or {})["tiers"]
        assert (tier["user"]["id"], tier["source"]) == (ben.id, "override")

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"user": ""}, "user", "Choose who covers."),
            ({"tier": "x"}, "tier", "Enter a whole number."),
            ({"tier": "\u00b2"}, "tier", "Enter a whole number."),  # a superscript two
            ({"tier": "--1"}, "tier", "Enter a whole number."),
            ({"tier": "0"}, "tier", "greater than or equal to 1"),
            (
                {"start_date": "", "start_time": ""},
                "start",
                "Enter a date and a 24-hour time, e.g. 18:30.",
            ),
            (
                {"end_date": "tomorrow", "end_time": ""},
                "end",
                "Enter a date and a 24-hour time, e.g. 18:30.",
            ),
            ({"end_time": "6:30 PM"}, "end", "Enter a date and a 24-hour time, e.g. 18:30."),
            ({"end": "2030-01-01T08:00"}, "end", "The end must be after the start."),
            ({"user": "999"}, "user", "no user with id 999"),
        ],
    )
    def test_errors_show_beside_their_field_and_nothing_is_saved(
        self,
        app: Flask,
        as_supervisor: Web,
        ben: User,
        changes: dict[str, str],
        field: str,
        message: str,
    ) -> None:
        form = {**override_form(ben, "2030-01-01T08:00", "2030-01-01T12:00"), **changes}
        answer = as_supervisor.post("/overrides", form)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422 and saved(app) == []
        error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
        assert error and message in error.group(1)
        assert re.search(rf'aria-describedby="[^"]*{field}-error"( aria-invalid="true")?', page)
        assert 'aria-invalid="true"' in page

    @pytest.mark.parametrize("typed", ["18.30", "18,30"])
    def test_a_time_typed_with_a_dot_or_comma_is_refused_not_saved_on_the_hour(
        self, app: Flask, as_supervisor: Web, ben: User, typed: str
    ) -> None:
        # A phone's number pad offers "." and ",", not ":"; "18.30" read as 18:00 plus a
        # fraction of a second, and the cover was saved from 18:00, half an hour early.
        form = override_form(ben, f"2027-06-01T{typed}", "2027-06-01T22:00")
        answer = as_supervisor.post("/overrides", form)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422 and saved(app) == []
        assert f'<p class="field-error" id="start-error">{NO_TIME}</p>' in page
        assert field_value(page, "start") == f"2027-06-01T{typed}"  # kept as typed


class TestRoleRules:
    """Only supervisors add or delete, with the CSRF token."""

    def test_coordinator_cannot_add_or_delete(
        self, app: Flask, as_coordinator: Web, ana: User
    ) -> None:
        now = datetime.now(UTC)
        existing = add_override(app, ana, 1, now, now + timedelta(hours=1))
        before = saved(app)
        form = override_form(ana, local_value(now), local_value(now + timedelta(hours=3)))
        assert as_coordinator.post("/overrides", form).status_code == 403
        assert as_coordinator.post("/overrides").status_code == 403
        assert as_coordinator.post(f"/overrides/{existing.id}/delete").status_code == 403
        assert saved(app) == before

    def test_post_without_csrf_token_is_400_and_changes_nothing(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        now = datetime.now(UTC)
        existing = add_override(app, ana, 1, now, now + timedelta(hours=1))
        before = saved(app)
        form = override_form(ana, local_value(now), local_value(now + timedelta(hours=3)))
        assert as_supervisor.client.post("/overrides", data=form).status_code == 400
        assert as_supervisor.client.post(f"/overrides/{existing.id}/delete").status_code == 400
        assert saved(app) == before

    def test_supervisor_deletes_an_override(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        now = datetime.now(UTC)
        existing = add_override(app, ana, 1, now, now + timedelta(hours=1))
        page = as_supervisor.text("/overrides")
        assert f'id="delete-override-{existing.id}"' in page
        answer = as_supervisor.post(f"/overrides/{existing.id}/delete")
        assert answer.status_code == 302 and saved(app) == []
        assert "Override deleted." in as_supervisor.text("/overrides")
        assert as_supervisor.post(f"/overrides/{existing.id}/delete").status_code == 404
        assert as_supervisor.post(f"/overrides/{2**40}/delete").status_code == 404
