"""The reports' program tables: participants, referrals again, and the service plan (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..db import get_session
from ..services.program_reports import PlanRow, participant_figures, plan_rows
from .language import web_text
from .report_table import Table

PROGRAM_TABLES = ("participants", "plan_needs", "plan_providers")
PLAN_COLUMNS = ["Planned", "Started", "Completed", "Stopped"]


def plan_table(
    title: str, first: str, rows: list[PlanRow], named: Callable[[PlanRow], str]
) -> Table:
    """Return plan entries by status, one row per need or provider."""
    counts = [[row.planned, row.started, row.completed, row.stopped] for row in rows]
    cells = [[named(row), *map(str, numbers)] for row, numbers in zip(rows, counts, strict=True)]
    totals = [sum(column) for column in zip(*counts, strict=True)] if counts else [0, 0, 0, 0]
    return Table(title, [first, *PLAN_COLUMNS], [*cells, ["Total", *map(str, totals)]])


def need_words(row: PlanRow) -> str:
    """Name a need in words."""
    return row.name.replace("_", " ")


def provider_words(row: PlanRow) -> str:
    """Name a provider as the directory does: as written, an inactive one marked."""
    return row.name if row.active else f"{row.name} ({web_text('inactive')})"


def program_tables(start: datetime, end: datetime, now: datetime) -> dict[str, Table]:
    """Return participants now and referred again, and the plan by need and by provider."""
    session = get_session()
    figures = participant_figures(session, start, end, now)
    by_need, by_provider = plan_rows(session)
    again = [
        row
        for label in figures.again
        for row in (
            [f"first referred {label} ago or more", str(figures.followed[label])],
            [f"of those, referred again within {label}", str(figures.again[label])],
        )
    ]
    return {
        "participants": Table(
            "Participants",
            ["Measure", "Count"],
            [
                ["active now", str(figures.active)],
                ["exited", str(figures.exited)],
                ["first referred in the period", str(figures.first_referred)],
                *again,
            ],
        ),
        "plan_needs": plan_table("Service plan by need", "Need", by_need, need_words),
        "plan_providers": plan_table(
            "Service plan by provider", "Provider", by_provider, provider_words
        ),
    }
