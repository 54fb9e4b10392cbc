"""The audit log page (supervisors): who, when, channel, before → after; filters; pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from hotline.audit import Actor, Channel, record
from hotline.db import session_scope
from hotline.models import User
from hotline.schemas.oncall import OverrideIn
from hotline.schemas.participants import (
    ConsentIn,
    ParticipantIn,
    ParticipantPatch,
    PlanEntryIn,
    ProviderIn,
)
from hotline.services.oncall import create_override
from hotline.services.participants import add_consent, create_participant, update_participant
from hotline.services.providers import create_provider
from hotline.services.service_plan import add_plan_entry
from hotline.services.tokens import create_token
from hotline.web.audit import CHANNEL_WORDS
from hotline.web.audit_words import Change, changes
from tests.factories import add_officer, add_user
from tests.web.conftest import Web
from tests.web.page_elements import read, tied

JAN_15_NOON_LA = datetime(2026, 1, 15, 20, 0, tzinfo=UTC)


def add_event(
    app: Flask, at: datetime, actor: Actor, entity: str = "officer", **change: Any
) -> None:
    """Record one audit event of entity #1 straight in the database."""
    with session_scope(app) as session:
        action = change.pop("action", "update")
        record(session, actor, at, action, entity, 1, **change)


def event_ids(page: str) -> list[int]:
    """Return the ids of the events a page lists, in its order."""
    return [int(n) for n in re.findall(r'<tr data-event="(\d+)">', page)]


class TestAccess:
    """Supervisors only."""

    def test_coordinators_get_403(self, as_coordinator: Web) -> None:
        assert as_coordinator.get("/audit").status_code == 403

    def test_anonymous_is_sent_to_login(self, client: FlaskClient) -> None:
        assert client.get("/audit").headers["Location"].startswith("/login")


class TestEvents:
    """Every change, whichever way it came in, with before and after."""

    def test_changes_through_api_cli_and_web_are_listed_newest_first(
        self, app: Flask, as_supervisor: Web, supervisor: User, runner: FlaskCliRunner
    ) -> None:
        ana = add_user(app, "Ana Diaz")
        with session_scope(app) as session:
            token = create_token(session, supervisor, datetime.now(UTC), Actor(None, "system"))
        answer = app.test_client().patch(
            f"/api/v1/users/{ana.id}",
            json={"name": "Ana Díaz-Ruiz"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200
        args = ["officer", "add", "--name", "Olive Smith", "--badge", "4711"]
        args += ["--agency", "SPD", "--phone", "206 555 0141"]
        added = runner.invoke(args=args)
        assert added.exit_code == 0, added.output
        form = {"name": "Ana D. Ruiz", "email": ana.email, "phone": ana.phone, "role": "supervisor"}
        as_supervisor.post(f"/people/users/{ana.id}", {**form, "active": "on"})

        page = html.unescape(as_supervisor.text("/audit"))
        rows = page.split('<tr data-event="')[1:]
        assert len(rows) == 4 and "4 events." in page
        web, cli, api, system = rows
        assert '"Who">Sam Reyes</td>' in web and '"Channel">web app</td>' in web
        assert "person #" in web
        assert "<strong>name</strong>: <del>Ana Díaz-Ruiz</del> → <ins>Ana D. Ruiz</ins>" in web
        assert "<strong>role</strong>: <del>coordinator</del> → <ins>supervisor</ins>" in web
        assert "<strong>email</strong>" not in web  # unchanged fields are left out
        assert '"Who">command line</td>' in cli and '"Channel">command line</td>' in cli
        assert '"Action">created</td>' in cli and '"Entity">officer #1</td>' in cli
        phone = '<strong>phone</strong>: <span class="hint">—</span> → <ins>+12065550141</ins>'
        assert phone in cli
        assert '"Who">Sam Reyes</td>' in api and '"Channel">API</td>' in api
        assert "<del>Ana Diaz</del> → <ins>Ana Díaz-Ruiz</ins>" in api
        assert '"Who">the hotline</td>' in system and "API token #1" in system
        assert '"Channel">automatic</td>' in system
        assert "<strong>person</strong>: " in system and "<ins>Sam Reyes</ins>" in system

    def test_every_channel_is_told_in_words(self, as_supervisor: Web) -> None:
        page = as_supervisor.text("/audit")
        for channel in get_args(Channel):
            assert f'<option value="{channel}">{CHANNEL_WORDS[channel]}</option>' in page

    def test_times_are_in_the_program_zone(self, app: Flask, as_supervisor: Web) -> None:
        add_event(app, JAN_15_NOON_LA, Actor(None, "system"))
        page = as_supervisor.text("/audit")
        assert '<time datetime="2026-01-15T20:00:00+00:00">2026-01-15 12:00:00</time>' in page

    def test_deletions_show_what_was_there(self, app: Flask, as_supervisor: Web) -> None:
        deleted = {"action": "delete", "before": {"tier": 1}}
        add_event(app, JAN_15_NOON_LA, Actor(None, "cli"), "override", **deleted)
        page = as_supervisor.text("/audit")
        assert '<strong>tier</strong>: <del>1</del> → <span class="hint">—</span>' in page

    def test_a_record_made_is_one_line_with_its_fields_folded(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        made = {"action": "create", "after": {"name": "Ana Diaz", "tier": 1, "phone": "+1206"}}
        add_event(app, JAN_15_NOON_LA, Actor(None, "cli"), "user", **made)
        changed = {"action": "update", "before": {"tier": 1}, "after": {"tier": 2}}
        add_event(app, JAN_15_NOON_LA, Actor(None, "cli"), "rotation", **changed)
        page = as_supervisor.text("/audit")
        assert '<details class="fields"><summary>Ana Diaz: 3 fields</summary>' in page
        assert page.count('<details class="fields">') == 1  # a change is shown whole, unfolded
        assert "<strong>tier</strong>: <del>1</del> → <ins>2</ins>" in page


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, {"a": 1}, [Change("a", None, "1")]),
        ({"a": 1}, None, [Change("a", "1", None)]),
        ({"a": 1, "b": [2]}, {"a": 1, "b": [2, 3]}, [Change("b", "[2]", "[2,3]")]),
        ({"a": 1}, {"a": 1}, []),
        (None, None, []),
        ({"x": {"k": "é"}}, {}, [Change("x", '{"k":"é"}', None)]),
    ],
)
def test_changes_list_only_the_keys_that_differ(
    before: dict[str, Any] | None, after: dict[str, Any] | None, expected: list[Change]
) -> None:
    assert changes(before, after) == expected


