"""The brief assessment form as a screen reader and a phone meet it: refusals said and marked."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask

from tests.factories import add_referral, add_user
from tests.web.conftest import PASSWORD, Web
from tests.web.page_elements import read, tied

FORM = {
    "offense": "possession",
    "consent_confirmed": "yes",
    "needs": ["housing"],
    "services": "detox bed",
    "disposition": "accepted",
}
ANNOUNCED = "Nothing was saved: correct the fields marked below."


class TestRefusals:
    """Each refused answer is announced at the top and tied to its field."""

    @pytest.mark.parametrize(
        ("change", "field", "says"),
        [
            ({"age_range": "x" * 101}, "age_range", "at most 100 characters"),
            ({"gender": "x" * 101}, "gender", "at most 100 characters"),
            ({"race_ethnicity": "x" * 101}, "race_ethnicity", "at most 100 characters"),
            ({"disposition": "ineligible"}, "exclusions", "at least one exclusion"),
            ({"needs": ["housing", "a bed"]}, "needs", "housing"),
            ({"risks": ["fire"]}, "risks", "overdose"),
            ({"consent_confirmed": ""}, "consent_confirmed", "consent confirmed"),
            ({"disposition": ""}, "disposition", "Choose a disposition"),
            ({"offense": ""}, "offense", "Choose the offence"),
        ],
    )
    def test_a_refused_answer_is_announced_and_tied_to_its_field(
        self, app: Flask, as_coordinator: Web, change: dict[str, object], field: str, says: str
    ) -> None:
        number = add_referral(app)
        answer = as_coordinator.post(f"/referrals/{number}/assessment", {**FORM, **change})
        assert answer.status_code == 422
        page = read(answer.get_data(as_text=True))
        assert any(ANNOUNCED in " ".join(alert.split()) for alert in page.alerts), page.alerts
        assert tied(page, field, says), (page.named.get(field), page.texts)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"consent_confirmed": ""}, "consent_confirmed"),
            ({"disposition": "ineligible"}, "exclusions"),
            ({"services": "x" * 301}, "services"),
            ({"race_ethnicity": "x" * 101}, "race_ethnicity"),
            ({"notes": "Housing\x0bfirst"}, "notes"),
        ],
    )
    def test_a_refused_assessment_opens_with_the_cursor_in_the_refused_answer(
        self, app: Flask, as_coordinator: Web, change: dict[str, object], field: str
    ) -> None:
        # On a phone the answer may be screens below the line at the top: the page goes to it.
        number = add_referral(app)
        answer = as_coordinator.post(f"/referrals/{number}/assessment", {**FORM, **change})
        assert answer.status_code == 422
        page = read(answer.get_data(as_text=True))
        focused = [
            (name, index)
            for name, controls in page.named.items()
            for index, control in enumerate(controls)
            if "autofocus" in control
        ]
        assert focused == [(field, 0)]  # its first box when it is a checklist

    def test_a_missing_disposition_is_said_through_the_web_catalog(
        self, app: Flask, as_coordinator: Web, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import hotline.web.language as web

        monkeypatch.setattr(
            web,
            "translator",
            lambda *_: lambda message, **params: f"[[{message.format(**params)}]]",
        )
        form = {**FORM, "disposition": ""}
        answer = as_coordinator.post(f"/referrals/{add_referral(app)}/assessment", form)
        assert "[[Choose a disposition.]]" in answer.get_data(as_text=True)

    def test_a_refused_pick_the_page_no_longer_offers_is_said_at_the_top(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        # The person picked from the suggestions went meanwhile, and nobody else matches now.
        number = add_referral(app, participant_name="Nobody Alike")
        form = {**FORM, "participant_id": "999"}
        answer = as_coordinator.post(f"/referrals/{number}/assessment", form)
        assert answer.status_code == 422
        page = read(answer.get_data(as_text=True))
        assert "participant_id" not in page.named  # no suggestion to mark
        alerts = [" ".join(alert.split()) for alert in page.alerts]
        assert any("no participant with id 999" in alert for alert in alerts), alerts
        assert not any("marked below" in alert for alert in alerts), alerts

    def test_saving_on_a_closed_referral_says_its_status_in_words_once(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, "intake_completed")
        answer = as_coordinator.post(f"/referrals/{number}/assessment", FORM)
        assert answer.status_code == 409
        text = answer.get_data(as_text=True)
        assert "intake_completed" not in text  # the code, where a coordinator reads words
        page = read(text)
        alerts = [" ".join(alert.split()) for alert in page.alerts]
        said = f"Nothing was saved: #{number} is closed (intake completed)"
        assert any(said in alert for alert in alerts), alerts
        assert text.count("is closed (intake completed)") == 1, text  # not twice over


class Controls(HTMLParser):
    """Collect the names of the controls a person can change: not hidden, not disabled."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[bool] = []  # each fieldset open around the parser: disabled or not
        self.changeable: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "fieldset":
            self.open.append("disabled" in found)
        elif (
            tag in ("input", "select", "textarea")
            and found.get("type") != "hidden"
            and not any(self.open)
            and "disabled" not in found
        ):
            self.changeable.add(str(found.get("name")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self.open:
            self.open.pop()


def changeable(page: str) -> set[str]:
    controls = Controls()
    controls.feed(page[page.index('class="assessment-form"') :])
    return controls.changeable


class TestReadOnly:
    """Where saving would be refused, the answers read as answers, not as boxes to fill in."""

    def test_a_closed_referrals_assessment_cannot_be_filled_in(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, "intake_completed")
        page = as_coordinator.text(f"/referrals/{number}/assessment")
        assert "its assessment can no longer change" in page
        assert changeable(page) == set()

    def test_a_case_managers_assessment_page_cannot_be_filled_in(self, app: Flask) -> None:
        web = Web(app.test_client())
        assert (
            web.login(add_user(app, "Kim Case", "case_manager", password=PASSWORD)).status_code
            == 302
        )
        number = add_referral(app, "acknowledged")
        page = web.text(f"/referrals/{number}/assessment")
        assert "Only coordinators and supervisors save an assessment." in page
        assert changeable(page) == set()

    def test_a_coordinator_fills_in_an_open_one(self, app: Flask, as_coordinator: Web) -> None:
        page = as_coordinator.text(f"/referrals/{add_referral(app)}/assessment")
        assert {"consent_confirmed", "needs", "risks", "disposition", "notes"} <= changeable(page)
