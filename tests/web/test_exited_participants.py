"""Exited participants are found on the web: linked from the list, with the day they left."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask

from hotline.db import session_scope
from hotline.models import Consent, Participant
from tests.factories import add_user
from tests.web.conftest import Web
from tests.web.test_participants import add_participant, signed_in


def exited(app: Flask, name: str, days_ago: int = 40) -> int:
    """Add a participant by hand, no referral, who left the program `days_ago` days ago."""
    number = add_participant(app, name)
    with session_scope(app) as session:
        row = session.get_one(Participant, number)
        row.status, row.exited_at = "exited", datetime.now(UTC) - timedelta(days=days_ago)
    return number


def exited_section(page: str) -> str:
    return page.split('id="exited-heading"')[1].split("</table>")[0]


class TestFindingSomeoneWhoLeft:
    """Whoever works participants reaches an exited one's page from the list, to record re-entry."""

    def test_the_list_links_to_the_exited_with_their_count(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        add_participant(app, "Ann Active")
        exited(app, "Jo Gone")
        exited(app, "Kim Left")
        page = as_coordinator.text("/participants")
        assert "Jo Gone" not in page
        link = re.search(r'<a href="([^"]+)">Exited participants \((\d+)\)</a>', page)
        assert link is not None and link.group(1) == "/participants?status=exited"
        assert link.group(2) == "2"

    def test_the_exited_list_names_them_with_the_day_they_left_and_links_their_page(
        self, app: Flask
    ) -> None:
        web, _ = signed_in(app, "Cam Reed", "case_manager")
        add_participant(app, "Ann Active")
        number = exited(app, "Jo Gone", days_ago=40)
        page = web.text("/participants?status=exited")
        section = exited_section(page)
        assert f'href="/participants/{number}">Jo Gone</a>' in section
        zone = ZoneInfo(app.config["HOTLINE_TIMEZONE"])
        left = (datetime.now(UTC) - timedelta(days=40)).astimezone(zone).date().isoformat()
        assert left in section
        assert "Ann Active" not in section
        assert 'href="/participants">' in page  # the way back to everyone active

    def test_nobody_exited_says_so(self, as_coordinator: Web) -> None:
        page = as_coordinator.text("/participants?status=exited")
        assert "Nobody has exited." in exited_section(page)
        assert "Exited participants (0)" in as_coordinator.text("/participants")

    def test_a_prosecutor_sees_only_their_view_whatever_the_address(self, app: Flask) -> None:
        manager = add_user(app, "Cam Reed", "case_manager")
        gone = exited(app, "Jo Gone")
        with session_scope(app) as session:
            session.get_one(Participant, gone).case_manager_id = manager.id
            session.add(
                Consent(participant_id=gone, scope="prosecutor", given_at=datetime.now(UTC))
            )
        web, _ = signed_in(app, "Pru Vance", "prosecutor")
        for path in ("/participants", "/participants?status=exited"):
            page = web.text(path)
            assert "Jo Gone" not in page and "Exited participants" not in page
        assert web.get(f"/participants/{gone}").status_code == 404
