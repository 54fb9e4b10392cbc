"""The service plan on the participant page: each entry's dates in words (SPEC §6)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask

from hotline.db import session_scope
from hotline.models import Consent, PlanEntry, Provider, User
from tests.api.conftest import Api, token_for
from tests.web.test_form_once import hidden_fields
from tests.web.test_participants import add_participant, signed_in


def plan_cells(page: str) -> list[str]:
    """Return the text of each Status cell of the plan table."""
    table = page.split('<table class="stack plan">')[1].split("</table>")[0]
    cells = re.findall(r'<td data-label="Status">(.*?)</td>', table, re.S)
    return [" ".join(re.sub(r"<form.*?</form>", "", cell, flags=re.S).split()) for cell in cells]


def api_providers(app: Flask, user: User) -> list[dict[str, object]]:
    """Return the directory as `GET /api/v1/providers` lists it."""
    answer = Api(app.test_client(), token_for(app, user.id)).get("/providers")
    assert answer.status_code == 200
    return list(answer.json["items"])


def stored_entry(
    app: Flask, participant_id: int, need: str, status: str, start: date | None, end: date | None
) -> int:
    """Store a plan entry as the API may leave it; return its id."""
    with session_scope(app) as session:
        at = datetime.now(UTC)
        entry = PlanEntry(
            participant_id=participant_id,
            need=need,
            status=status,
            started_on=start,
            ended_on=end,
            created_at=at,
            updated_at=at,
        )
        session.add(entry)
        session.flush()
        return entry.id


class TestPlanDates:
    """An entry says when it started and, once over, when it ended."""

    def test_a_completed_or_stopped_entry_says_when_it_ended_not_only_when_it_started(
        self, app: Flask
    ) -> None:
        web, user = signed_in(app, "Cam Reed", "case_manager")
        number = add_participant(app, "Jane Doe", user)
        today = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles")).date()
        began, ended, soon = today - timedelta(days=40), today - timedelta(days=3), today
        for need, status, start, end in [
            ("housing", "completed", began, ended),
            ("food", "stopped", None, ended),
            ("medical", "planned", soon + timedelta(days=7), None),
            ("documents", "started", began, soon + timedelta(days=9)),
        ]:
            stored_entry(app, number, need, status, start, end)
        cells = plan_cells(web.text(f"/participants/{number}"))
        assert f"completed (started {began}, ended {ended})" in cells
        assert f"stopped (ended {ended})" in cells
        assert f"planned (to start {soon + timedelta(days=7)})" in cells
        # An end the plan expects, on an entry still going on, is not a day it ended.
        assert f"started (since {began}, to end {soon + timedelta(days=9)})" in cells


class TestProviders:
    """An entry's provider is named as the directory has it now."""

    def test_an_entry_whose_provider_closed_says_the_provider_is_inactive(self, app: Flask) -> None:
        # The directory says "(inactive)"; the plan, where a case manager looks for whom to
        # call, named the closed provider as if it still took people.
        web, user = signed_in(app, "Cam Reed", "case_manager")
        number = add_participant(app, "Jane Doe", user)
        with session_scope(app) as session:
            shelter = Provider(name="Old Shelter", needs=["housing"], created_at=datetime.now(UTC))
            session.add(shelter)
            session.flush()
            provider_id = shelter.id
        assert (
            web.post(
                f"/participants/{number}/plan", {"need": "housing", "provider_id": provider_id}
            ).status_code
            == 302
        )
        with session_scope(app) as session:
            session.get_one(Provider, provider_id).active = False
        page = web.text(f"/participants/{number}")
        table = page.split('<table class="stack plan">')[1].split("</table>")[0]
        cells = re.findall(r'<td data-label="Provider">(.*?)</td>', table, re.S)
        assert [" ".join(cell.split()) for cell in cells] == ["Old Shelter (inactive)"]


