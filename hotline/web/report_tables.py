"""The report's text tables: the page shows their cells and the CSV exports write them."""

from __future__ import annotations

from ..services.reports import NO_TYPE, TYPES, GroupCount, Report
from .assessment_words import answer_word
from .language import web_text as _
from .report_table import Table, duration, percent, shown
from .words import channel_word, word


def intake_row(group: GroupCount, *agency: str) -> list[str]:
    """Return the cells of one agency's or officer's intake figures (the officer's agency)."""
    name = str(_(group.name)) if group.worded else group.name
    numbers = (group.referrals, group.completed, group.missed)
    return [name, *agency, *map(str, numbers), percent(group.rate)]


def report_tables(report: Report) -> dict[str, Table]:
    """Turn a report into the text tables the page and the CSV exports share."""
    types = [*TYPES, NO_TYPE]
    counts = [
        [
            w.days,
            w.total,
            *(w.by_channel.get(c, 0) for c in report.channels),
            *(w.by_type.get(t, 0) for t in types),
        ]
        for w in report.weeks
    ]
    weeks = [
        [f"{w.week_start:%G-W%V}", w.first_day.isoformat(), *map(str, numbers)]
        for w, numbers in zip(report.weeks, counts, strict=True)
    ]
    weeks.append([_("Total"), "", *(str(sum(column)) for column in zip(*counts, strict=True))])
    calls, type_words = report.calls, [*map(word, TYPES), str(_(NO_TYPE))]
    return {
        "weekly": Table(
            _("Referrals per week"),
            [
                _("Week"),
                _("Starts"),
                _("Days"),
                _("Total"),
                *map(channel_word, report.channels),
                *type_words,
            ],
            weeks,
        ),
        "calls": Table(
            _("Calls"),
            [_("Outcome"), _("Calls")],
            [
                [_("answered"), str(calls.answered)],
                [_("voicemail"), str(calls.voicemail)],
                [_("abandoned"), str(calls.abandoned)],
                [_("missed (voicemail + abandoned)"), str(calls.missed)],
                [_("no outcome yet"), str(calls.unresolved)],
                [_("total"), str(calls.total)],
            ],
        ),
        "timings": Table(
            _("Response times"),
            [_("Measure"), _("Count"), _("Median (h:mm:ss)"), _("90th percentile (h:mm:ss)")],
            [
                [str(_(t.measure)), str(t.count), duration(t.median), duration(t.p90)]
                for t in report.timings
            ],
        ),
        "agencies": Table(
            _("Intake by agency"),
            [
                _("Agency"),
                _("Referrals"),
                _("Intake completed"),
                _("Intake missed"),
                _("Completion rate"),
            ],
            [intake_row(g) for g in [*report.agencies, report.intake]],
        ),
        "officers": Table(
            _("Intake by officer"),
            [
                _("Officer"),
                _("Agency"),
                _("Referrals"),
                _("Intake completed"),
                _("Intake missed"),
                _("Rate"),
            ],
            [intake_row(g, g.agency) for g in report.officers],
        ),
        "disparity": Table(
            _("Referrals by race/ethnicity"),
            [_("Race/ethnicity"), _("Referrals"), _("Share"), _("Accepted"), _("Intake completed")],
            [
                [
                    answer_word(row.group),
                    shown(row.count),
                    percent(row.share),
                    shown(row.accepted),
                    shown(row.completed),
                ]
                for row in report.disparity
            ],
        ),
        "savings": Table(
            _("Jail bookings avoided (estimate)"),
            [_("Measure"), _("Value")],
            [
                [_("arrest diversions accepted (bookings avoided)"), str(report.bookings_avoided)],
                [_("cost per booking"), f"{report.cost_per_booking:.2f}"],
                [_("estimated savings"), f"{report.savings:.2f}"],
            ],
        ),
    }
