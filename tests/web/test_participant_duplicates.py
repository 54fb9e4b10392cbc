"""Adding a participant by hand first shows who they may already be, as the assessment does."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Participant
from tests.web.conftest import Web
from tests.web.test_exited_participants import exited
from tests.web.test_form_once import hidden_fields
from tests.web.test_participants import add_participant, marked_field

TYPED = {"name": "Bob Smyth", "aliases": "Bobby S", "date_of_birth": "1980-05-06"}


def names(app: Flask) -> list[str]:
    with session_scope(app) as session:
        return list(session.scalars(select(Participant.name).order_by(Participant.id)))


def matches_section(page: str) -> str:
    found = re.search(r'id="possible-matches".*?</ul>', page, re.S)
    assert found, "the page lists no possible matches"
    return found.group(0)


class TestAddingSomeoneAlreadyThere:
    """A likely match is shown with a link, and a new record waits for a confirmation."""

    def test_an_exited_match_is_shown_and_nothing_is_added(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        robert = exited(app, "Robert Smith")
        answer = as_coordinator.post("/participants", TYPED)
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        matches = matches_section(page)
        assert f'href="/participants/{robert}"' in matches and "Robert Smith" in matches
        assert "exited" in matches
        assert 'name="add_anyway"' in page
        assert marked_field(page, "name") == ("Bob Smyth", "")
        assert marked_field(page, "aliases") == ("Bobby S", "")
        assert marked_field(page, "date_of_birth") == ("1980-05-06", "")
        assert names(app) == ["Robert Smith"]

    def test_the_form_comes_back_where_it_is_on_the_page(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        exited(app, "Robert Smith")
        page = as_coordinator.post("/participants", TYPED).get_data(as_text=True)
        assert 'action="/participants#add-heading"' in page and 'id="add-heading"' in page

    def test_confirmed_it_adds_the_new_participant(self, app: Flask, as_coordinator: Web) -> None:
        add_participant(app, "Robert Smith")
        answer = as_coordinator.post("/participants", {**TYPED, "add_anyway": "yes"})
        assert answer.status_code == 302
        assert names(app) == ["Robert Smith", "Bob Smyth"]

    def test_a_differing_birth_date_rules_the_match_out(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        add_participant(app, "Robert Smith")
        with session_scope(app) as session:
            session.scalars(select(Participant)).one().date_of_birth = date(1979, 1, 1)
        assert as_coordinator.post("/participants", TYPED).status_code == 302
        assert names(app) == ["Robert Smith", "Bob Smyth"]

    def test_nobody_alike_is_added_at_once(self, app: Flask, as_coordinator: Web) -> None:
        add_participant(app, "Ann Ames")
        answer = as_coordinator.post("/participants", TYPED)
        assert answer.status_code == 302
        assert names(app) == ["Ann Ames", "Bob Smyth"]

    def test_a_phone_retry_of_an_add_does_not_offer_the_one_it_added_as_a_match(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        form = hidden_fields(as_coordinator.text("/participants"), "/participants")
        assert as_coordinator.post("/participants", {**form, **TYPED}).status_code == 302
        # The first answer was lost on a weak connection: the phone sends the form again.
        again = as_coordinator.post("/participants", {**form, **TYPED})
        assert again.status_code == 302
        page = as_coordinator.text(again.headers["Location"])
        assert "sent already" in page and "Nothing was added yet" not in page
        assert names(app) == ["Bob Smyth"]
