"""Case managers and prosecutors in the web app: each page asks what the role may do."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.factories import add_referral, add_user
from tests.web.conftest import PASSWORD, Web


@pytest.fixture
def as_case_manager(app: Flask) -> Web:
    web = Web(app.test_client())
    assert (
        web.login(add_user(app, "Cam Reed", "case_manager", password=PASSWORD)).status_code == 302
    )
    return web


@pytest.fixture
def as_prosecutor(app: Flask) -> Web:
    web = Web(app.test_client())
    assert web.login(add_user(app, "Pru Vance", "prosecutor", password=PASSWORD)).status_code == 302
    return web


class TestProsecutor:
    """A prosecutor never opens a referral, and the dashboard shows none."""

    def test_referral_pages_are_refused(self, app: Flask, as_prosecutor: Web) -> None:
        number = add_referral(app, participant_name="Jane Doe")
        for path in ("/referrals", f"/referrals/{number}", f"/referrals/{number}/assessment"):
            assert as_prosecutor.get(path).status_code == 403, path
        answer = as_prosecutor.post(f"/referrals/{number}/actions", {"action": "ack"})
        assert answer.status_code == 403

    def test_the_simulator_and_its_texts_are_refused_even_in_development(
        self, app: Flask, as_prosecutor: Web
    ) -> None:
        assert app.config["HOTLINE_SIMULATOR"] is True
        for path in ("/simulator", "/simulator?officer=%2B12065550177"):
            assert as_prosecutor.get(path).status_code == 403, path
        assert as_prosecutor.post("/simulator/text", {"body": "HELP"}).status_code == 403
        assert ">Simulator<" not in as_prosecutor.text("/participants")

    def test_home_is_the_status_only_view_and_the_menu_has_no_referral_link(
        self, app: Flask, as_prosecutor: Web
    ) -> None:
        add_referral(app, "notified", participant_name="Jane Doe")
        home = as_prosecutor.get("/")
        assert home.status_code == 302 and home.headers["Location"].endswith("/participants")
        page = as_prosecutor.text("/participants")
        assert "LEAD participants" in page
        assert "Nobody has taken these" not in page and "Jane Doe" not in page
        assert 'href="/referrals"' not in page
        assert "(prosecutor)" in page


class TestCaseManager:
    """A case manager reads referrals but takes, completes and assesses none."""

    def test_reads_a_referral_without_any_action(self, app: Flask, as_case_manager: Web) -> None:
        number = add_referral(app, "notified")
        page = as_case_manager.text(f"/referrals/{number}")
        assert "Jane Doe" in page
        assert 'id="action-ack"' not in page and 'id="save-completion"' not in page
        assert "(case manager)" in page

    def test_an_open_referral_is_not_called_closed_nor_offered_a_note_it_would_refuse(
        self, app: Flask, as_case_manager: Web
    ) -> None:
        number = add_referral(app, "notified")
        page = as_case_manager.text(f"/referrals/{number}")
        assert "This referral is closed" not in page
        assert 'id="action-note"' not in page and 'id="note-text"' not in page
        assert "Only coordinators and supervisors act on referrals" in page

    def test_posting_an_action_or_an_assessment_is_refused(
        self, app: Flask, as_case_manager: Web
    ) -> None:
        number = add_referral(app, "notified")
        assert (
            as_case_manager.post(f"/referrals/{number}/actions", {"action": "ack"}).status_code
            == 403
        )
        assessment = as_case_manager.post(
            f"/referrals/{number}/assessment", {"disposition": "accepted"}
        )
        assert assessment.status_code == 403
        assert "Jane Doe" in as_case_manager.text(f"/referrals/{number}")  # and nothing changed

    def test_a_case_manager_is_offered_no_assessment_to_save(
        self, app: Flask, as_case_manager: Web
    ) -> None:
        number = add_referral(app, "notified")
        assert 'id="assessment-link"' not in as_case_manager.text(f"/referrals/{number}")
        form = as_case_manager.text(f"/referrals/{number}/assessment")
        assert 'id="save-assessment"' not in form
        assert "Only coordinators and supervisors save an assessment" in form


def test_the_people_form_offers_every_role(as_supervisor: Web) -> None:
    page = as_supervisor.text("/people")
    for words in ("Coordinator", "Supervisor", "Case manager", "Prosecutor"):
        assert f">{words}</option>" in page


def test_the_rotation_form_offers_only_people_who_take_calls(
    app: Flask, as_supervisor: Web
) -> None:
    add_user(app, "Cam Reed", "case_manager")
    add_user(app, "Cora Lee", "coordinator")
    page = as_supervisor.text("/rotations/new")
    assert "Cora Lee" in page and "Cam Reed" not in page
