"""Report figures against hand-computed fixtures: weeks across DST, percentiles, suppression."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count, product
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Assessment, Call, Officer, Referral, User
from hotline.services.disparity import TOO_FEW, DisparityRow
from hotline.services.reports import (
    GroupCount,
    ReferralFacts,
    Report,
    Timing,
    disparity,
    intake_groups,
    load_report,
    nearest_rank,
    timing,
    week_start,
    weekly,
)

ZONE = ZoneInfo("America/Los_Angeles")
# Monday 4 March 2024 00:00 PST to Monday 18 March 00:00 PDT: DST starts on Sunday 10 March.
START = datetime(2024, 3, 4, 8, tzinfo=UTC)
END = datetime(2024, 3, 18, 7, tzinfo=UTC)
_sids = count(1)


def facts(race: str | None = None, **fields: Any) -> ReferralFacts:
    """Return one arrest diversion's facts, created at START unless told otherwise."""
    fields = {"id": 1, "channel": "sms", "type": "arrest_diversion", "status": "received", **fields}
    return ReferralFacts(**{"created_at": START, "race_ethnicity": race, **fields})


def add_referral(
    session: Session, created_at: datetime, ack_after: int | None = None, **fields: object
) -> Referral:
    """Add a referral row with known times (acknowledged `ack_after` seconds after creation)."""
    values: dict[str, object] = {"channel": "sms", "type": "arrest_diversion", **fields}
    if ack_after is not None:
        values["acknowledged_at"] = created_at + timedelta(seconds=ack_after)
    referral = Referral(status=values.pop("status", "received"), created_at=created_at, **values)
    session.add(referral)
    session.flush()
    return referral


def assess(session: Session, referral: Referral, after: int, **fields: Any) -> None:
    """Add the referral's next assessment version, completed `after` seconds after creation."""
    versions = select(func.count()).where(Assessment.referral_id == referral.id)
    session.add(
        Assessment(
            referral_id=referral.id,
            version=1 + (session.scalar(versions) or 0),
            offense="possession",
            consent_confirmed=True,
            completed_by=session.scalar(select(User.id).limit(1)),
            completed_at=referral.created_at + timedelta(seconds=after),
            **{"disposition": "accepted", **fields},
        )
    )
    session.flush()


def add_call(session: Session, started_at: datetime, outcome: str | None, after: int = 0) -> None:
    """Add a call with a known outcome, answered `after` seconds after it started."""
    session.add(
        Call(
            call_sid=f"CA{next(_sids):032d}",
            from_number="+12065550177",
            to_number="+12065550100",
            status="completed",
            call_outcome=outcome,
            started_at=started_at,
            answered_at=started_at + timedelta(seconds=after) if after else None,
        )
    )


def build_fixture(session: Session) -> None:
    """Write the referrals, assessments and calls whose figures the tests compute by hand.

    In [START, END): r1 (Mon 4 Mar 00:00 PST, the first instant), r3 (Sun 10 Mar
    23:30 PDT, still the first week although Monday in UTC), r4 (Mon 11 Mar
    00:00 PDT), r5 (Sun 17 Mar 23:59 PDT, the last minute), r8. Outside it or not
    counted: r2 (a minute early), r6 (END itself), r7 (not a referral).
    """
    now = datetime(2024, 1, 1, tzinfo=UTC)
    cora = User(name="Cora", email="c@example.org", phone="+12065550111", role="coordinator")
    cora.created_at = now
    session.add(cora)
    alex = Officer(name="Alex Park", badge="11", agency="SPD", phone="+12065550121", created_at=now)
    bo = Officer(name="Bo Chen", badge="22", agency="KCSO", phone="+12065550122", created_at=now)
    session.add_all([alex, bo])
    session.flush()
    r1 = add_referral(session, START, 120, officer_id=alex.id, status="intake_completed")
    assess(session, r1, 600, race_ethnicity="White")
    assess(
        session, r1, 1200, race_ethnicity="Black or African American"
    )  # the latest version's answer counts
    add_referral(session, START - timedelta(minutes=1), officer_id=alex.id)  # r2
    add_referral(session, datetime(2024, 3, 11, 6, 30, tzinfo=UTC), channel="voice", type=None)
    add_referral(  # r4
        session,
        datetime(2024, 3, 11, 7, tzinfo=UTC),
        300,
        channel="web",
        type="social_contact",
        officer_id=bo.id,
        status="intake_missed",
    )
    r5_at = datetime(2024, 3, 18, 6, 59, tzinfo=UTC)
    r5 = add_referral(session, r5_at, 60, officer_id=alex.id, status="intake_missed")
    assess(session, r5, 3600, disposition="declined")
    assess(session, r5, 7200, race_ethnicity="  Black ")  # accepted at last: a booking avoided
    add_referral(session, END, officer_id=alex.id)  # r6
    add_referral(session, START + timedelta(days=1), status="not_a_referral")  # r7
    r8_at = datetime(2024, 3, 5, 17, tzinfo=UTC)
    r8 = add_referral(session, r8_at, 180, officer_id=alex.id, status="declined")
    assess(session, r8, 900)
    assess(session, r8, 1000, disposition="declined")  # no longer a booking avoided
    call_at = datetime(2024, 3, 5, 10, tzinfo=UTC)
    for seconds in (30, 10, 40, 20):
        add_call(session, call_at, "answered", seconds)
    add_call(session, call_at, "voicemail")
    add_call(session, call_at, "abandoned")
    add_call(session, call_at, "abandoned")
    add_call(session, call_at, None)  # still ringing
    add_call(session, START - timedelta(seconds=1), "answered", 500)  # before the period
    session.commit()


