"""Wall-clock times typed in the program's zone, and what they mean across DST changes.

A supervisor types local times (the override form, `hotline override add`).
A time skipped by spring-forward does not exist: it is saved as the jump's
instant, SPEC §3's hand-off rule. A time repeated by fall-back happens twice:
the form and the command ask which (`passes`). The words here say what is
saved, so that nobody is surprised by it. Each is a `Said`: an N_ sentence
with its blanks, English as `str()` (the CLI), translated by the web.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..i18n import N_
from ..rotation.clock import (
    first_instant_reading,
    instants_reading,
    local_reading,
    transitions_between,
)

_SECOND = timedelta(seconds=1)
# web.pot holds these: its extraction reads hotline/services too.
SKIPPED = N_(
    "{reading} does not exist on {day} in {zone}: clocks jump from {jump_from} to {jump_to}."
)
TWICE = N_(
    "{reading} happens twice on {day} in {zone} (clocks go back from {back_from} to {back_to})"
)
FIRST_USED = N_("{twice}: the first, {reading} {abbreviation}, is used.")
SECOND_USED = N_("{twice}: the second, {reading} {abbreviation}, is used.")
SPAN_IN_JUMP = N_(
    "{start}–{end} on {day} does not exist in {zone}: clocks jump from {jump_from} to "
    "{jump_to}. Choose times outside the jump (e.g. from {jump_to})."
)
END_AFTER_START = N_("The end must be after the start.")
SAVED_ACROSS_DAYS = N_("Saved {start} on {day} to {end} on {end_day}.")
SAVED = N_("Saved {start}–{end} on {day}.")


@dataclass(frozen=True)
class Said:
    """A sentence and its blanks (each text, or a `Said` said inside it); str() is English."""

    sentence: str
    blanks: tuple[tuple[str, str | Said], ...] = ()

    def __str__(self) -> str:
        return self.sentence.format(**dict(self.blanks))


def said(sentence: str, **blanks: str | Said) -> Said:
    """Return a sentence with its blanks, to say in English or translate."""
    return Said(sentence, tuple(blanks.items()))


@dataclass(frozen=True)
class LocalTime:
    """A typed reading, the instant it is saved as, and a note when DST makes them differ."""

    reading: datetime  # naive, in the zone
    instant: datetime
    skipped: bool = False  # in a spring-forward gap: saved as the jump's instant
    note: Said | None = None
    # In a repeated fall-back hour: the two instants it names, first and second, and
    # "HH:MM happens twice on <day> in <zone> (clocks go back from … to …)".
    passes: tuple[datetime, datetime] | None = None
    twice: Said | None = None


def shown_twice(reading: datetime) -> bool:
    """Tell whether a local reading's wall-clock time occurs twice that day (fall-back)."""
    wall = reading.replace(tzinfo=None)
    zone = reading.tzinfo
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset()


def day_words(day: date) -> str:
    """Return a day as "Sunday 14 March 2027"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _around(instant: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """Return the clock's reading just before a transition and at it, as HH:MM."""
    # In UTC: a second off an instant held in the zone is wall-clock arithmetic, which
    # steps back into the skipped hour and so reads the jump's end on both sides.
    before = local_reading(instant.astimezone(UTC) - _SECOND, zone) + _SECOND
    return f"{before:%H:%M}", f"{local_reading(instant, zone):%H:%M}"


def read_local(reading: datetime, zone: ZoneInfo, second: bool = False) -> LocalTime:
    """Return the instant a local reading is saved as, with a note when DST is in the way.

    A repeated reading is its first occurrence unless `second` asks for the other
    (a form filled from a shift that ends in the second pass, say).
    """
    instant = first_instant_reading(reading, zone)
    found = instants_reading(reading, zone)
    place = {"reading": f"{reading:%H:%M}", "day": day_words(reading.date()), "zone": zone.key}
    if not found:
        jump_from, jump_to = _around(instant, zone)
        note = said(SKIPPED, **place, jump_from=jump_from, jump_to=jump_to)
        return LocalTime(reading, instant, True, note)
    if len(found) == 2:
        first, later = sorted(found)
        back_from, back_to = _around(transitions_between(zone, first, later + _SECOND)[0], zone)
        used, sentence = (later, SECOND_USED) if second else (first, FIRST_USED)
        twice = said(TWICE, **place, back_from=back_from, back_to=back_to)
        abbreviation = used.astimezone(zone).tzname() or ""
        note = said(sentence, twice=twice, reading=place["reading"], abbreviation=abbreviation)
        return LocalTime(reading, used, False, note, (first, later), twice)
    return LocalTime(reading, instant)


def pass_words(instant: datetime, zone: ZoneInfo) -> str:
    """Return one pass of a repeated reading as "01:30 PDT"."""
    return f"{instant.astimezone(zone):%H:%M %Z}"


def span_problem(start: LocalTime, end: LocalTime, zone: ZoneInfo) -> Said | None:
    """Return why a typed span saves as nothing, in words, or None when it does not."""
    if end.instant > start.instant:
        return None
    # A start in the jump and an end in it or at its end (02:00–03:00): one instant.
    if start.skipped and start.instant == end.instant and end.reading > start.reading:
        jump_from, jump_to = _around(start.instant, zone)
        return said(
            SPAN_IN_JUMP,
            start=f"{start.reading:%H:%M}",
            end=f"{end.reading:%H:%M}",
            day=day_words(start.reading.date()),
            zone=zone.key,
            jump_from=jump_from,
            jump_to=jump_to,
        )
    return said(END_AFTER_START)


def saved_words(start: LocalTime, end: LocalTime, zone: ZoneInfo) -> Said:
    """Return what will be saved, e.g. 'Saved 03:00–04:00 on Sunday 14 March 2027.'."""
    first, last = start.instant.astimezone(zone), end.instant.astimezone(zone)
    times = {"start": f"{first:%H:%M}", "end": f"{last:%H:%M}", "day": day_words(first.date())}
    if last.date() != first.date():
        return said(SAVED_ACROSS_DAYS, **times, end_day=day_words(last.date()))
    return said(SAVED, **times)
