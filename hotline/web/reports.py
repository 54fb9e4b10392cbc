"""Reports for supervisors: a period's figures, the weekly chart and CSV exports (SPEC §9)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from ..db import get_session
from ..services.reports import Report, load_report
from . import bp, program_zone
from .auth import requires
from .language import web_text
from .program_tables import PROGRAM_TABLES, program_tables
from .report_bars import completion_chart, outcome_chart, timing_chart
from .report_chart import weekly_chart
from .report_table import Table
from .report_tables import report_tables

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
MAX_COST = Decimal(10**9)
TABLES = (
    "weekly",
    "calls",
    "timings",
    "agencies",
    "officers",
    "disparity",
    "savings",
    *PROGRAM_TABLES,
)


@dataclass(frozen=True)
class Period:
    """Local dates, both included, and the cost of one jail booking."""

    first: date
    last: date
    cost: Decimal

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Return [first day's midnight, the midnight after the last day) in `zone`."""
        after = self.last + timedelta(days=1)
        return datetime.combine(self.first, time(0), zone), datetime.combine(after, time(0), zone)

    def query(self) -> dict[str, Any]:
        """Return the query string that asks for this period again."""
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "cost": f"{self.cost:.2f}",
        }


def read_date(args: Mapping[str, str], name: str, default: date, errors: dict[str, str]) -> date:
    """Read one date of the period form (YYYY-MM-DD), noting a bad one."""
    text = args.get(name, "").strip()
    try:
        value = date.fromisoformat(text) if text else default
    except ValueError:
        errors[name] = web_text("Give a date as YYYY-MM-DD.")
        return default
    if not EARLIEST <= value <= LATEST:
        errors[name] = web_text("Pick a date from {first} to {last}.", first=EARLIEST, last=LATEST)
        return default
    return value


def parse_cost(text: str) -> Decimal | None:
    """Return a cost per booking written as a number, or None when it is not one."""
    try:
        cost = Decimal(text.strip().replace(",", "").removeprefix("$"))
    except InvalidOperation:
        return None
    if not (cost.is_finite() and 0 <= cost <= MAX_COST):
        return None
    return cost.copy_abs().quantize(Decimal("0.01"))  # "-0" would read "-0.00"


def last_full_quarter(today: date) -> tuple[date, date]:
    """Return the first and last day of the last calendar quarter that has ended."""
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = this_quarter - timedelta(days=1)
    return date(last.year, last.month - 2, 1), last


def read_period(
    args: Mapping[str, str], today: date, default_cost: Decimal
) -> tuple[Period, dict[str, str]]:
    """Read the period form (default: the last full quarter); return it and any bad fields."""
    errors: dict[str, str] = {}
    quarter_first, quarter_last = last_full_quarter(today)
    if args.get("to", "").strip():
        last = read_date(args, "to", today, errors)
        default_first = last - timedelta(days=DEFAULT_DAYS - 1)
    elif args.get("from", "").strip():
        last, default_first = today, today  # a start alone runs to today
    else:
        last, default_first = quarter_last, quarter_first
    first = read_date(args, "from", default_first, errors)
    if first > last:
        errors.setdefault("from", web_text("Start on or before the end date."))
    elif (last - first).days >= MAX_DAYS:
        errors.setdefault("to", web_text("Ask for at most {n} days at a time.", n=MAX_DAYS))
    cost = parse_cost(args["cost"]) if args.get("cost", "").strip() else default_cost
    if cost is None:
        errors["cost"] = web_text("Give the cost of one booking as a number, e.g. 2500.")
    return Period(first, last, cost if cost is not None else default_cost), errors


def default_cost() -> Decimal:
    """Return the configured cost of one jail booking (HOTLINE_BOOKING_COST), else 0."""
    configured = current_app.config.get("HOTLINE_BOOKING_COST")
    cost = parse_cost(str(configured)) if configured is not None else None
    return cost if cost is not None else Decimal("0.00")


def asked_report() -> tuple[Period, dict[str, str], Report | None]:
    """Read the period this request asks for and load its report (none when the form is bad)."""
    zone = program_zone()
    today = datetime.now(UTC).astimezone(zone).date()
    period, errors = read_period(request.args, today, default_cost())
    if errors:
        return period, errors, None
    start, end = period.bounds(zone)
    return period, errors, load_report(get_session(), start, end, zone, period.cost)


def every_table(period: Period, report: Report) -> dict[str, Table]:
    """Return the period's tables, the program's (participants, the plan) among them."""
    return {
        **report_tables(report),
        **program_tables(*period.bounds(program_zone()), datetime.now(UTC)),
    }


def report_page(period: Period, errors: dict[str, str], report: Report | None) -> tuple[str, int]:
    """Render the period's figures and charts, or the form with its reasons (400)."""
    tables = every_table(period, report) if report else {}
    links = {name: url_for("web.report_csv", table=name, **period.query()) for name in TABLES}
    charts = (
        {
            "weekly": weekly_chart(report),
            "timings": timing_chart(report),
            "completion": completion_chart(report),
            "disparity": outcome_chart(report.disparity),
        }
        if report
        else {}
    )
    page = render_template(
        "reports.html",
        period=period,
        errors=errors,
        tables=tables,
        links=links,
        chart=charts.get("weekly"),
        charts=charts,
        printable=request.args.get("view") == "print",
        print_link=url_for("web.reports", view="print", **period.query()),
    )
    return page, 400 if errors else 200


@bp.get("/reports")
@requires("supervise")
def reports() -> tuple[str, int]:
    """Show a period's figures with the weekly chart and links to the CSV exports."""
    return report_page(*asked_report())


@bp.get("/reports/<table>.csv")
@requires("supervise")
def report_csv(table: str) -> Response | tuple[str, int]:
    """Export one table of a period as CSV, with the same cells the page shows."""
    if table not in TABLES:
        abort(404)
    period, errors, report = asked_report()
    if report is None:
        # A bookmarked or edited link with a bad period: the page's form, to put it right.
        return report_page(period, errors, None)
    every = every_table(period, report)
    filename = f"lead-{table}-{period.first}-to-{period.last}.csv"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    return Response(every[table].csv(), content_type="text/csv; charset=utf-8", headers=headers)