@pytest.fixture
def report(session: Session) -> Report:
    build_fixture(session)
    return load_report(session, START, END, ZONE, Decimal("1250.50"))


class TestPercentiles:
    """Median from statistics, 90th percentile by nearest rank, None without data."""

    @pytest.mark.parametrize(
        ("values", "expected"),
        [
            ([], None),
            ([7.0], 7.0),
            ([float(n) for n in range(1, 11)], 9.0),  # rank ceil(9.0) = 9
            ([float(n) for n in range(1, 12)], 10.0),  # rank ceil(9.9) = 10
            ([float(n) for n in range(70, 0, -1)], 63.0),  # 0.9 × 70 drifts above 63 in floats
        ],
    )
    def test_nearest_rank_90th(self, values: list[float], expected: float | None) -> None:
        assert nearest_rank(values, 90) == expected

    def test_timing_of_no_delays_is_empty(self) -> None:
        assert timing("time to ACK", []) == Timing("time to ACK", 0, None, None)

    def test_timing_of_even_count_takes_the_middle_mean(self) -> None:
        delays = [timedelta(seconds=s) for s in (40, 10, 30, 20)]
        assert timing("time to answer", delays) == Timing("time to answer", 4, 25.0, 40.0)


class TestWeeks:
    """Referrals are counted in local weeks starting on Monday, across DST changes."""

    @pytest.mark.parametrize(
        ("instant", "monday"),
        [
            (datetime(2024, 3, 4, 7, 59, tzinfo=UTC), date(2024, 2, 26)),  # Sun 23:59 PST
            (datetime(2024, 3, 4, 8, 0, tzinfo=UTC), date(2024, 3, 4)),  # Mon 00:00 PST
            (datetime(2024, 3, 11, 6, 59, tzinfo=UTC), date(2024, 3, 4)),  # Sun 23:59 PDT
            (datetime(2024, 3, 11, 7, 0, tzinfo=UTC), date(2024, 3, 11)),  # Mon 00:00 PDT
            (datetime(2024, 11, 3, 8, 30, tzinfo=UTC), date(2024, 10, 28)),  # 01:30 PST, repeated
            (datetime(2024, 11, 4, 7, 59, tzinfo=UTC), date(2024, 10, 28)),  # Sun 23:59 PST
            (datetime(2024, 11, 4, 8, 0, tzinfo=UTC), date(2024, 11, 4)),  # Mon 00:00 PST
        ],
    )
    def test_week_start_is_the_local_monday(self, instant: datetime, monday: date) -> None:
        assert week_start(instant, ZONE) == monday

    def test_empty_weeks_are_listed_with_zeros(self) -> None:
        end = datetime(2024, 3, 25, 7, tzinfo=UTC)  # Monday 00:00 PDT: no fourth week
        weeks = weekly([facts(created_at=START)], START, end, ZONE)
        assert [(w.week_start, w.total) for w in weeks] == [
            (date(2024, 3, 4), 1),
            (date(2024, 3, 11), 0),
            (date(2024, 3, 18), 0),
        ]
        assert weeks[1].by_channel == {"voice": 0, "sms": 0, "web": 0}

    def test_a_week_cut_by_the_period_says_which_days_it_counts(self) -> None:
        # Wed 3 Nov 2027 to Tue 9 Nov 2027 in Los Angeles; the clocks fall back on Sun 7 Nov.
        start = datetime(2027, 11, 3, 7, tzinfo=UTC)  # Wed 00:00 PDT
        end = datetime(2027, 11, 10, 8, tzinfo=UTC)  # Wed 00:00 PST
        sunday_night = datetime(2027, 11, 8, 7, 30, tzinfo=UTC)  # Sun 23:30 PST
        weeks = weekly([facts(created_at=sunday_night)], start, end, ZONE)
        assert [(w.week_start, w.first_day, w.days, w.total) for w in weeks] == [
            (date(2027, 11, 1), date(2027, 11, 3), 5, 1),  # Wed to Sun: Mon and Tue are not asked
            (date(2027, 11, 8), date(2027, 11, 8), 2, 0),  # Mon and Tue
        ]
        whole = weekly([], datetime(2027, 11, 1, 7, tzinfo=UTC), end, ZONE)[0]
        assert (whole.first_day, whole.days) == (date(2027, 11, 1), 7)

    def test_fixture_weeks_by_channel_and_type(self, report: Report) -> None:
        first, second = report.weeks
        assert (first.week_start, first.total, second.week_start, second.total) == (
            date(2024, 3, 4),
            3,
            date(2024, 3, 11),
            2,
        )
        assert first.by_channel == {"voice": 1, "sms": 2, "web": 0}
        assert first.by_type == {"arrest_diversion": 2, "social_contact": 0, "not set": 1}
        assert second.by_channel == {"voice": 0, "sms": 1, "web": 1}
        assert second.by_type == {"arrest_diversion": 1, "social_contact": 1}


