"""Words a page shows beside its sentences (cells' labels, yes/no, roles) are catalog words."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask

from hotline.models import User
from tests.factories import add_officer, add_user
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
