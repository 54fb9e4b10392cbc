"""The reports page and its CSV exports: supervisors only, same numbers in both (SPEC §9)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hotline.db import session_scope
from hotline.models import Officer, PlanEntry, Provider, User
from hotline.web.reports import TABLES, last_full_quarter
from tests.factories import add_referral, add_referred_participant
from tests.services import test_reports as service_fixture
from tests.web.conftest import Web

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")

TYPE_COLUMNS = ("arrest diversion", "social contact", "not set")
CHANNEL_COLUMNS = ("phone call", "text message", "web app")
FIXTURE_PERIOD = "from=2024-03-04&to=2024-03-17"


class TableCells(HTMLParser):
    """Collect the text of every cell of each `data-table` table, header row first."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.current = dict(attrs).get("data-table")
            if self.current:
                self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append([])
        elif tag in ("th", "td") and self.current:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None
        elif tag in ("th", "td") and self.current and self.cell is not None:
            text = "".join(self.cell).strip()
            self.tables[self.current][-1].append("" if text == "—" else text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """Return the cells of the report tables on a page."""
    parser = TableCells()
    parser.feed(html)
    return parser.tables


def csv_rows(web: Web, path: str) -> list[list[str]]:
    """Fetch a CSV export and return its rows."""
    answer = web.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))


@pytest.fixture
def fixture_rows(app: Flask) -> None:
    """Write the hand-computed fixture of the service tests (no app context kept open)."""
    with session_scope(app) as session:
        service_fixture.build_fixture(session)


class TestAccess:
    """Reports are for supervisors: coordinators get 403, strangers the login page."""

    @pytest.mark.parametrize("path", ["/reports", "/reports/weekly.csv"])
    def test_anonymous_is_sent_to_login(self, client: FlaskClient, path: str) -> None:
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")

    @pytest.mark.parametrize("path", ["/reports", "/reports/disparity.csv"])
    def test_coordinator_is_refused(self, as_coordinator: Web, path: str) -> None:
        assert as_coordinator.get(path).status_code == 403

    def test_supervisor_sees_the_page_linked_from_the_menu(self, as_supervisor: Web) -> None:
        html = as_supervisor.text("/reports")
        assert 'href="/reports"' in html and "<h1>Reports</h1>" in html

    def test_unknown_table_is_404(self, as_supervisor: Web) -> None:
        assert as_supervisor.get("/reports/secrets.csv").status_code == 404