class TestFigures:
    """Every figure of the fixture, computed by hand in build_fixture's docstring order."""

    def test_calls_by_outcome(self, report: Report) -> None:
        calls = report.calls
        assert (calls.answered, calls.voicemail, calls.abandoned, calls.unresolved) == (4, 1, 2, 1)
        assert (calls.missed, calls.total) == (3, 8)

    def test_timings(self, report: Report) -> None:
        assert report.timings == [
            Timing("time to answer", 4, 25.0, 40.0),  # 10 20 30 40
            Timing("time to ACK", 4, 150.0, 300.0),  # 60 120 180 300
            Timing("time to assessment", 3, 900.0, 3600.0),  # first versions: 600 900 3600
        ]

    def test_intake_by_agency_and_officer(self, report: Report) -> None:
        assert report.intake == GroupCount("all agencies", "", 5, 1, 2, worded=True)
        assert report.intake.rate == pytest.approx(1 / 3)
        assert report.agencies == [
            GroupCount("KCSO", "", 1, 0, 1),
            GroupCount("SPD", "", 3, 1, 1),
            GroupCount("unverified", "", 1, 0, 0, worded=True),
        ]
        assert [g.rate for g in report.agencies] == [0.0, 0.5, None]
        assert report.officers == [
            GroupCount("Alex Park", "SPD", 3, 1, 1),
            GroupCount("Bo Chen", "KCSO", 1, 0, 1),
            GroupCount("unverified", "", 1, 0, 0, worded=True),
        ]

    def test_disparity_uses_the_latest_assessment(self, report: Report) -> None:
        # r1 and r5 Black (2, one intake completed), r3 r4 r8 not recorded (3): Black's
        # hidden 1-4 completed would be the page's whole 1 completed, so it is one row.
        assert report.disparity == [DisparityRow(TOO_FEW, 5, None, 2, 1)]

    def test_bookings_avoided_and_savings(self, report: Report) -> None:
        assert report.bookings_avoided == 2  # r1 and r5; r8's latest is declined
        assert report.savings == Decimal("2501.00")

    def test_empty_period(self, session: Session) -> None:
        empty = load_report(session, START, END, ZONE, Decimal(0))
        assert [w.total for w in empty.weeks] == [0, 0]
        assert empty.agencies == empty.officers == empty.disparity == []
        assert empty.intake.rate is None and empty.bookings_avoided == 0
        assert all(t.median is None and t.p90 is None for t in empty.timings)