class TestMarkCompleted:
    """ "Mark completed" says the entry ended today."""

    def test_an_entry_expected_to_end_later_ends_today_when_marked_completed(
        self, app: Flask
    ) -> None:
        # The end the plan expected, set through the API, stayed: the entry then read
        # "completed (started …, ended <a day to come>)" on the day it was completed.
        web, user = signed_in(app, "Cam Reed", "case_manager")
        number = add_participant(app, "Jane Doe", user)
        today = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles")).date()
        began, expected = today - timedelta(days=10), today + timedelta(days=14)
        entry_id = stored_entry(app, number, "housing", "started", began, expected)
        answer = web.post(f"/participants/{number}/plan/{entry_id}", {"status": "completed"})
        assert answer.status_code == 302
        page = web.text(f"/participants/{number}")
        assert f"its end date, {expected}, was still to come: it is today now" in page
        assert f"completed (started {began}, ended {today})" in plan_cells(page)
        with session_scope(app) as session:
            row = session.get_one(PlanEntry, entry_id)
            assert (row.status, row.started_on, row.ended_on) == ("completed", began, today)

    def test_an_entry_expected_to_start_and_end_later_is_both_today_when_marked_completed(
        self, app: Flask
    ) -> None:
        web, user = signed_in(app, "Cam Reed", "case_manager")
        number = add_participant(app, "Jane Doe", user)
        today = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles")).date()
        start, end = today + timedelta(days=2), today + timedelta(days=30)
        entry_id = stored_entry(app, number, "food", "started", start, end)
        answer = web.post(f"/participants/{number}/plan/{entry_id}", {"status": "completed"})
        assert answer.status_code == 302
        page = web.text(f"/participants/{number}")
        said = f"its start date, {start}, and its end date, {end}, were still to come"
        assert said in page
        assert f"completed (started {today}, ended {today})" in plan_cells(page)


class TestDirectoryOrder:
    """The directory and the plan's choice of provider are in name order, whatever the case."""

    def test_a_name_starting_in_lower_case_is_in_its_place(self, app: Flask) -> None:
        # By the letters' codes (SQLite's order) "iCare Clinic" came after "Zeta".
        web, user = signed_in(app, "Cam Reed", "case_manager")
        number = add_participant(app, "Jane Doe", user)
        for name in ("Zeta", "iCare Clinic", "Evergreen"):
            assert web.post("/providers", {"name": name, "needs": "housing"}).status_code == 302
        # Each name links to its edit page for those who keep the directory.
        cells = r'<td data-label="Provider"><a href="/providers/\d+">([^<]*)</a>'
        listed = re.findall(cells, web.text("/providers"))
        assert listed == ["Evergreen", "iCare Clinic", "Zeta"]
        page = web.text(f"/participants/{number}")
        choice = page.split('<select id="provider_id"')[1].split("</select>")[0]
        assert re.findall(r'<option value="\d+">([^<]*)</option>', choice) == listed
        assert [p["name"] for p in api_providers(app, user)] == listed


def test_each_revoke_and_mark_button_says_which_consent_or_need_it_changes(app: Flask) -> None:
    # A screen reader's list of buttons read "Revoke, Revoke, Mark started, Mark started".
    web, user = signed_in(app, "Cam Reed", "case_manager")
    number = add_participant(app, "Jane Doe", user)
    with session_scope(app) as session:
        at = datetime.now(UTC)
        session.add_all(
            Consent(participant_id=number, scope=scope, given_at=at)
            for scope in ("officer_status", "prosecutor")
        )
    stored_entry(app, number, "housing", "planned", None, None)
    stored_entry(app, number, "documents", "started", None, None)
    page = web.text(f"/participants/{number}")
    names = re.findall(r'<button type="submit" class="secondary" aria-label="([^"]+)">', page)
    assert names == [
        "Revoke consent: officer status",  # the visible word first, as speech input says it
        "Revoke consent: prosecutor",
        "Mark started: housing",
        "Mark completed: documents",
    ]


def test_a_phone_retry_of_mark_started_says_it_was_sent_not_that_someone_else_moved_it(
    app: Flask,
) -> None:
    web, user = signed_in(app, "Cam Reed", "case_manager")
    number = add_participant(app, "Jane Doe", user)
    entry = stored_entry(app, number, "housing", "planned", None, None)
    path = f"/participants/{number}/plan/{entry}"
    button = hidden_fields(web.text(f"/participants/{number}"), path)
    assert web.post(path, button).status_code == 302
    # The first answer was lost on a weak connection: the phone sends the button again.
    again = web.post(path, button)
    assert again.status_code == 302
    page = web.text(again.headers["Location"])
    assert "sent already" in page and "someone changed it" not in page
    with session_scope(app) as session:
        assert session.get_one(PlanEntry, entry).status == "started"