class TestPage:
    """The page shows the hand-computed figures and an accessible chart."""

    def test_figures_of_the_fixture(self, fixture_rows: None, as_supervisor: Web) -> None:
        tables = page_tables(as_supervisor.text(f"/reports?{FIXTURE_PERIOD}&cost=1250.50"))
        assert set(tables) == set(TABLES)
        assert tables["weekly"] == [
            [*("Week", "Starts", "Days", "Total"), *CHANNEL_COLUMNS, *TYPE_COLUMNS],
            ["2024-W10", "2024-03-04", "7", "3", "1", "2", "0", "2", "0", "1"],
            ["2024-W11", "2024-03-11", "7", "2", "0", "1", "1", "1", "1", "0"],
            ["Total", "", "14", "5", "1", "3", "1", "3", "1", "1"],
        ]  # fmt: skip
        assert tables["calls"][1:] == [
            ["answered", "4"],
            ["voicemail", "1"],
            ["abandoned", "2"],
            ["missed (voicemail + abandoned)", "3"],
            ["no outcome yet", "1"],
            ["total", "8"],
        ]
        assert tables["timings"][1:] == [
            ["time to answer", "4", "0:00:25", "0:00:40"],
            ["time to ACK", "4", "0:02:30", "0:05:00"],
            ["time to assessment", "3", "0:15:00", "1:00:00"],
        ]
        assert tables["agencies"][1:] == [
            ["KCSO", "1", "0", "1", "0.0%"],
            ["SPD", "3", "1", "1", "50.0%"],
            ["unverified", "1", "0", "0", ""],
            ["all agencies", "5", "1", "2", "33.3%"],
        ]
        assert tables["officers"][1:] == [
            ["Alex Park", "SPD", "3", "1", "1", "50.0%"],
            ["Bo Chen", "KCSO", "1", "0", "1", "0.0%"],
            ["unverified", "", "1", "0", "0", ""],
        ]
        assert tables["disparity"][1:] == [
            ["all referrals (too few to show by group)", "5", "", "2", "1"]
        ]
        assert tables["disparity"][0] == [
            "Race/ethnicity",
            "Referrals",
            "Share",
            "Accepted",
            "Intake completed",
        ]
        assert tables["savings"][1:] == [
            ["arrest diversions accepted (bookings avoided)", "2"],
            ["cost per booking", "1250.50"],
            ["estimated savings", "2501.00"],
        ]

    def test_weeks_cut_by_the_period_start_on_its_first_day_and_count_their_days(
        self, fixture_rows: None, as_supervisor: Web
    ) -> None:
        # Wed 6 to Wed 13 March 2024: Mon 4 and Tue 5 (r1, r8) are not asked for.
        page = as_supervisor.text("/reports?from=2024-03-06&to=2024-03-13")
        assert page_tables(page)["weekly"][1:] == [
            ["2024-W10", "2024-03-06", "5", "1", "1", "0", "0", "0", "0", "1"],
            ["2024-W11", "2024-03-11", "3", "1", "0", "0", "1", "0", "1", "0"],
            ["Total", "", "8", "2", "1", "0", "1", "0", "1", "1"],
        ]  # fmt: skip
        assert "Week of Mar 06 (5 days): 1 by phone call" in page

    def test_chart_is_an_accessible_svg(self, fixture_rows: None, as_supervisor: Web) -> None:
        html = as_supervisor.text(f"/reports?{FIXTURE_PERIOD}")
        summary = (
            "Referrals per week by channel over 2 weeks: 5 in all, at most 3 in one week. "
            "The table below gives every number."
        )
        assert f'role="img" aria-label="{summary}"' in html
        assert f"<title>{summary}</title>" in html
        weekly = html[html.index('<section id="weekly"') : html.index("</section>")]
        assert weekly.count("<rect ") == 4  # week 1: voice and sms; week 2: sms and web
        assert (
            'height="136.0" fill="#1d6b3a"><title>Week of Mar 04: 2 by text message</title>' in html
        )
        assert not INLINE_SCRIPT.search(html)  # the app's own app.js only

    def test_channels_are_named_in_words_on_the_table_the_chart_and_the_export(
        self, fixture_rows: None, as_supervisor: Web
    ) -> None:
        # As the referral list names them, not as codes ("sms") in a board packet.
        html = as_supervisor.text(f"/reports?{FIXTURE_PERIOD}")
        words = ["phone call", "text message", "web app"]
        assert page_tables(html)["weekly"][0][4:7] == words
        assert csv_rows(as_supervisor, f"/reports/weekly.csv?{FIXTURE_PERIOD}")[0][4:7] == words
        weekly = html[html.index('<section id="weekly"') : html.index("</section>")]
        assert "<title>Week of Mar 04: 2 by text message</title>" in weekly
        legend = weekly[weekly.index("<figcaption>") : weekly.index("</figcaption>")]
        assert all(word in legend for word in words) and "sms" not in legend

    @pytest.mark.parametrize(
        ("completed", "missed", "rate"),
        [(1, 15, "6.3%"), (5, 11, "31.3%"), (7, 9, "43.8%"), (1, 2, "33.3%"), (2, 1, "66.7%")],
    )
    def test_a_rate_halfway_between_two_tenths_rounds_up_as_a_spreadsheet_does(
        self, app: Flask, as_supervisor: Web, completed: int, missed: int, rate: str
    ) -> None:
        # 5 of 16 is 31.25%: a reader checking the table with a calculator or ROUND()
        # gets 31.3%, where rounding half to even printed 31.2%.
        at = datetime(2024, 3, 5, 18, tzinfo=UTC)
        for status in ["intake_completed"] * completed + ["intake_missed"] * missed:
            add_referral(app, status=status, created_at=at)
        tables = page_tables(as_supervisor.text(f"/reports?{FIXTURE_PERIOD}"))
        assert tables["agencies"][-1] == [
            "all agencies",
            str(completed + missed),
            str(completed),
            str(missed),
            rate,
        ]

    def test_default_period_is_the_last_full_quarter(self, app: Flask, as_supervisor: Web) -> None:
        today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
        first, last = last_full_quarter(today)
        middle = datetime.combine(first + timedelta(days=40), datetime.min.time(), tzinfo=UTC)
        add_referral(app, created_at=middle)
        add_referral(app, created_at=datetime.now(UTC))  # this quarter: not in the default
        html = as_supervisor.text("/reports")
        assert f'value="{first}"' in html and f'value="{last}"' in html
        weekly = page_tables(html)["weekly"]
        # the days and the total of the period
        assert weekly[-1][2:4] == [str((last - first).days + 1), "1"]

    def test_a_start_alone_runs_to_today(self, app: Flask, as_supervisor: Web) -> None:
        # The end field emptied: not "start on or before the end date" against last quarter's end.
        today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
        first = today - timedelta(days=3)
        for query in (f"from={first}", f"from={first}&to="):
            answer = as_supervisor.get(f"/reports?{query}")
            assert answer.status_code == 200, answer.get_data(as_text=True)
            html = answer.get_data(as_text=True)
            assert f'id="from" name="from" value="{first}"' in html
            assert f'id="to" name="to" value="{today}"' in html

    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            (date(2027, 1, 5), (date(2026, 10, 1), date(2026, 12, 31))),
            (date(2027, 3, 31), (date(2026, 10, 1), date(2026, 12, 31))),
            (date(2027, 4, 1), (date(2027, 1, 1), date(2027, 3, 31))),
            (date(2027, 11, 30), (date(2027, 7, 1), date(2027, 9, 30))),
        ],
    )
    def test_last_full_quarter(self, today: date, expected: tuple[date, date]) -> None:
        assert last_full_quarter(today) == expected

    def test_response_times_completion_and_outcomes_are_charted(
        self, fixture_rows: None, as_supervisor: Web
    ) -> None:
        html = as_supervisor.text(f"/reports?{FIXTURE_PERIOD}")
        assert '<title id="timings-chart-summary">Response times. time to answer: median' in html
        assert '<title id="completion-chart-summary">Intake completion by week' in html
        assert '<title id="outcomes-chart-summary">Outcomes by self-reported race' in html
        assert not INLINE_SCRIPT.search(html)  # the app's own app.js only

    def test_printable_view_has_no_forms_or_navigation(
        self, fixture_rows: None, as_supervisor: Web
    ) -> None:
        page = as_supervisor.text(f"/reports?{FIXTURE_PERIOD}")
        link = re.search(r'href="([^"]+)" id="print-view"', page)
        assert link
        printable = as_supervisor.text(link.group(1).replace("&amp;", "&"))
        assert '<main id="main" class="printable">' in printable
        assert 'class="row no-print"' in printable and "Back to the full page" in printable

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("from=2024-13-01", "Give a date as YYYY-MM-DD."),
            ("from=2024-03-10&to=2024-03-01", "Start on or before the end date."),
            ("from=2020-01-01&to=2024-01-01", "Ask for at most"),
            ("cost=lots", "Give the cost of one booking as a number"),
            ("cost=-5", "Give the cost of one booking as a number"),
        ],
    )
    def test_bad_form_is_400_with_the_reason(
        self, as_supervisor: Web, query: str, message: str
    ) -> None:
        answer = as_supervisor.get(f"/reports?{query}")
        assert answer.status_code == 400 and message in answer.get_data(as_text=True)
        assert as_supervisor.get(f"/reports/weekly.csv?{query}").status_code == 400

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("from=2024-02-30", "Give a date as YYYY-MM-DD."),
            ("from=2024-03-10&to=2024-03-01", "Start on or before the end date."),
        ],
    )
    def test_a_bad_period_for_an_export_is_the_styled_page_with_the_reason(
        self, as_supervisor: Web, query: str, message: str
    ) -> None:
        # A bookmarked or hand-edited export link is refused with the form to fix, not bare text.
        answer = as_supervisor.get(f"/reports/officers.csv?{query}")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400 and answer.mimetype == "text/html"
        assert "<h1>Reports</h1>" in page and 'href="/referrals"' in page
        assert f'class="field-error" id="from-error">{message}</p>' in page

    def test_cost_defaults_to_the_configured_one(
        self, app: Flask, fixture_rows: None, as_supervisor: Web
    ) -> None:
        assert page_tables(as_supervisor.text(f"/reports?{FIXTURE_PERIOD}"))["savings"][2:] == [
            ["cost per booking", "0.00"],
            ["estimated savings", "0.00"],
        ]
        app.config["HOTLINE_BOOKING_COST"] = 3000
        savings = page_tables(as_supervisor.text(f"/reports?{FIXTURE_PERIOD}"))["savings"]
        assert savings[2:] == [["cost per booking", "3000.00"], ["estimated savings", "6000.00"]]

    @pytest.mark.parametrize("typed", ["-0", "-0.00"])
    def test_a_cost_of_minus_zero_reads_as_zero(
        self, fixture_rows: None, as_supervisor: Web, typed: str
    ) -> None:
        page = as_supervisor.text(f"/reports?{FIXTURE_PERIOD}&cost={typed}")
        assert page_tables(page)["savings"][2:] == [
            ["cost per booking", "0.00"],
            ["estimated savings", "0.00"],
        ]


