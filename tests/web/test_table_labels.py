"""A table's words on a phone, its cells' labels included, come from the web catalog."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask

from hotline.i18n import Translate
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


@pytest.fixture
def bracketed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write every web word as [[word]], so a word outside the catalog stands out."""
    import hotline.web.language as web

    def bracket(channel: str, language: str | None) -> Translate:
        return lambda message, **params: "[[" + message.format(**params) + "]]"

    monkeypatch.setattr(web, "translator", bracket)


def labels_and_cells(web: Web, path: str) -> Labels:
    """Return what a page's tables and facts say, read as a phone stacks them."""
    answer = web.get(path)
    assert answer.status_code == 200, path
    read = Labels()
    read.feed(answer.get_data(as_text=True))
    return read


@pytest.mark.parametrize("path", ["/people", "/people/tokens", "/audit"])
def test_a_phone_reads_each_cells_label_and_yes_or_no_from_the_catalog(
    app: Flask, as_supervisor: Web, bracketed: None, path: str
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
    as_coordinator: Web, supervisor: User, bracketed: None
) -> None:
    read = labels_and_cells(as_coordinator, f"/people/users/{supervisor.id}")
    assert "[[yes]]" in read.cells and "yes" not in read.cells