class TestSuppression:
    """Counts under 5 are hidden, and never just one in a column (complementary suppression)."""

    @pytest.mark.parametrize(
        ("size", "expected"),
        [(4, ("Asian", None, None)), (5, ("Asian", 5, 5 / 15))],
    )
    def test_threshold_is_five(self, size: int, expected: tuple[object, ...]) -> None:
        rows = [facts("Asian")] * size + [facts("White")] * (15 - size)
        first = disparity(rows)[0]
        assert (first.group, first.count, first.share) == expected

    def test_one_hidden_count_hides_the_next_smallest_so_the_total_reveals_neither(self) -> None:
        rows = (
            [facts(None)] * 7
            + [facts("White")] * 6
            + [facts("Asian")] * 2
            + [facts("Black or African American")] * 9
        )
        counts = {row.group: row.count for row in disparity(rows)}
        assert counts == {
            "Asian": None,
            "Black or African American": 9,
            "White": None,
            "not recorded": 7,
        }

    def test_outcomes_are_suppressed_the_same_way(self) -> None:
        accepted = {"disposition": "accepted", "status": "intake_completed"}
        rows = [facts("White", **accepted)] * 6 + [
            facts("Black or African American", **accepted)
        ] * 3
        rows += [facts("Black or African American")] * 5 + [facts("Asian", **accepted)] * 8
        table = {row.group: (row.count, row.accepted, row.completed) for row in disparity(rows)}
        # Black's 3 accepted is hidden; White's 6, the next smallest, is hidden with it.
        assert table == {
            "Asian": (8, 8, 8),
            "Black or African American": (8, None, None),
            "White": (6, None, None),
        }

    def test_a_group_alone_is_one_row_of_all_referrals(self) -> None:
        accepted = {"disposition": "accepted", "status": "intake_completed"}
        rows = [facts("Black or African American", **accepted)] * 2 + [
            facts("Black or African American")
        ]
        # "Black <5" beside a total of 3 would say all three were Black.
        assert disparity(rows) == [DisparityRow(TOO_FEW, 3, None, 2, 2)]
        assert [row.group for row in disparity([facts("Asian")] * 4 + [facts(None)] * 4)] == [
            TOO_FEW
        ]

    def test_a_group_whose_count_is_hidden_has_its_outcomes_hidden_too(self) -> None:
        accepted = {"disposition": "accepted"}
        rows = (
            [facts("Asian")] * 2
            + [facts("White", **accepted)] * 6
            + [facts("Black or African American")] * 9
        )
        rows += [facts("Black or African American", **accepted)] * 5
        table = {row.group: (row.count, row.accepted) for row in disparity(rows)}
        # White's 6 is hidden beside Asian's 2; its 6 accepted would show it is at least 6.
        assert table == {
            "Asian": (None, None),
            "Black or African American": (14, 5),
            "White": (None, None),
        }

    @pytest.mark.parametrize(
        "groups",
        [
            # 9 and 9 referred, 4 and 4 completed: both "<5" beside the page's total of 8.
            {"Asian": (9, 4, 4), "Black or African American": (9, 4, 4)},
            # 3 of 10 and 5 of 5: Black's hidden 5 can be no more than its shown count.
            {"Asian": (10, 3, 3), "Black or African American": (5, 5, 5)},
            # White and Black, hidden, have 5 referrals between them, so at most 5 accepted:
            # Asian's hidden accepted is then at least 9 - 5 = 4, and under 5.
            {"Asian": (5, 4, 2), "Black or African American": (2, 2, 2), "White": (3, 3, 0)},
            # 15 referred, 14 accepted: one was not. Hispanic, 5 or more with under 5 accepted,
            # is that one: exactly 5 referred, 4 accepted, though all three rows are hidden.
            {
                "Black or African American": (9, 9, 2),
                "Hispanic or Latino": (5, 4, 2),
                "White": (1, 1, 1),
            },
        ],
    )
    def test_no_hidden_outcome_can_be_worked_out_from_its_total_and_the_counts(
        self, groups: dict[str, tuple[int, int, int]]
    ) -> None:
        rows: list[ReferralFacts] = []
        for race, (referred, accepted, completed) in groups.items():
            for index in range(referred):
                outcome = {
                    "disposition": "accepted" if index < accepted else None,
                    "status": "intake_completed" if index < completed else "received",
                }
                rows.append(facts(race, **outcome))
        table = disparity(rows)
        if [row.group for row in table] == [TOO_FEW]:
            return
        # Every column's total is on the page (referrals per week, bookings avoided, the
        # intake row of all agencies). A reader knows which hidden cells are under 5, and
        # that no group has more outcomes than referrals: every table they could be reading.
        totals = [sum(numbers[column] for numbers in groups.values()) for column in range(3)]
        choices = []
        for row in table:
            actual = groups[row.group]
            cells = [row.count, row.accepted, row.completed]
            ways = [
                [cell] if cell is not None else could_be_hidden(actual[column], totals[column])
                for column, cell in enumerate(cells)
            ]
            choices.append([w for w in product(*ways) if w[1] <= w[0] and w[2] <= w[0]])
        readings = [
            w
            for w in product(*choices)
            if all(sum(way[column] for way in w) == totals[column] for column in range(3))
        ]
        for index, row in enumerate(table):
            for column, cell in enumerate([row.count, row.accepted, row.completed]):
                if cell is None:
                    seen = {reading[index][column] for reading in readings}
                    assert len(seen) > 1, (row.group, column, seen, table)

    def test_blank_answers_are_not_recorded_and_listed_last(self) -> None:
        rows = [facts(None)] * 5 + [facts(" ")] * 2 + [facts("White")] * 6 + [facts("Asian")]
        assert [row.group for row in disparity(rows)] == ["Asian", "White", "not recorded"]
        assert [row.count for row in disparity(rows)] == [None, None, 7]  # 1 and the next

    def test_a_description_outside_the_forms_choices_is_counted_as_another_not_named(
        self,
    ) -> None:
        # Through the API a description is free text: "Hmong" for one person names them
        # to anyone who knows who was referred, even with the count hidden.
        rows = [facts("Hmong")] + [facts("Tlingit")] * 5 + [facts("White")] * 6
        table = disparity(rows)
        assert [row.group for row in table] == ["Another race or ethnicity", "White"]
        assert [row.count for row in table] == [6, 6]

    def test_the_forms_choices_count_as_one_group_whatever_their_case(self) -> None:
        rows = [facts("White")] * 3 + [facts("white ")] * 2 + [facts("Hispanic or Latino")] * 5
        counts = {row.group: row.count for row in disparity(rows)}
        assert counts == {"Hispanic or Latino": 5, "White": 5}


