"""The reports' other charts, as SVG boxes laid out here and drawn by `_charts.html`.

Response times and outcomes by race/ethnicity are horizontal bars (long labels
read on a phone); intake completion over time is a column per week. Every
chart says in words what it shows, and the tables below give every number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup

from ..services.disparity import DisparityRow
from ..services.reports import Report
from .language import web_text as _
from .report_chart import week_words

BAR_COLOURS = ("#0b5394", "#8a4b00")  # two series; their legend also names them
# Each row's label sits above its bars, so long group names are never cut on a phone.
LABEL_WIDTH, PLOT_WIDTH, ROW_HEIGHT, BAR_HEIGHT = 0, 330, 64, 16
# Axis ends for delays, in seconds: minutes, hours and days a reader counts in.
NICE_SECONDS = tuple(
    [60 * m for m in (1, 2, 5, 10, 15, 20, 30)]
    + [3600 * h for h in (1, 2, 3, 4, 6, 8, 12, 24)]
    + [86400 * d for d in (2, 4, 7, 14, 30, 60, 90, 180, 366)]
)
COLUMN_CHART = (600, 240, 44, 28, 14)  # width, height, left, bottom, top


@dataclass(frozen=True)
class HBar:
    """One bar of a row: its length, colour and what it says."""

    y: float
    length: float
    colour: str
    text: str  # printed after the bar


@dataclass(frozen=True)
class HRow:
    """One labelled row of one or two bars."""

    label: str
    y: float
    bars: list[HBar]


@dataclass(frozen=True)
class HChart:
    """A horizontal bar chart with its axis ticks, legend and summary."""

    rows: list[HRow]
    ticks: list[tuple[float, str]]
    legend: list[tuple[str, str]]
    summary: str
    height: int
    frame: tuple[int, int] = (LABEL_WIDTH, PLOT_WIDTH)


@dataclass(frozen=True)
class Column:
    """One week's column of the completion chart (a week with no ended intake has none)."""

    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class ColumnChart:
    """The completion-over-time chart."""

    columns: list[Column]
    ticks: list[tuple[float, str]]
    levels: list[tuple[float, str]]
    summary: str
    frame: tuple[int, int, int, int, int] = COLUMN_CHART


def duration_words(seconds: float) -> str:
    """Return a delay as a short axis or bar label: 40 s, 12 min, 3.5 h, 2 d."""
    if seconds < 60:
        return _("{n} s", n=format(seconds, ".0f"))
    if seconds < 3600:
        return _("{n} min", n=format(seconds / 60, ".0f"))
    if seconds < 86400:
        return _("{n} h", n=format(seconds / 3600, ".1f").removesuffix(".0"))
    return _("{n} d", n=format(seconds / 86400, ".1f").removesuffix(".0"))


def horizontal(
    rows: list[tuple[str, list[float | None], list[str]]],
    series: list[str],
    top: float,
    tick_words: list[tuple[float, str]],
    summary: str,
) -> HChart:
    """Lay out rows of one bar per series; a None value draws no bar but keeps its words."""
    laid = []
    for index, (label, values, texts) in enumerate(rows):
        y = 4 + index * ROW_HEIGHT
        bars = [
            HBar(
                y + 22 + part * (BAR_HEIGHT + 2),
                round((value or 0) / top * PLOT_WIDTH, 1) if top else 0,
                BAR_COLOURS[part % len(BAR_COLOURS)],
                text,
            )
            for part, (value, text) in enumerate(zip(values, texts, strict=True))
        ]
        laid.append(HRow(label, y, bars))
    ticks = [(round(value / top * PLOT_WIDTH, 1), words) for value, words in tick_words]
    legend = list(zip(series, BAR_COLOURS, strict=False))
    return HChart(laid, ticks, legend, summary, 16 + len(rows) * ROW_HEIGHT + 24)