class TestSuppression:
    """Four people of a group are hidden with no share; five are shown."""

    @pytest.mark.parametrize(
        ("size", "shown"), [(4, ["Asian", "hidden", ""]), (5, ["Asian", "5", "50.0%"])]
    )
    def test_four_versus_five(
        self, fixture_rows: None, app: Flask, as_supervisor: Web, size: int, shown: list[str]
    ) -> None:
        april = service_fixture.START + timedelta(days=30)  # the fixture's referrals are in March
        with session_scope(app) as session:
            for group, people in (("Asian", size), ("White", 10 - size)):
                for _ in range(people):
                    referral = service_fixture.add_referral(session, april)
                    service_fixture.assess(session, referral, 60, race_ethnicity=group)
        query = "from=2024-04-01&to=2024-04-07"
        html = as_supervisor.text(f"/reports?{query}")
        rows = page_tables(html)["disparity"]
        assert rows[1][:3] == shown
        # a suppressed group is said so in the outcomes chart, never drawn
        assert ("Asian: accepted hidden, intake completed hidden" in html) == (size < 5)
        assert csv_rows(as_supervisor, f"/reports/disparity.csv?{query}")[1][:3] == shown

    def test_a_count_hidden_beside_a_small_one_is_not_said_to_be_under_five(
        self, fixture_rows: None, app: Flask, as_supervisor: Web
    ) -> None:
        april = service_fixture.START + timedelta(days=30)
        with session_scope(app) as session:
            for group, people in (("Asian", 3), ("White", 6), ("Black or African American", 10)):
                for _ in range(people):
                    referral = service_fixture.add_referral(session, april)
                    service_fixture.assess(session, referral, 60, race_ethnicity=group)
        query = "from=2024-04-01&to=2024-04-07"
        html = as_supervisor.text(f"/reports?{query}")
        counts = {row[0]: row[1] for row in page_tables(html)["disparity"][1:]}
        # White's 6 is hidden so that Asian's 3 cannot be worked out: it is not "<5".
        assert (counts["Asian"], counts["White"]) == ("hidden", "hidden")
        assert "&lt;5" not in html
        csv = {row[0]: row[1] for row in csv_rows(as_supervisor, f"/reports/disparity.csv?{query}")}
        assert csv["White"] == "hidden"

    def test_a_group_alone_is_shown_as_all_referrals(
        self, fixture_rows: None, app: Flask, as_supervisor: Web
    ) -> None:
        april = service_fixture.START + timedelta(days=30)
        with session_scope(app) as session:
            for _ in range(3):
                referral = service_fixture.add_referral(session, april)
                service_fixture.assess(session, referral, 60, race_ethnicity="Asian")
        query = "from=2024-04-01&to=2024-04-07"
        everyone = ["all referrals (too few to show by group)", "3", ""]
        page = as_supervisor.text(f"/reports?{query}")
        assert page_tables(page)["disparity"][1][:3] == everyone
        assert "Asian" not in page  # in no cell, bar or chart summary
        assert csv_rows(as_supervisor, f"/reports/disparity.csv?{query}")[1:] == [
            [*everyone, "3", "0"]
        ]


