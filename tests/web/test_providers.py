"""The provider directory: adding on a phone (a refusal opens at the form), and editing."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Provider
from tests.factories import add_user
from tests.web.conftest import PASSWORD, Web
from tests.web.page_elements import read, tied

ANNOUNCED = "Nothing was saved: correct the fields marked below."


class Actions(HTMLParser):
    """Collect each form's action."""

    def __init__(self) -> None:
        super().__init__()
        self.actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form" and dict(attrs).get("method") == "post":
            self.actions.append(dict(attrs).get("action") or "")


def add_form_action(page: str) -> str:
    parser = Actions()
    parser.feed(page)
    found = [action for action in parser.actions if urlsplit(action).path == "/providers"]
    assert len(found) == 1, parser.actions
    return found[0]


def cam(app: Flask) -> Web:
    """Return a case manager's browser: the people who keep the directory."""
    web = Web(app.test_client())
    assert (
        web.login(add_user(app, "Kim Case", "case_manager", password=PASSWORD)).status_code == 302
    )
    return web


def test_a_refused_provider_opens_the_page_at_the_form_below_a_long_list(app: Flask) -> None:
    web = cam(app)
    for number in range(12):  # a directory a phone's screen does not hold
        assert web.post("/providers", {"name": f"Clinic {number}"}).status_code == 302
    answer = web.post("/providers", {"name": "", "phone": "+12065550190"})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    anchor = urlsplit(add_form_action(text)).fragment
    assert anchor, "a refused form comes back at its place, not at the page's top"
    opened = text.index(f'id="{anchor}"')
    assert text.index("Clinic 11") < opened < text.index(ANNOUNCED.split(":")[0], opened)


def test_an_added_provider_opens_the_page_where_added_is_said(app: Flask) -> None:
    web = cam(app)
    answer = web.post("/providers", {"name": "Evergreen"})
    assert answer.status_code == 302
    # Its own place, else the browser keeps the form's and shows the empty form, not "Added".
    assert urlsplit(answer.headers["Location"]).fragment == "main"
    assert 'id="main"' in web.text("/providers")


def test_refused_needs_are_announced_and_each_box_tied_to_the_message(app: Flask) -> None:
    web = cam(app)
    answer = web.post("/providers", {"name": "Evergreen", "needs": ["housing", "a bed"]})
    assert answer.status_code == 422
    page = read(answer.get_data(as_text=True))
    assert any(ANNOUNCED in " ".join(alert.split()) for alert in page.alerts), page.alerts
    assert tied(page, "needs", "housing"), (page.named.get("needs"), page.texts)


def provider_row(app: Flask, name: str) -> Provider:
    """Return the stored provider called `name`."""
    with session_scope(app) as session:
        row = session.scalars(select(Provider).where(Provider.name == name)).one()
        session.expunge(row)
        return row


def drawn(row: Provider) -> dict[str, str]:
    """Return the `was_` fields the edit page draws for the provider as it is now."""
    return {
        "was_name": row.name,
        "was_phone": row.phone or "",
        "was_needs": ",".join(row.needs),
        "was_active": "on" if row.active else "off",
    }


class TestEditingAProvider:
    """A clinic that moved, closed or took on medical care is corrected on the web too."""

    def test_a_providers_phone_needs_and_standing_are_changed_from_the_directory(
        self, app: Flask
    ) -> None:
        web = cam(app)
        web.post("/providers", {"name": "Evergreen", "phone": "+12065550190", "needs": "housing"})
        row = provider_row(app, "Evergreen")
        assert f'href="/providers/{row.id}"' in web.text("/providers")
        form = web.text(f"/providers/{row.id}")
        assert 'value="+12065550190"' in form and 'value="housing" checked' in form
        changes = {"name": "Evergreen", "phone": "(206) 555-0191", "needs": ["housing", "medical"]}
        answer = web.post(f"/providers/{row.id}", changes | drawn(row))  # "active" unticked
        assert answer.status_code == 302
        page = web.text(urlsplit(answer.headers["Location"]).path)
        assert "Saved Evergreen." in page and "Evergreen</a> (inactive)" in page
        row = provider_row(app, "Evergreen")
        assert (row.phone, sorted(row.needs), row.active) == (
            "+12065550191",
            ["housing", "medical"],
            False,
        )

    def test_an_emptied_phone_box_removes_the_phone(self, app: Flask) -> None:
        web = cam(app)
        web.post("/providers", {"name": "Evergreen", "phone": "+12065550190"})
        row = provider_row(app, "Evergreen")
        edit = {"name": "Evergreen", "phone": "", "active": "on"} | drawn(row)
        assert web.post(f"/providers/{row.id}", edit).status_code == 302
        assert provider_row(app, "Evergreen").phone is None

    def test_a_refused_edit_changes_nothing_and_comes_back_as_typed(self, app: Flask) -> None:
        web = cam(app)
        web.post("/providers", {"name": "Evergreen", "phone": "+12065550190"})
        row = provider_row(app, "Evergreen")
        edit = {"name": " ", "phone": "+12065550191", "active": "on"} | drawn(row)
        answer = web.post(f"/providers/{row.id}", edit)
        assert answer.status_code == 422
        text = answer.get_data(as_text=True)
        page = read(text)
        assert any(ANNOUNCED in " ".join(alert.split()) for alert in page.alerts), page.alerts
        assert page.named["name"][0].get("aria-invalid") == "true"
        assert 'value="+12065550191"' in text  # what was typed stays
        assert provider_row(app, "Evergreen").phone == "+12065550190"

    def test_a_save_leaves_what_another_person_changed_meanwhile(self, app: Flask) -> None:
        web = cam(app)
        web.post("/providers", {"name": "Evergreen", "phone": "+12065550190"})
        row = provider_row(app, "Evergreen")
        page_drawn = drawn(row)
        with session_scope(app) as session:  # another case manager moves its phone meanwhile
            session.get_one(Provider, row.id).phone = "+12065550199"
        edit = {"name": "Evergreen Clinic", "phone": "+12065550190", "active": "on"}
        assert web.post(f"/providers/{row.id}", edit | page_drawn).status_code == 302
        row = provider_row(app, "Evergreen Clinic")
        assert row.phone == "+12065550199"

    def test_a_phone_added_meanwhile_stays_when_the_page_drew_none(self, app: Flask) -> None:
        web = cam(app)
        web.post("/providers", {"name": "Evergreen"})
        row = provider_row(app, "Evergreen")
        page_drawn = drawn(row)  # no phone: an empty box
        with session_scope(app) as session:  # another case manager adds its phone meanwhile
            session.get_one(Provider, row.id).phone = "+12065550199"
        edit = {"name": "Evergreen Clinic", "phone": "", "active": "on"}
        assert web.post(f"/providers/{row.id}", edit | page_drawn).status_code == 302
        assert provider_row(app, "Evergreen Clinic").phone == "+12065550199"

    def test_a_save_with_nothing_changed_says_so(self, app: Flask) -> None:
        web = cam(app)
        web.post("/providers", {"name": "Evergreen", "needs": ["housing", "medical"]})
        row = provider_row(app, "Evergreen")
        # The boxes come back in the page's order, not the stored one: no change all the same.
        edit = {"name": "Evergreen", "needs": ["medical", "housing"], "active": "on"}
        answer = web.post(f"/providers/{row.id}", edit | drawn(row))
        page = web.text(urlsplit(answer.headers["Location"]).path)
        assert "Nothing changed for Evergreen." in page

    def test_an_unknown_provider_is_a_404(self, app: Flask) -> None:
        assert cam(app).get("/providers/999").status_code == 404
