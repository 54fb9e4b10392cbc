"""Wall-clock readings and instants in an IANA zone, DST rules included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

_ONE_SECOND = timedelta(seconds=1)
# Coarse enough to be cheap, finer than any two offset changes of a real zone.
_TRANSITION_PROBE_STEP = timedelta(hours=6)
# tzdata's "localtime" is a link to the host's own zone, not an IANA name: hosts set to
# different zones would each hand shifts over and count days at their own hour.
NOT_ZONES = frozenset({"localtime"})


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # A walk of the zone database (milliseconds), which does not change while the app runs.
    return frozenset(available_timezones()) - NOT_ZONES


def is_zone_name(name: str) -> bool:
    """Tell whether `name` is an IANA zone (not a folder such as "US", not "localtime")."""
    return name in _zone_names()


def local_reading(instant: datetime, zone: ZoneInfo) -> datetime:
    """Return what a clock in `zone` reads at `instant`, as a naive datetime."""
    return instant.astimezone(zone).replace(tzinfo=None)


@lru_cache(maxsize=65536)
def first_instant_reading(local: datetime, zone: ZoneInfo) -> datetime:
    """Return the first instant at which the clock in `zone` reads `local` or later.

    A reading repeated by fall-back maps to its first occurrence; a reading
    skipped by spring-forward maps to the transition instant.
    """
    candidates = [local.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
    existing = [c for c in candidates if local_reading(c, zone) == local]
    if existing:
        return min(existing)
    # `local` lies in a gap: the instant is the transition, between the two guesses.
    low, high = min(candidates), max(candidates)
    while high - low > _ONE_SECOND:
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if local_reading(middle, zone) >= local:
            high = middle
        else:
            low = middle
    return high


def instants_reading(local: datetime, zone: ZoneInfo) -> list[datetime]:
    """Return every instant (none, one or two) at which the clock reads exactly `local`."""
    found = []
    for fold in (0, 1):
        instant = local.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if local_reading(instant, zone) == local and instant not in found:
            found.append(instant)
    return found


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta | None:
    return instant.astimezone(zone).utcoffset()


@lru_cache(maxsize=1024)
def _transitions_in_year(zone: ZoneInfo, year: int) -> tuple[datetime, ...]:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    found = []
    probe, offset = start, _offset(start, zone)
    while probe < end:
        following = min(probe + _TRANSITION_PROBE_STEP, end)
        following_offset = _offset(following, zone)
        if following_offset != offset:
            low, high = probe, following
            while high - low > _ONE_SECOND:
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if _offset(middle, zone) == offset:
                    low = middle
                else:
                    high = middle
            found.append(high)
        probe, offset = following, following_offset
    return tuple(found)


def transitions_between(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Return the instants in [start, end) at which `zone` changes its UTC offset."""
    found: list[datetime] = []
    for year in range(start.astimezone(UTC).year, end.astimezone(UTC).year + 1):
        found.extend(t for t in _transitions_in_year(zone, year) if start <= t < end)
    return found