def timing_chart(report: Report) -> HChart:
    """Lay out the median and 90th percentile of each response time."""
    longest = max((t.p90 or 0 for t in report.timings), default=0)
    top = next((end for end in NICE_SECONDS if end >= longest), longest) or 60
    rows = [
        (
            str(_(timing.measure)),
            [timing.median, timing.p90],
            [
                duration_words(value) if value is not None else _("no data")
                for value in (timing.median, timing.p90)
            ],
        )
        for timing in report.timings
    ]
    ticks = [(top * share, duration_words(top * share)) for share in (0, 0.5, 1)]
    said = Markup("; ").join(
        _("{measure}: median {median}, 90th percentile {p90}", measure=label, median=t[0], p90=t[1])
        for label, _values, t in rows
    )
    series: list[str] = [_("median"), _("90th percentile")]
    return horizontal(rows, series, top, ticks, _("Response times. {said}.", said=said))


def outcome_chart(rows: list[DisparityRow]) -> HChart:
    """Lay out accepted and intake-completed shares of each race/ethnicity group."""
    laid: list[tuple[str, list[float | None], list[str]]] = []
    for row in rows:
        shares: list[float | None] = []
        texts: list[str] = []
        for part in (row.accepted, row.completed):
            if row.count is None or part is None:
                shares.append(None)
                texts.append(_("hidden"))
            else:
                share = part / row.count if row.count else 0
                shares.append(share)
                texts.append(
                    _(
                        "{share} ({part} of {count})",
                        share=format(share, ".0%"),
                        part=part,
                        count=row.count,
                    )
                )
        laid.append((row.group, shares, texts))
    ticks = [(0, "0%"), (0.5, "50%"), (1, "100%")]
    said = Markup("; ").join(
        _(
            "{group}: accepted {accepted}, intake completed {completed}",
            group=label,
            accepted=a,
            completed=c,
        )
        for label, _values, (a, c) in laid
    )
    summary = _(
        "Outcomes by self-reported race/ethnicity, as shares of each group's referrals. {said}.",
        said=said,
    )
    return horizontal(laid, [_("accepted"), _("intake completed")], 1, ticks, summary)


def completion_chart(report: Report) -> ColumnChart:
    """Lay out each week's intake completion rate as a column from 0 to 100%."""
    width, height, left, bottom, top_pad = COLUMN_CHART
    weeks, plot = report.weeks, height - bottom - top_pad
    slot = (width - left) / max(len(weeks), 1)
    step = math.ceil(len(weeks) / 8) or 1  # at most about 8 date labels
    columns, ticks = [], []
    for i, week in enumerate(weeks):
        x = left + i * slot + slot * 0.15
        rate = week.completion_rate
        if rate is not None:
            size = rate * plot
            label = _(
                "{week}: {rate} completed ({completed} of {ended})",
                week=week_words(week),
                rate=format(rate, ".0%"),
                completed=week.completed,
                ended=week.completed + week.missed,
            )
            box = (round(x, 1), round(height - bottom - size, 1), round(slot * 0.7, 1))
            columns.append(Column(*box, round(size, 1), label))
        if i % step == 0:
            ticks.append((round(x + slot * 0.35, 1), f"{week.first_day:%m/%d}"))
    levels = [(round(height - bottom - share * plot, 1), f"{share:.0%}") for share in (0, 0.5, 1)]
    rates = [w.completion_rate for w in weeks if w.completion_rate is not None]
    if rates:
        summary = _(
            "Intake completion by week of referral, {ended} of {weeks} weeks with an ended"
            " intake, from {low} to {high}. Weeks without a bar had no intake end yet.",
            ended=len(rates),
            weeks=len(weeks),
            low=format(min(rates), ".0%"),
            high=format(max(rates), ".0%"),
        )
    else:
        summary = _(
            "Intake completion by week of referral, {ended} of {weeks} weeks with an ended"
            " intake. Weeks without a bar had no intake end yet.",
            ended=len(rates),
            weeks=len(weeks),
        )
    return ColumnChart(columns, ticks, levels, summary)