def test_the_reports_own_group_names_are_catalog_words(
    fixture_rows: None, as_supervisor: Web, bracketed_words: None
) -> None:
    # "all agencies" and "unverified" are the report's words, not an agency's or officer's
    # name: a later web language says them, while stored names stay as they are written.
    tables = page_tables(as_supervisor.get(f"/reports?{FIXTURE_PERIOD}").get_data(as_text=True))
    assert [row[0] for row in tables["agencies"][1:]] == [
        "KCSO",
        "SPD",
        "[[unverified]]",
        "[[all agencies]]",
    ]
    assert [row[0] for row in tables["officers"][1:]] == ["Alex Park", "Bo Chen", "[[unverified]]"]


class TestCsv:
    """Each export holds exactly the cells of the page's table."""

    @pytest.mark.parametrize("table", TABLES)
    def test_csv_equals_the_page(self, fixture_rows: None, as_supervisor: Web, table: str) -> None:
        query = f"{FIXTURE_PERIOD}&cost=99.90"
        page = page_tables(as_supervisor.text(f"/reports?{query}"))[table]
        assert csv_rows(as_supervisor, f"/reports/{table}.csv?{query}") == page

    def test_excel_reads_the_export_as_utf_8(self, fixture_rows: None, as_supervisor: Web) -> None:
        # Without the byte-order mark Excel reads UTF-8 as its own code page: Peña as PeÃ±a.
        answer = as_supervisor.get(f"/reports/officers.csv?{FIXTURE_PERIOD}")
        assert answer.content_type == "text/csv; charset=utf-8"
        assert answer.data.startswith("\ufeff".encode())
        assert not answer.data[3:].startswith("\ufeff".encode())

    def test_a_spreadsheet_runs_nothing_an_officer_or_agency_name_holds(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        # OWASP CSV injection: a cell starting =, +, - or @ would be a formula in Excel.
        named = [('=HYPERLINK("http://x","y")', "+SPD"), ("@SUM(A1)", "-KCSO"), ("Peña", "SPD")]
        with session_scope(app) as session:
            for n, (name, agency) in enumerate(named):
                phone = f"+1206555{n:04d}"
                officer = Officer(name=name, badge=f"9{n}", agency=agency, phone=phone)
                officer.created_at = service_fixture.START
                session.add(officer)
                session.flush()
                service_fixture.add_referral(session, service_fixture.START, officer_id=officer.id)
        rows = csv_rows(as_supervisor, f"/reports/officers.csv?{FIXTURE_PERIOD}")
        assert [row[:2] for row in rows[1:]] == [
            ['\'=HYPERLINK("http://x","y")', "'+SPD"],
            ["'@SUM(A1)", "'-KCSO"],
            ["Peña", "SPD"],
        ]
        agencies = csv_rows(as_supervisor, f"/reports/agencies.csv?{FIXTURE_PERIOD}")
        assert [row[0] for row in agencies[1:]] == ["'+SPD", "'-KCSO", "SPD", "all agencies"]

    def test_referred_again_is_told_against_those_followed_that_long(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        now = datetime.now(UTC)
        add_referred_participant(app, now - timedelta(days=300), now - timedelta(days=250))
        add_referred_participant(app, now - timedelta(days=20))
        period = f"from={(now - timedelta(days=400)).date()}&to={now.date()}"
        rows = dict(csv_rows(as_supervisor, f"/reports/participants.csv?{period}")[1:])
        assert rows["first referred in the period"] == "2"
        assert rows["first referred 6 months ago or more"] == "1"  # not the one of last month
        assert rows["of those, referred again within 6 months"] == "1"
        assert rows["first referred 12 months ago or more"] == "0"
        assert rows["of those, referred again within 12 months"] == "0"

    def test_download_is_named_for_the_period(self, fixture_rows: None, as_supervisor: Web) -> None:
        answer = as_supervisor.get(f"/reports/officers.csv?{FIXTURE_PERIOD}")
        assert answer.headers["Content-Disposition"] == (
            'attachment; filename="lead-officers-2024-03-04-to-2024-03-17.csv"'
        )

    def test_page_links_every_export_for_its_period(
        self, fixture_rows: None, as_supervisor: Web
    ) -> None:
        html = as_supervisor.text(f"/reports?{FIXTURE_PERIOD}&cost=10")
        for table in TABLES:
            assert f"/reports/{table}.csv?from=2024-03-04&amp;to=2024-03-17&amp;cost=10.00" in html


class TestPlanTables:
    """The service plan by provider reads as the directory does."""

    def test_providers_in_name_order_inactive_marked_and_no_provider_last(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        # "no provider yet" sorted among the names, after "iCare Clinic" or before
        # "Recovery Cafe" by the letters' codes, and a closed provider bore no mark.
        at = datetime(2024, 3, 5, tzinfo=UTC)
        person = add_referred_participant(app, at)
        with session_scope(app) as session:
            ids = {}
            for name, active in [("iCare Clinic", True), ("Old Shelter", False), ("Zeta", True)]:
                provider = Provider(name=name, needs=["housing"], active=active, created_at=at)
                session.add(provider)
                session.flush()
                ids[name] = provider.id
            for provider_id in [ids["Zeta"], ids["iCare Clinic"], ids["Old Shelter"], None]:
                session.add(
                    PlanEntry(
                        participant_id=person,
                        need="housing",
                        provider_id=provider_id,
                        status="planned",
                        created_at=at,
                        updated_at=at,
                    )
                )
        table = page_tables(as_supervisor.text(f"/reports?{FIXTURE_PERIOD}"))["plan_providers"]
        assert [row[0] for row in table[1:]] == [
            "iCare Clinic",
            "Old Shelter (inactive)",
            "Zeta",
            "no provider yet",
            "Total",
        ]

    def test_a_later_web_language_says_each_need_and_no_provider_in_its_own_words(
        self, app: Flask, as_supervisor: Web, bracketed_words: None
    ) -> None:
        # A need showed as its code ("substance use" from substance_use) and "no provider
        # yet" was an English literal from the report service: neither was in the catalog.
        at = datetime(2024, 3, 5, tzinfo=UTC)
        person = add_referred_participant(app, at)
        with session_scope(app) as session:
            entry = PlanEntry(participant_id=person, need="substance_use", status="planned")
            entry.created_at = entry.updated_at = at
            session.add(entry)
        tables = page_tables(as_supervisor.text(f"/reports?{FIXTURE_PERIOD}"))
        assert [row[0] for row in tables["plan_needs"][1:]] == ["[[substance use]]", "[[Total]]"]
        assert [row[0] for row in tables["plan_providers"][1:]] == [
            "[[no provider yet]]",
            "[[Total]]",
        ]


def test_a_spanish_supervisor_reads_the_report_words_the_services_write_in_spanish(
    fixture_rows: None,
    app: Flask,
    supervisor: User,
    as_supervisor: Web,
    spanish_pages: Callable[[User, dict[str, str]], None],
) -> None:
    spanish_pages(
        supervisor,
        {
            "arrest diversion": "desvío de arresto",
            "not set": "sin tipo",
            "time to ACK": "tiempo hasta el ACK",
            "hidden": "oculto",
            "6 months": "6 meses",
            "of those, referred again within {span}": "de ellos, derivados de nuevo en {span}",
        },
    )
    tables = page_tables(as_supervisor.text(f"/reports?{FIXTURE_PERIOD}"))
    assert {"desvío de arresto", "sin tipo"} <= set(tables["weekly"][0])
    assert "tiempo hasta el ACK" in [row[0] for row in tables["timings"]]
    april = service_fixture.START + timedelta(days=30)
    with session_scope(app) as session:
        for group, people in (("Asian", 4), ("White", 6)):
            for _ in range(people):
                referral = service_fixture.add_referral(session, april)
                service_fixture.assess(session, referral, 60, race_ethnicity=group)
    query = "from=2024-04-01&to=2024-04-07"
    assert page_tables(as_supervisor.text(f"/reports?{query}"))["disparity"][1][1] == "oculto"
    assert csv_rows(as_supervisor, f"/reports/disparity.csv?{query}")[1][1] == "oculto"
    participants = dict(csv_rows(as_supervisor, f"/reports/participants.csv?{query}")[1:])
    assert "de ellos, derivados de nuevo en 6 meses" in participants


def test_a_spanish_supervisor_reads_every_label_of_the_period_form_in_spanish(
    supervisor: User,
    as_supervisor: Web,
    spanish_pages: Callable[[User, dict[str, str]], None],
) -> None:
    spanish_pages(supervisor, {"From": "Desde", "To (included)": "Hasta (incluido)"})
    page = as_supervisor.text("/reports?from=2024-03-04&to=2024-03-17")
    labels = re.findall(r'<label for="(from|to)">([^<]*)</label>', page)
    assert labels == [("from", "Desde"), ("to", "Hasta (incluido)")]
