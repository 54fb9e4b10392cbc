"""The provider directory's add form on a phone: a refusal opens at the form, marked and said."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask

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
