"""The reports' program tables: participants, referrals again, and the service plan (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..db import get_session
from ..i18n import N_
from ..services.program_reports import PlanRow, participant_figures, plan_rows
from .language import web_text
from .report_table import Table
from .words import word

PROGRAM_TABLES = ("participants", "plan_needs", "plan_providers")
PLAN_COLUMNS = [N_("Planned"), N_("Started"), N_("Completed"), N_("Stopped")]


def plan_table(
    title: str, first: str, rows: list[PlanRow], named: Callable[[PlanRow], str]
) -> Table:
    """Return plan entries by status, one row per need or provider."""
    counts = [[row.planned, row.started, row.completed, row.stopped] for row in rows]
    cells = [[named(row), *map(str, numbers)] for row, numbers in zip(rows, counts, strict=True)]
    totals = [sum(column) for column in zip(*counts, strict=True)] if counts else [0, 0, 0, 0]
    columns = [first, *map(web_text, PLAN_COLUMNS)]
    return Table(title, columns, [*cells, [web_text("Total"), *map(str, totals)]])


def need_words(row: PlanRow) -> str:
    """Name a need in words."""
    return word(row.name)


def provider_words(row: PlanRow) -> str:
    """Name a provider as the directory does: as written, an inactive one marked."""
    if row.worded:
        return web_text(row.name)
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
            [
                web_text("first referred {span} ago or more", span=web_text(label)),
                str(figures.followed[label]),
            ],
            [
                web_text("of those, referred again within {span}", span=web_text(label)),
                str(figures.again[label]),
            ],
        )
    ]
    return {
        "participants": Table(
            web_text("Participants"),
            [web_text("Measure"), web_text("Count")],
            [
                [web_text("active now"), str(figures.active)],
                [web_text("exited"), str(figures.exited)],
                [web_text("first referred in the period"), str(figures.first_referred)],
                *again,
            ],
        ),
        "plan_needs": plan_table(
            web_text("Service plan by need"), web_text("Need"), by_need, need_words
        ),
        "plan_providers": plan_table(
            web_text("Service plan by provider"), web_text("Provider"), by_provider, provider_words
        ),
    }