def could_be_hidden(value: int, most: int) -> list[int]:
    """Return what a hidden cell may hold to a reader who knows if it is under 5."""
    return list(range(5, most + 1) if value >= 5 else range(0 if value == 0 else 1, 5))


class TestGroups:
    """Agency and officer groups from plain facts."""

    def test_unverified_referrals_form_one_group(self) -> None:
        rows = [facts(officer_id=None), facts(officer_id=None, status="intake_completed")]
        assert intake_groups(rows, per_officer=True) == [
            GroupCount("unverified", "", 2, 1, 0, worded=True)
        ]

    def test_officers_with_one_name_stay_apart(self) -> None:
        rows = [
            facts(officer_id=1, officer_name="Sam Lee", agency="SPD"),
            facts(officer_id=2, officer_name="Sam Lee", agency="KCSO"),
        ]
        assert len(intake_groups(rows, per_officer=True)) == 2
        assert len(intake_groups(rows, per_officer=False)) == 2

    def test_one_agency_written_in_other_cases_and_spaces_is_one_group(self) -> None:
        rows = [
            facts(officer_id=1, agency="SPD", status="intake_completed"),
            facts(officer_id=2, agency="SPD"),
            facts(officer_id=3, agency="Spd "),
            facts(officer_id=4, agency="King  County SO", status="intake_missed"),
            facts(officer_id=5, agency="king county so"),
        ]
        assert intake_groups(rows, per_officer=False) == [
            GroupCount("King County SO", "", 2, 0, 1),  # a tie: the spelling met first
            GroupCount("SPD", "", 3, 1, 0),  # the spelling most used
        ]
