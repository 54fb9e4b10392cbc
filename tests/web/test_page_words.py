"""Words a page shows beside its sentences (cells' labels, yes/no, roles) are catalog words."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask

from hotline.models import User
from tests.factories import add_officer, add_referral, add_user
from tests.web.conftest import Web


class Labels(HTMLParser):
    """Collect each table cell's `data-label` and the words a cell says alone."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        label = dict(attrs).get("data-label")
        if label is not None:
            self.labels.append(label)
        if tag in ("td", "dd"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "dd") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def labels_and_cells(web: Web, path: str) -> Labels:
    """Return what a page's tables and facts say, read as a phone stacks them."""
    answer = web.get(path)
    assert answer.status_code == 200, path
    read = Labels()
    read.feed(answer.get_data(as_text=True))
    return read


@pytest.mark.parametrize("path", ["/people", "/people/tokens", "/audit"])
def test_a_phone_reads_each_cells_label_and_yes_or_no_from_the_catalog(
    app: Flask, as_supervisor: Web, bracketed_words: None, path: str
) -> None:
    # A table stacks on a phone and shows each cell's data-label before it: an English
    # label or "yes"/"no" written in the template would stay English in any later language.
    coordinator = add_user(app, "Cole Reyes")
    add_officer(app)
    assert as_supervisor.post("/people/tokens", {"user_id": str(coordinator.id)}).status_code == 200
    read = labels_and_cells(as_supervisor, path)
    assert read.labels and [label for label in read.labels if not label.startswith("[[")] == []
    assert {"yes", "no"}.isdisjoint(read.cells)


def test_a_coordinator_reads_whether_a_colleague_is_active_from_the_catalog(
    as_coordinator: Web, supervisor: User, bracketed_words: None
) -> None:
    read = labels_and_cells(as_coordinator, f"/people/users/{supervisor.id}")
    assert "[[yes]]" in read.cells and "yes" not in read.cells


def test_a_page_names_roles_and_labels_a_form_from_the_catalog(
    app: Flask, as_supervisor: Web, bracketed_words: None
) -> None:
    # The header names the reader's role on every page; the people form offers the roles and
    # labels its boxes; a rotation offers its new participants by name and role.
    add_user(app, "Cole Reyes")
    people = as_supervisor.get("/people").get_data(as_text=True)
    assert "([[supervisor]])" in people
    assert ">[[case manager]]</option>" in people
    assert '<label for="user-name">[[Name]]</label>' in people
    assert '<label for="officer-agency">[[Agency]]</label>' in people
    assert "[[The program's (]][[English]])" in people
    rotation = as_supervisor.get("/rotations/new").get_data(as_text=True)
    assert "Cole Reyes ([[coordinator]])</option>" in rotation


def test_every_fixed_answer_and_exclusion_is_said_in_words() -> None:
    from typing import get_args

    from hotline.schemas.assessment import AGE_RANGES, GENDERS, RACE_ETHNICITIES, Exclusion
    from hotline.services.disparity import NOT_RECORDED, TOO_FEW
    from hotline.web.assessment_words import ANSWER_WORDS, EXCLUSION_WORDS

    # Stored and counted as the form's English; a page says them through the catalog.
    ranges = {answer for answer in AGE_RANGES if answer[0].isdigit() and answer[-1].isdigit()}
    answers = {*AGE_RANGES, *GENDERS, *RACE_ETHNICITIES, NOT_RECORDED, TOO_FEW} - ranges
    assert sorted(answers - set(ANSWER_WORDS)) == []
    assert set(EXCLUSION_WORDS) == set(get_args(Exclusion))


def test_the_assessment_offers_its_answers_and_says_them_from_the_catalog(
    app: Flask, as_coordinator: Web, bracketed_words: None
) -> None:
    number = add_referral(app)
    form_page = as_coordinator.get(f"/referrals/{number}/assessment").get_data(as_text=True)
    assert '<option value="Multiracial" >[[Multiracial]]</option>' in form_page
    assert "> [[dealing above subsistence]]</label>" in form_page
    answers = {"offense": "possession", "consent_confirmed": "yes", "needs": ["housing"]}
    answers |= {"disposition": "accepted", "gender": "woman", "age_range": "65 and over"}
    answers |= {"exclusions": ["under_18"], "race_ethnicity": "Asian"}
    saved = as_coordinator.post(f"/referrals/{number}/assessment", answers)
    assert saved.status_code in (200, 302, 303), saved.get_data(as_text=True)[:300]
    referral = as_coordinator.get(f"/referrals/{number}").get_data(as_text=True)
    assert "[[65 and over]][[; gender]] [[woman]][[; race/ethnicity]] [[Asian]]" in referral
    assert "[[under 18]]" in referral
