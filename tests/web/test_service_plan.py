"""The service plan on the participant page: each entry's dates in words (SPEC §6)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask

from hotline.db import session_scope
from hotline.models import PlanEntry, Provider
from tests.web.test_participants import add_participant, signed_in


def plan_cells(page: str) -> list[str]:
    """Return the text of each Status cell of the plan table."""
    table = page.split('<table class="stack plan">')[1].split("</table>")[0]
    cells = re.findall(r'<td data-label="Status">(.*?)</td>', table, re.S)
    return [" ".join(re.sub(r"<form.*?</form>", "", cell, flags=re.S).split()) for cell in cells]


class TestPlanDates:
    """An entry says when it started and, once over, when it ended."""

    def test_a_completed_or_stopped_entry_says_when_it_ended_not_only_when_it_started(
        self, app: Flask
    ) -> None:
        web, user = signed_in(app, "Cam Reed", "case_manager")
        number = add_participant(app, "Jane Doe", user)
        today = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles")).date()
        began, ended, soon = today - timedelta(days=40), today - timedelta(days=3), today
        with session_scope(app) as session:
            at = datetime.now(UTC)
            for need, status, start, end in [
                ("housing", "completed", began, ended),
                ("food", "stopped", None, ended),
                ("medical", "planned", soon + timedelta(days=7), None),
            ]:
                session.add(
                    PlanEntry(
                        participant_id=number,
                        need=need,
                        status=status,
                        started_on=start,
                        ended_on=end,
                        created_at=at,
                        updated_at=at,
                    )
                )
        cells = plan_cells(web.text(f"/participants/{number}"))
        assert f"completed (started {began}, ended {ended})" in cells
        assert f"stopped (ended {ended})" in cells
        assert f"planned (to start {soon + timedelta(days=7)})" in cells


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
