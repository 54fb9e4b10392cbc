"""One report table as text: the page shows its cells and the CSV export writes them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """One report table as text: the page shows these cells and the CSV export writes them."""

    title: str
    columns: list[str]
    rows: list[list[str]]
