"""Words the services write that pages show, listed here so that web.pot holds them.

pybabel reads hotline/web and hotline/templates only, and the services may not
import the web. So a services table marks its words N_ where it is defined, this
list repeats them for the catalog, and the page says a value with web_text(value).
tests/test_catalogs.py checks that every N_ word of the services is here.
"""

from __future__ import annotations

from ..i18n import N_

SERVICE_WORDS = (
    # services.reports: a referral with no type, and the response times measured.
    N_("not set"),
    N_("time to answer"),
    N_("time to ACK"),
    N_("time to assessment"),
    # services.program_reports: how long after a first referral another one is counted.
    N_("6 months"),
    N_("12 months"),
    # services.completion: what an open referral still lacks.
    N_("type"),
    N_("offense"),
    N_("participant name"),
    N_("location"),
    N_("consent"),
    # services.local_times: a local time the clocks skip or show twice, and what is saved.
    N_("{reading} does not exist on {day} in {zone}: clocks jump from {jump_from} to {jump_to}."),
    N_("{reading} happens twice on {day} in {zone} (clocks go back from {back_from} to {back_to})"),
    N_("{twice}: the first, {reading} {abbreviation}, is used."),
    N_("{twice}: the second, {reading} {abbreviation}, is used."),
    N_(
        "{start}–{end} on {day} does not exist in {zone}: clocks jump from {jump_from} to "
        "{jump_to}. Choose times outside the jump (e.g. from {jump_to})."
    ),
    N_("The end must be after the start."),
    N_("Saved {start} on {day} to {end} on {end_day}."),
    N_("Saved {start}–{end} on {day}."),
)