class TestFilters:
    """Entity, channel, person and dates narrow the list; the query string keeps them."""

    @pytest.fixture
    def events(self, app: Flask, supervisor: User) -> None:
        """Record four events: two web (user), one cli (officer), one late on Jan 15 (api)."""
        add_event(app, JAN_15_NOON_LA - timedelta(days=1), Actor(supervisor.id, "web"), "user")
        add_event(app, JAN_15_NOON_LA, Actor(supervisor.id, "web"), "user")
        add_event(app, JAN_15_NOON_LA, Actor(None, "cli"), "officer")
        late = JAN_15_NOON_LA + timedelta(hours=11, minutes=30)  # 23:30 in Los Angeles
        add_event(app, late, Actor(supervisor.id, "api"), "rotation")

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("", [4, 3, 2, 1]),
            ("entity=user", [2, 1]),
            ("channel=cli", [3]),
            ("actor=1", [4, 2, 1]),
            ("from=2026-01-15", [4, 3, 2]),
            ("to=2026-01-15", [4, 3, 2, 1]),
            ("from=2026-01-16", []),
            ("to=2026-01-14", [1]),
            ("from=2026-01-15&to=2026-01-15&entity=user&channel=web&actor=1", [2]),
        ],
    )
    def test_filters_narrow_the_list(
        self, as_supervisor: Web, events: None, query: str, expected: list[int]
    ) -> None:
        assert event_ids(as_supervisor.text(f"/audit?{query}")) == expected

    def test_filter_form_offers_the_values_and_keeps_the_choice(
        self, as_supervisor: Web, events: None
    ) -> None:
        page = as_supervisor.text("/audit?entity=officer&from=2026-01-15")
        assert '<option value="officer" selected>officer</option>' in page
        assert '<option value="rotation">rotation</option>' in page
        assert 'id="from" name="from" type="date" value="2026-01-15"' in page
        assert '<option value="1">Sam Reyes</option>' in page
        assert '<option value="cli">command line</option>' in page
        assert "No events match these filters." in as_supervisor.text("/audit?entity=referral")

    def test_bad_filter_values_are_400_with_the_reason(self, as_supervisor: Web) -> None:
        answer = as_supervisor.get("/audit?from=15/01/2026&actor=me")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400
        assert 'id="from-error">Write the date as YYYY-MM-DD.</p>' in page
        assert 'id="actor-error">Choose a person.</p>' in page

    def test_a_refused_filter_is_announced_and_tied_to_its_field(self, as_supervisor: Web) -> None:
        answer = as_supervisor.get("/audit?to=31/01/2026")
        assert answer.status_code == 400
        page = read(answer.get_data(as_text=True))
        alerts = [" ".join(alert.split()) for alert in page.alerts]
        assert any("correct the fields marked below" in alert for alert in alerts), alerts
        assert tied(page, "to", "Write the date as YYYY-MM-DD.")

    def test_the_refusals_are_written_through_the_web_catalog(
        self, as_supervisor: Web, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import hotline.web.language as web

        monkeypatch.setattr(
            web,
            "translator",
            lambda *_: lambda message, **params: f"[[{message.format(**params)}]]",
        )
        page = as_supervisor.get("/audit?from=15/01/2026&to=9999-01-01&actor=me").get_data(
            as_text=True
        )
        assert "[[Write the date as YYYY-MM-DD.]]" in page and "[[Choose a person.]]" in page
        assert "[[Choose a date between the years 1900 and 2200.]]" in page

    @pytest.mark.parametrize(
        ("query", "field", "reason"),
        [
            ("actor=%C2%B2", "actor", "Choose a person."),  # a superscript two
            ("to=9999-12-31", "to", "Choose a date between the years 1900 and 2200."),
            ("from=0001-01-01", "from", "Choose a date between the years 1900 and 2200."),
            ("from=2026-03-10&to=2026-03-01", "from", "Start on or before the end date."),
        ],
    )
    def test_a_filter_no_person_or_day_can_match_is_400_not_a_crash(
        self, as_supervisor: Web, query: str, field: str, reason: str
    ) -> None:
        answer = as_supervisor.get(f"/audit?{query}")
        assert answer.status_code == 400
        assert f'id="{field}-error">{reason}</p>' in answer.get_data(as_text=True)


class TestPages:
    """Fifty events to a page, newest first."""

    def test_pages_of_fifty_keep_the_filters(self, app: Flask, as_supervisor: Web) -> None:
        with session_scope(app) as session:
            for n in range(120):
                at = JAN_15_NOON_LA + timedelta(minutes=n)
                record(session, Actor(None, "system"), at, "update", "officer", n)
        first = as_supervisor.text("/audit?entity=officer")
        assert event_ids(first) == list(range(120, 70, -1))
        assert "120 events, page 1 of 3." in first
        assert 'rel="next" href="/audit?page=2&amp;entity=officer"' in first
        assert 'rel="prev"' not in first
        last = as_supervisor.text("/audit?entity=officer&page=3")
        assert event_ids(last) == list(range(20, 0, -1)) and 'rel="next"' not in last
        assert event_ids(as_supervisor.text("/audit?page=x")) == event_ids(first)
        assert event_ids(as_supervisor.text("/audit?page=%C2%B2")) == event_ids(first)

    def test_a_page_past_the_last_shows_the_last(self, app: Flask, as_supervisor: Web) -> None:
        with session_scope(app) as session:
            for n in range(60):
                record(session, Actor(None, "system"), JAN_15_NOON_LA, "update", "officer", n)
        page = as_supervisor.text("/audit?page=9")  # a link kept from before events went
        assert event_ids(page) == list(range(10, 0, -1))
        assert "60 events, page 2 of 2." in page and 'rel="next"' not in page


def test_overrides_consents_and_plans_are_told_in_names_words_and_local_times(
    app: Flask, as_supervisor: Web, supervisor: User
) -> None:
    ben = add_user(app, "Ben Okafor")
    cam = add_user(app, "Cam Reed", "case_manager")
    by_sam, now = Actor(supervisor.id, "api"), datetime.now(UTC)
    with session_scope(app) as session:
        start = JAN_15_NOON_LA + timedelta(days=400)
        cover = OverrideIn(user_id=ben.id, tier=1, start=start, end=start + timedelta(hours=4))
        create_override(session, cover, by_sam, now)
        shelter = create_provider(session, ProviderIn(name="Harbor Shelter"), by_sam, now)
        person = create_participant(session, ParticipantIn(name="Jane Doe"), by_sam, now)
        update_participant(
            session, person.id, ParticipantPatch(case_manager_id=cam.id), by_sam, now
        )
        add_consent(
            session, person.id, ConsentIn(scope="officer_status"), by_sam, now, ZoneInfo("UTC")
        )
        entry = PlanEntryIn(need="substance_use", provider_id=shelter.id)
        add_plan_entry(session, person.id, entry, by_sam, now)
    page = html.unescape(as_supervisor.text("/audit"))
    # 2027-02-19 20:00 UTC is noon in Los Angeles, the program's zone.
    assert "<strong>start</strong>: " in page and "<ins>2027-02-19 12:00</ins>" in page
    assert "<ins>2027-02-19 16:00</ins>" in page
    assert "<strong>created by</strong>: " in page and "<ins>Sam Reyes</ins>" in page
    assert "<strong>case manager</strong>: <del>none</del> → <ins>Cam Reed</ins>" in page
    assert "<strong>shared with</strong>: " in page and "<ins>officer status</ins>" in page
    assert "<strong>need</strong>: " in page and "<ins>substance use</ins>" in page
    assert "<strong>provider</strong>: " in page and "<ins>Harbor Shelter</ins>" in page
    for code in ("substance_use", "officer_status", "2027-02-19T20:00"):
        assert code not in page


def test_times_in_the_repeated_fall_back_hour_say_which_pass(
    app: Flask, as_supervisor: Web, supervisor: User
) -> None:
    # 08:30 and 09:30 UTC on 2026-11-01 both read 01:30 in Los Angeles: PDT, then PST.
    first = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    second = first + timedelta(hours=1)
    ben = add_user(app, "Ben Okafor")
    with session_scope(app) as session:
        cover = OverrideIn(user_id=ben.id, tier=1, start=first, end=second)
        create_override(session, cover, Actor(supervisor.id, "web"), first)
    add_event(app, second, Actor(None, "system"))
    page = html.unescape(as_supervisor.text("/audit"))
    assert ">2026-11-01 01:30:00 PDT</time>" in page and ">2026-11-01 01:30:00 PST</time>" in page
    assert "<ins>2026-11-01 01:30 PDT</ins>" in page and "<ins>2026-11-01 01:30 PST</ins>" in page
    # An hour the clocks show once keeps its plain reading.
    add_event(app, JAN_15_NOON_LA, Actor(None, "system"))
    assert ">2026-01-15 12:00:00</time>" in as_supervisor.text("/audit")


def test_a_participants_new_name_birth_date_or_alias_shows_as_changed_without_the_words(
    app: Flask, as_supervisor: Web, supervisor: User
) -> None:
    by_sam, now = Actor(supervisor.id, "web"), datetime.now(UTC)
    first = ParticipantIn(name="Jane Doe", aliases=["JD"], date_of_birth=date(1990, 5, 1))
    with session_scope(app) as session:
        person = create_participant(session, first, by_sam, now)
        corrected = ParticipantPatch(
            name="Janet Doe", aliases=["Jay"], date_of_birth=date(1990, 5, 2)
        )
        update_participant(session, person.id, corrected, by_sam, now)
    page = html.unescape(as_supervisor.text("/audit?kind=update"))
    assert "no field changed" not in page
    for field, before in (("name", "written"), ("aliases", "1"), ("date of birth", "written")):
        assert f"<strong>{field}</strong>: <del>{before}</del> → <ins>changed</ins>" in page
    # Read as words: a random CSRF token in the markup may hold "JD" by chance.
    shown = re.sub(r'value="[^"]*"', "", page)
    for words in ("Jane", "Janet", "JD", "Jay", "1990"):
        assert words not in shown


def test_what_retention_erased_is_listed_in_words(app: Flask, as_supervisor: Web) -> None:
    erased = {"erased": ["participant_name", "recording_url", "date_of_birth", "message bodies"]}
    add_event(app, JAN_15_NOON_LA, Actor(None, "system"), "referral", action="erase", after=erased)
    page = html.unescape(as_supervisor.text("/audit"))
    words = "participant name; voicemail recording; date of birth; message bodies"
    assert f'<strong>erased</strong>: <span class="hint">—</span> → <ins>{words}</ins>' in page
    for code in ("participant_name", "recording_url", "date_of_birth"):
        assert code not in page


def test_consents_plans_charges_and_disclosures_are_named_in_words(
    app: Flask, as_supervisor: Web
) -> None:
    # SPEC §9: consents and plan changes included, in plain words; a charge and what was
    # shown outside the program are participant events as well. They read "revoke_consent".
    named = {
        "consent": "consent recorded",
        "revoke_consent": "consent revoked",
        "plan": "service plan changed",
        "charge": "charge recorded",
        "disclose": "shown outside the program",
    }
    for action in named:
        add_event(app, JAN_15_NOON_LA, Actor(None, "api"), "participant", action=action)
    page = html.unescape(as_supervisor.text("/audit"))
    for action, words in named.items():
        assert f'<td data-label="Action">{words}</td>' in page
        assert f'<option value="{action}">{words}</option>' in page


def test_a_disclosure_to_an_officer_names_the_officer_not_their_roster_id(
    app: Flask, as_supervisor: Web
) -> None:
    # SPEC §6 re-contact: who learned that someone is a participant is what the row is for.
    officer = add_officer(app)
    after = {"to": "officer", "officer_id": officer.id}
    by_text = Actor(None, "sms")
    add_event(app, JAN_15_NOON_LA, by_text, "participant", action="disclose", after=after)
    page = html.unescape(as_supervisor.text("/audit"))
    assert "<strong>officer</strong>: " in page and "<ins>Officer Smith (badge 4711)</ins>" in page
    assert "officer id" not in page


def audit_literals(position: int) -> set[str]:
    """Return the actions (position 3) or entities (4) the code records under a fixed name."""
    import ast
    from pathlib import Path

    import hotline

    found: set[str] = set()
    for path in Path(hotline.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) <= position:
                continue
            called = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            argument = node.args[position]
            if called in ("record", "record_many") and isinstance(argument, ast.Constant):
                found.add(str(argument.value))
    return found


def test_every_action_and_entity_the_hotline_records_is_said_in_words() -> None:
    from hotline.web.words import ACTION_WORDS, ENTITY_WORDS

    actions, entities = audit_literals(3), audit_literals(4)
    assert {"acknowledge", "enrol", "reset"} <= actions  # the scan works
    assert {"referral", "second_factor", "api_token"} <= entities
    # Without words an action or entity showed as its code ("reset", "second factor"),
    # which no catalog could translate.
    assert sorted(actions - set(ACTION_WORDS)) == []
    assert sorted(entities - set(ENTITY_WORDS)) == []


def test_a_later_web_language_says_the_audit_log_in_its_own_words(
    app: Flask, as_supervisor: Web, supervisor: User, bracketed_words: None
) -> None:
    ana = add_user(app, "Ana Diaz")
    actor = Actor(supervisor.id, "web")
    add_event(app, JAN_15_NOON_LA, actor, "second_factor", action="reset")
    before = {"role": "coordinator", "active": True, "phone": None}
    after = {"role": "supervisor", "active": False, "phone": "+12065550141"}
    with session_scope(app) as session:
        record(session, actor, JAN_15_NOON_LA, "update", "user", ana.id, before, after)
    page = as_supervisor.text("/audit")
    assert '[[Action]]">[[second factor reset]]</td>' in page
    assert '[[Entity]]">[[second factor]] #1</td>' in page
    assert '<option value="user">[[person]]</option>' in page
    assert "<del>[[coordinator]]</del> → <ins>[[supervisor]]</ins>" in page
    assert "<del>[[yes]]</del> → <ins>[[no]]</ins>" in page
    assert "[[none]]" in page


def test_a_later_web_language_names_every_recorded_field_in_its_own_words(
    app: Flask, client: FlaskClient, bracketed_words: None
) -> None:
    # People, providers, rotations, overrides, consents, plan entries and charges, written
    # through the API: the log named most of their fields by code ("shift hours", "given
    # at"), kept a participant's name as an English "written", and said "events" with an
    # English "s".
    from tests.web.test_access_matrix import build

    world = build(app, client)
    web = Web(app.test_client())
    assert web.login(world.users["supervisor"]).status_code == 302
    page = web.text("/audit?entity=participant")
    assert "[[events]]" in page
    assert "<ins>[[written]]</ins>" in page
    assert "[[written]][[: 5 fields]]</summary>" in page  # still named by its name field
    for entity in ("participant", "provider", "rotation", "override"):
        page = web.text(f"/audit?entity={entity}")
        keys = re.findall(r"<li><strong>([^<]*)</strong>", page)
        assert keys and [key for key in keys if not key.startswith("[[")] == [], entity
