"""Report figures over a period: referrals per week, calls, timings, intake, disparity (SPEC §9).

The store loads plain facts; pure functions of them compute every figure. A
period is half-open, [start, end), in UTC; weeks start on Monday in the program zone.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..i18n import N_
from ..models import Assessment, Call, Officer, Referral
from .disparity import DisparityRow, disparity

CHANNELS = ("voice", "sms", "web")
TYPES = ("arrest_diversion", "social_contact")
NO_TYPE = N_("not set")  # N_: pages translate these (web.pot)
UNVERIFIED = N_("unverified")
ALL_AGENCIES = N_("all agencies")
FACT_COLUMNS = ("id", "channel", "type", "status", "created_at", "acknowledged_at", "officer_id")
# A call that was only a wrong number, not a referral, is left out of referral figures.
COUNTED = Referral.status != "not_a_referral"


@dataclass(frozen=True)
class ReferralFacts:
    """What the reports need of one referral; assessment fields are of its latest version."""

    id: int
    channel: str
    type: str | None
    status: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    officer_id: int | None = None
    officer_name: str = ""
    agency: str = ""
    first_assessed_at: datetime | None = None
    race_ethnicity: str | None = None
    disposition: str | None = None


@dataclass(frozen=True)
class CallFacts:
    """What the reports need of one call."""

    outcome: str | None
    started_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True)
class WeekCount:
    """Referrals created in one local week (Monday 00:00 to Monday 00:00), within the period."""

    week_start: date
    total: int
    by_channel: dict[str, int]
    by_type: dict[str, int]
    completed: int  # of the week's referrals, intakes completed
    missed: int  # and intakes not completed
    # A week the period cuts counts only its days in it (first_day on): not a slow week.
    first_day: date
    days: int

    @property
    def completion_rate(self) -> float | None:
        """Return completed ÷ (completed + missed), or None while none has ended."""
        decided = self.completed + self.missed
        return self.completed / decided if decided else None


@dataclass(frozen=True)
class CallCounts:
    """Calls started in the period by outcome; missed = voicemail + abandoned."""

    answered: int
    voicemail: int
    abandoned: int
    unresolved: int  # no outcome yet (still ringing, or never told)
    missed: int
    total: int


@dataclass(frozen=True)
class Timing:
    """Median and nearest-rank 90th percentile of a delay, in seconds (None without data)."""

    measure: str
    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class GroupCount:
    """Referrals of an agency, an officer or everyone, and how their intakes ended."""

    name: str
    agency: str
    referrals: int
    completed: int
    missed: int
    worded: bool = False  # `name` is the report's own word (N_), not a stored name

    @property
    def rate(self) -> float | None:
        """Return the intake completion rate: completed ÷ (completed + missed)."""
        decided = self.completed + self.missed
        return self.completed / decided if decided else None


@dataclass(frozen=True)
class Report:
    """Every figure of the reports page for one period."""

    channels: tuple[str, ...]
    weeks: list[WeekCount]
    calls: CallCounts
    timings: list[Timing]
    intake: GroupCount
    agencies: list[GroupCount]
    officers: list[GroupCount]
    disparity: list[DisparityRow]
    bookings_avoided: int  # arrest diversions whose latest assessment is "accepted"
    cost_per_booking: Decimal
    savings: Decimal  # bookings avoided × cost per booking


def nearest_rank(values: Sequence[float], percent: int) -> float | None:
    """Return the nearest-rank percentile: the smallest value with `percent`% at or below it."""
    if not values:
        return None
    rank = max(1, -(-percent * len(values) // 100))  # ceil in integers: no float drift
    return sorted(values)[rank - 1]


def timing(measure: str, delays: Iterable[timedelta]) -> Timing:
    """Return the median and 90th percentile of some delays."""
    seconds = [delay.total_seconds() for delay in delays]
    median = statistics.median(seconds) if seconds else None
    return Timing(measure, len(seconds), median, nearest_rank(seconds, 90))


def week_start(instant: datetime, zone: ZoneInfo) -> date:
    """Return the local Monday of the week holding `instant`."""
    day = instant.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def weekly(
    referrals: Iterable[ReferralFacts], start: datetime, end: datetime, zone: ZoneInfo
) -> list[WeekCount]:
    """Count referrals per local week, by channel and by type, empty weeks included."""
    weeks: dict[date, tuple[Counter[str], Counter[str], Counter[str]]] = {}
    just_before_end = end - timedelta(microseconds=1)
    first_day, last_day = (at.astimezone(zone).date() for at in (start, just_before_end))
    day, last = (d - timedelta(days=d.weekday()) for d in (first_day, last_day))
    while start < end and day <= last:
        empty = Counter(dict.fromkeys(CHANNELS, 0)), Counter(dict.fromkeys(TYPES, 0))
        weeks[day] = (*empty, Counter())
        day += timedelta(days=7)
    for referral in referrals:
        week = week_start(referral.created_at, zone)
        channels, types, outcomes = weeks.setdefault(week, (Counter(), Counter(), Counter()))
        channels[referral.channel] += 1
        types[referral.type or NO_TYPE] += 1
        outcomes[referral.status] += 1
    return [
        WeekCount(
            day,
            channels.total(),
            dict(channels),
            dict(types),
            outcomes["intake_completed"],
            outcomes["intake_missed"],
            max(day, first_day),
            max(0, (min(day + timedelta(days=6), last_day) - max(day, first_day)).days + 1),
        )
        for day, (channels, types, outcomes) in sorted(weeks.items())
    ]


def call_counts(calls: Sequence[CallFacts]) -> CallCounts:
    """Count calls by outcome."""
    outcomes = Counter(call.outcome for call in calls)
    answered, voicemail, abandoned = (outcomes[o] for o in ("answered", "voicemail", "abandoned"))
    unresolved = len(calls) - answered - voicemail - abandoned
    return CallCounts(answered, voicemail, abandoned, unresolved, voicemail + abandoned, len(calls))


def timings(referrals: Sequence[ReferralFacts], calls: Sequence[CallFacts]) -> list[Timing]:
    """Return time to answer, time to ACK and time to the first assessment."""
    answers = [(c.started_at, c.answered_at) for c in calls if c.outcome == "answered"]
    acks = [(r.created_at, r.acknowledged_at) for r in referrals]
    firsts = [(r.created_at, r.first_assessed_at) for r in referrals]
    spans = {
        N_("time to answer"): answers,
        N_("time to ACK"): acks,
        N_("time to assessment"): firsts,
    }
    return [
        timing(name, [b - a for a, b in pairs if b is not None]) for name, pairs in spans.items()
    ]


def intake_groups(referrals: Iterable[ReferralFacts], per_officer: bool) -> list[GroupCount]:
    """Group referrals by agency or by officer; unverified ones come last."""
    groups: dict[Hashable, tuple[Counter[str], str, list[ReferralFacts]]] = {}
    for r in referrals:
        key: Hashable
        if r.officer_id is None:
            key, name, agency = None, UNVERIFIED, ""
        elif per_officer:
            key, name, agency = r.officer_id, r.officer_name, r.agency
        else:
            # "SPD" and "Spd " typed on two roster rows are one department.
            name, agency = " ".join(r.agency.split()), ""
            key = name.casefold()
        names, _, members = groups.setdefault(key, (Counter(), agency, []))
        names[name] += 1
        members.append(r)
    # A group is named as most of its referrals spell it (the first met on a tie).
    rows = [
        group_count(n.most_common(1)[0][0], a, m, worded=key is None)
        for key, (n, a, m) in groups.items()
    ]
    return sorted(rows, key=lambda row: (row.worded, row.name.casefold(), row.agency))


def group_count(
    name: str, agency: str, members: Sequence[ReferralFacts], worded: bool = False
) -> GroupCount:
    """Count referrals and their intake outcomes."""
    completed = sum(1 for r in members if r.status == "intake_completed")
    missed = sum(1 for r in members if r.status == "intake_missed")
    return GroupCount(name, agency, len(members), completed, missed, worded)


def bookings_avoided(referrals: Iterable[ReferralFacts]) -> int:
    """Count arrest diversions whose latest assessment accepted the person."""
    return sum(r.type == "arrest_diversion" and r.disposition == "accepted" for r in referrals)


def load_referrals(session: Session, start: datetime, end: datetime) -> list[ReferralFacts]:
    """Load the referrals created in [start, end) with their officer and assessments."""
    in_period = (Referral.created_at >= start, Referral.created_at < end, COUNTED)
    first: dict[int, datetime] = {}
    latest: dict[int, dict[str, Any]] = {}
    versions = session.scalars(
        select(Assessment)
        .join(Referral, Referral.id == Assessment.referral_id)
        .where(*in_period)
        .order_by(Assessment.referral_id, Assessment.version)
    )
    for v in versions:  # ascending: the latest version is seen last
        first[v.referral_id] = min(first.get(v.referral_id, v.completed_at), v.completed_at)
        latest[v.referral_id] = {"race_ethnicity": v.race_ethnicity, "disposition": v.disposition}
    rows = session.execute(
        select(
            *(getattr(Referral, name) for name in FACT_COLUMNS),
            func.coalesce(Officer.name, "").label("officer_name"),
            func.coalesce(Officer.agency, "").label("agency"),
        )
        .outerjoin(Officer, Officer.id == Referral.officer_id)
        .where(*in_period)
        .order_by(Referral.created_at, Referral.id)
    )
    return [
        ReferralFacts(
            **row._asdict(), first_assessed_at=first.get(row.id), **latest.get(row.id, {})
        )
        for row in rows
    ]


def load_calls(session: Session, start: datetime, end: datetime) -> list[CallFacts]:
    """Load the calls started in [start, end)."""
    rows = session.execute(
        select(Call.call_outcome, Call.started_at, Call.answered_at).where(
            Call.started_at >= start, Call.started_at < end
        )
    )
    return [CallFacts(*row) for row in rows]


def load_report(
    session: Session, start: datetime, end: datetime, zone: ZoneInfo, cost_per_booking: Decimal
) -> Report:
    """Load the facts of the period [start, end) and compute every figure."""
    referrals, calls = load_referrals(session, start, end), load_calls(session, start, end)
    avoided = bookings_avoided(referrals)
    return Report(
        channels=(*CHANNELS, *sorted({r.channel for r in referrals} - set(CHANNELS))),
        weeks=weekly(referrals, start, end, zone),
        calls=call_counts(calls),
        timings=timings(referrals, calls),
        intake=group_count(ALL_AGENCIES, "", referrals, worded=True),
        agencies=intake_groups(referrals, per_officer=False),
        officers=intake_groups(referrals, per_officer=True),
        disparity=disparity(referrals),
        bookings_avoided=avoided,
        cost_per_booking=cost_per_booking,
        savings=cost_per_booking * avoided,
    )
