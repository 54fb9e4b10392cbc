"""The reports' weekly chart: stacked bars of referrals per week by channel, as SVG boxes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..services.reports import Report, WeekCount
from .language import web_text as _
from .words import channel_word

COLORS, GREY = {"voice": "#0b5394", "sms": "#1d6b3a", "web": "#7a4b00"}, "#666666"
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 600, 240, 36, 24, 12  # the chart, in SVG units


@dataclass(frozen=True)
class Block:
    """One channel's part of one week's bar."""

    x: float
    y: float
    width: float
    height: float
    color: str
    label: str


@dataclass(frozen=True)
class Chart:
    """The weekly chart laid out in SVG units, with a summary for screen readers."""

    blocks: list[Block]
    ticks: list[tuple[float, str]]
    top: int  # the most referrals in one week
    legend: list[tuple[str, str]]
    summary: str
    frame: tuple[int, int, int, int, int] = (WIDTH, HEIGHT, LEFT, BOTTOM, TOP)


def week_words(week: WeekCount) -> str:
    """Name a week by its first day counted, with its days when the period cuts it."""
    day = f"{week.first_day:%b %d}"
    if week.days == 1:
        return _("Week of {day} ({n} day)", day=day, n=week.days)
    if week.days < 7:
        return _("Week of {day} ({n} days)", day=day, n=week.days)
    return _("Week of {day}", day=day)


def weekly_chart(report: Report) -> Chart:
    """Lay out stacked bars of referrals per week by channel."""
    weeks, plot = report.weeks, HEIGHT - BOTTOM - TOP
    top = max((week.total for week in weeks), default=0)
    slot = (WIDTH - LEFT) / max(len(weeks), 1)
    step = math.ceil(len(weeks) / 12) or 1  # at most about 12 date labels
    blocks, ticks = [], []
    for i, week in enumerate(weeks):
        x, base = LEFT + i * slot + slot * 0.15, float(HEIGHT - BOTTOM)
        for channel in report.channels:
            if count := week.by_channel.get(channel, 0):
                height = count * plot / top
                base -= height
                label = _(
                    "{week}: {count} by {channel}",
                    week=week_words(week),
                    count=count,
                    channel=channel_word(channel),
                )
                box = (round(x, 1), round(base, 1), round(slot * 0.7, 1), round(height, 1))
                blocks.append(Block(*box, COLORS.get(channel, GREY), label))
        if i % step == 0:
            ticks.append((round(x + slot * 0.35, 1), f"{week.first_day:%m/%d}"))
    total = sum(week.total for week in weeks)
    summary = _(
        "Referrals per week by channel over {weeks} weeks: {total} in all, at most {top} in one"
        " week. The table below gives every number.",
        weeks=len(weeks),
        total=total,
        top=top,
    )
    legend = [(channel_word(channel), COLORS.get(channel, GREY)) for channel in report.channels]
    return Chart(blocks, ticks, top, legend, summary)
