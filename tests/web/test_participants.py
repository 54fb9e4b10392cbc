"""Participants on the web: the caseload, the record, consent, plan, contacts, the prosecutor."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import (
    AuditEvent,
    Consent,
    Contact,
    Message,
    OptOut,
    Participant,
    PlanEntry,
    Provider,
    Referral,
    User,
)
from tests.api.test_participants import revoke_once_listed
from tests.factories import add_officer, add_referral, add_user, leave_roster
from tests.web.conftest import PASSWORD, Web
from tests.web.test_form_once import hidden_fields


def signed_in(app: Flask, name: str, role: str) -> tuple[Web, User]:
    user = add_user(app, name, role, password=PASSWORD)
    web = Web(app.test_client())
    assert web.login(user).status_code == 302
    return web, user


def add_participant(
    app: Flask, name: str, manager: User | None = None, days_unseen: int = 0
) -> int:
    now = datetime.now(UTC)
    number = add_referral(app, "intake_completed", participant_name=name) if days_unseen else None
    with session_scope(app) as session:
        row = Participant(
            name=name,
            aliases=[],
            status="active",
            case_manager_id=manager.id if manager else None,
            created_at=now,
        )
        session.add(row)
        session.flush()
        if number is not None:  # last seen when referred
            referral = session.get_one(Referral, number)
            referral.participant_id = row.id
            referral.created_at = now - timedelta(days=days_unseen)
        return row.id


@pytest.fixture
def cam(app: Flask) -> tuple[Web, User]:
    return signed_in(app, "Cam Reed", "case_manager")


def with_a_plan_entry(app: Flask, web: Web, manager: User) -> tuple[int, int]:
    """Add Jane Doe with housing planned, through the page; return her number and the entry's."""
    number = add_participant(app, "Jane Doe", manager)
    assert web.post(f"/participants/{number}/plan", {"need": "housing"}).status_code == 302
    with session_scope(app) as session:
        return number, session.scalars(select(PlanEntry.id)).one()


class TestCaseload:
    """A case manager's home is their caseload: longest unseen first, what is planned."""

    def test_home_is_the_caseload_longest_unseen_first(
        self, app: Flask, cam: tuple[Web, User]
    ) -> None:
        web, user = cam
        add_participant(app, "Recent Person", user, days_unseen=2)
        add_participant(app, "Lost Person", user, days_unseen=20)
        add_participant(app, "Someone Else's", None, days_unseen=1)
        home = web.get("/")
        assert home.status_code == 302 and home.headers["Location"].endswith("/participants")
        page = web.text("/participants")
        caseload = page.split('id="caseload-heading"')[1].split("Everyone active")[0]
        assert caseload.index("Lost Person") < caseload.index("Recent Person")
        assert "20 days ago" in caseload and "Someone Else" not in caseload

    def test_consent_plan_and_contact_from_the_record(
        self, app: Flask, cam: tuple[Web, User]
    ) -> None:
        web, user = cam
        number = add_participant(app, "Jane Doe", user)
        assert (
            web.post(f"/participants/{number}/consents", {"scope": "officer_status"}).status_code
            == 302
        )
        assert web.post("/providers", {"name": "Evergreen", "needs": "housing"}).status_code == 302
        with session_scope(app) as session:
            provider = session.scalars(select(Provider)).one().id
        added = web.post(
            f"/participants/{number}/plan", {"need": "housing", "provider_id": str(provider)}
        )
        assert added.status_code == 302
        page = web.text(f"/participants/{number}")
        consents = page.split('<ul class="consents"')[1].split("</ul>")[0]
        assert "officer status: given" in consents and "Revoke" in consents
        assert "Evergreen" in page and "housing" in page
        with session_scope(app) as session:
            assert session.scalars(select(Consent.scope)).all() == ["officer_status"]
            assert session.scalars(select(PlanEntry.need)).all() == ["housing"]

    def test_marking_a_plan_entry_started_then_completed_dates_it(
        self, app: Flask, cam: tuple[Web, User]
    ) -> None:
        web, user = cam
        number, entry = with_a_plan_entry(app, web, user)
        today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
        page = web.text(f"/participants/{number}")
        assert "Mark started" in page
        started = web.post(f"/participants/{number}/plan/{entry}", {"status": "started"})
        assert started.status_code == 302
        assert "Mark completed" in web.text(f"/participants/{number}")
        web.post(f"/participants/{number}/plan/{entry}", {"status": "completed"})
        with session_scope(app) as session:
            row = session.get_one(PlanEntry, entry)
            assert (row.status, row.started_on, row.ended_on) == ("completed", today, today)

    def test_mark_started_on_a_page_drawn_before_it_was_completed_changes_nothing(
        self, app: Flask, cam: tuple[Web, User]
    ) -> None:
        web, user = cam
        number, entry = with_a_plan_entry(app, web, user)
        path = f"/participants/{number}/plan/{entry}"
        page = web.text(f"/participants/{number}")
        button = page.split(f'action="{path}"')[1].split("</form>")[0]
        sent = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', button))
        assert sent.pop("status") == "started"
        sent.pop("csrf_token", None)
        for status in ("started", "completed"):  # someone else moves it on meanwhile
            assert web.post(path, {"status": status}).status_code == 302
        stale = web.post(path, {"status": "started", **sent})
        assert stale.status_code == 409
        assert "completed" in stale.get_data(as_text=True)
        with session_scope(app) as session:
            assert session.get_one(PlanEntry, entry).status == "completed"

    def test_a_bad_plan_entry_is_422_and_saves_nothing(
        self, app: Flask, cam: tuple[Web, User]
    ) -> None:
        web, user = cam
        number = add_participant(app, "Jane Doe", user)
        answer = web.post(f"/participants/{number}/plan", {"need": "money"})
        assert answer.status_code == 422 and "Nothing was saved" in answer.get_data(as_text=True)
        with session_scope(app) as session:
            assert session.scalars(select(PlanEntry)).all() == []


def test_a_coordinator_records_an_officers_contact_and_the_case_manager_is_texted(
    app: Flask, as_coordinator: Web
) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    officer = add_officer(app)
    number = add_participant(app, "Jane Doe", manager)
    answer = as_coordinator.post(
        f"/participants/{number}/contacts", {"officer_id": str(officer.id)}
    )
    assert answer.status_code == 302
    flashed = as_coordinator.text(f"/participants/{number}")
    assert "Tell the officer only: no LEAD match" in flashed  # no consent yet
    with session_scope(app) as session:
        assert session.scalars(select(Contact.disclosed)).all() == [False]
        assert [m.to_number for m in session.scalars(select(Message))] == [manager.phone]
        (told,) = session.scalars(select(Message.body)).all()
    assert "Officer Smith met them; a coordinator recorded it at" in (told or "")
    assert "texted CONTACT" not in (told or "")  # the officer called; they texted nothing


class TestProsecutor:
    """A prosecutor sees only consenting participants, status only, and records charges."""

    def test_status_only_with_consent(self, app: Flask) -> None:
        manager = add_user(app, "Cam Reed", "case_manager")
        shown = add_participant(app, "Jane Doe", manager)
        add_participant(app, "Hidden Person", manager)
        with session_scope(app) as session:
            session.add(
                Consent(participant_id=shown, scope="prosecutor", given_at=datetime.now(UTC))
            )
        web, _ = signed_in(app, "Pru Vance", "prosecutor")
        home = web.get("/")
        assert home.headers["Location"].endswith("/participants")
        page = web.text("/participants")
        assert "Jane Doe" in page and "Cam Reed" in page and "Hidden Person" not in page
        assert web.get(f"/participants/{shown + 1}").status_code == 404
        assert web.get("/providers").status_code == 403
        charge = web.post(
            f"/participants/{shown}/charges", {"date": "2026-12-02", "description": "Theft 3"}
        )
        assert charge.status_code == 302
        assert "Theft 3" in web.text(f"/participants/{shown}")
        assert (
            web.post(
                f"/participants/{shown + 1}/charges", {"date": "2026-12-02", "description": "x"}
            ).status_code
            == 404
        )


def test_a_consent_revoked_while_the_prosecutors_page_is_drawn_leaves_the_page_whole(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    shown, going = add_participant(app, "Ann Ames", manager), add_participant(app, "Bo Birch")
    with session_scope(app) as session:
        for number in (shown, going):
            session.add(
                Consent(participant_id=number, scope="prosecutor", given_at=datetime.now(UTC))
            )
        session.flush()
        consent = session.scalars(select(Consent.id).where(Consent.participant_id == going)).one()
    web, _ = signed_in(app, "Pru Vance", "prosecutor")
    revoke_once_listed(app, monkeypatch, going, consent)
    answer = web.get("/participants")
    assert answer.status_code == 200  # was the error page
    assert "Ann Ames" in answer.get_data(as_text=True)


def test_the_assessment_suggests_who_the_person_may_be_and_links_the_pick(
    app: Flask, as_coordinator: Web
) -> None:
    robert = add_participant(app, "Robert Smith")
    number = add_referral(app, "acknowledged", participant_name="Bob Smyth")
    page = as_coordinator.text(f"/referrals/{number}/assessment")
    suggestions = page.split('id="suggestions"')[1].split("</fieldset>")[0]
    assert "Robert Smith" in suggestions and "No: a new participant" in suggestions
    form = {
        "offense": "possession",
        "consent_confirmed": "yes",
        "disposition": "accepted",
        "needs": "housing",
        "participant_id": str(robert),
    }
    assert as_coordinator.post(f"/referrals/{number}/assessment", form).status_code == 302
    with session_scope(app) as session:
        assert session.get_one(Referral, number).participant_id == robert
        assert session.scalars(select(Participant)).all()[0].id == robert
        assert len(session.scalars(select(Participant)).all()) == 1


def test_a_contact_with_an_exited_participant_names_nobody_to_the_officer(
    app: Flask, as_coordinator: Web
) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    officer = add_officer(app)
    number = add_participant(app, "Jane Doe", manager)
    with session_scope(app) as session:
        session.get_one(Participant, number).status = "exited"
        session.add(
            Consent(participant_id=number, scope="officer_status", given_at=datetime.now(UTC))
        )
    answer = as_coordinator.post(
        f"/participants/{number}/contacts", {"officer_id": str(officer.id)}
    )
    assert answer.status_code == 302
    page = as_coordinator.text(f"/participants/{number}")
    assert "Tell the officer only: no LEAD match" in page and manager.phone not in page


def test_a_contact_with_an_officer_who_left_the_roster_is_refused_and_names_nobody(
    app: Flask, as_coordinator: Web
) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    officer = add_officer(app)
    number = add_participant(app, "Jane Doe", manager)
    with session_scope(app) as session:
        session.add(
            Consent(participant_id=number, scope="officer_status", given_at=datetime.now(UTC))
        )
    leave_roster(app, officer)  # after the page was drawn with them on it
    answer = as_coordinator.post(
        f"/participants/{number}/contacts", {"officer_id": str(officer.id)}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Choose the officer." in page
    assert manager.phone not in page and "The officer may be told" not in page
    with session_scope(app) as session:  # as a text from a number off the roster: nobody told
        assert session.scalars(select(Contact)).all() == []
        assert session.scalars(select(Message)).all() == []


def test_a_contact_naming_an_overlong_officer_number_is_refused_with_the_form(
    app: Flask, as_coordinator: Web
) -> None:
    number = add_participant(app, "Jane Doe", add_user(app, "Cam Reed", "case_manager"))
    for officer_id in ("9" * 30, "\u00b2"):  # overlong; a superscript two
        answer = as_coordinator.post(f"/participants/{number}/contacts", {"officer_id": officer_id})
        assert answer.status_code == 422 and "Choose the officer." in answer.get_data(as_text=True)
    with session_scope(app) as session:
        assert session.scalars(select(Contact)).all() == []


def test_a_prosecutors_bad_charge_is_refused_on_their_page_and_saves_nothing(app: Flask) -> None:
    number = add_participant(app, "Jane Doe", add_user(app, "Cam Reed", "case_manager"))
    with session_scope(app) as session:
        session.add(Consent(participant_id=number, scope="prosecutor", given_at=datetime.now(UTC)))
    web, _ = signed_in(app, "Pru Vance", "prosecutor")
    answer = web.post(
        f"/participants/{number}/charges", {"date": "2026-12-02", "description": "x" * 600}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "<nav" in page and "Nothing was saved" in page
    assert "Jane Doe" in page and "Charge date" in page  # the form again, to correct
    assert "x" * 600 not in web.text(f"/participants/{number}")


def test_a_consent_until_a_date_holds_to_the_end_of_that_day_in_the_programs_zone(
    app: Flask, cam: tuple[Web, User]
) -> None:
    web, user = cam
    number = add_participant(app, "Jane Doe", user)
    until = {"scope": "officer_status", "expires_at": "2027-01-01"}
    assert web.post(f"/participants/{number}/consents", until).status_code == 302
    with session_scope(app) as session:
        expires = session.scalars(select(Consent.expires_at)).one()
    assert expires is not None
    local_end = expires.replace(tzinfo=UTC).astimezone(ZoneInfo("America/Los_Angeles"))
    assert (local_end.date(), local_end.hour, local_end.minute) == (date(2027, 1, 1), 23, 59)
    consents = web.text(f"/participants/{number}").split('<ul class="consents"')[1]
    assert "until 2027-01-01" in consents.split("</ul>")[0]


def test_a_charge_on_a_participant_whose_case_manager_left_reaches_the_supervisors(
    app: Flask,
) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    supervisor = add_user(app, "Sue Pervis", "supervisor")
    number = add_participant(app, "Jane Doe", manager)
    with session_scope(app) as session:
        session.get_one(User, manager.id).active = False
        session.add(Consent(participant_id=number, scope="prosecutor", given_at=datetime.now(UTC)))
    web, _ = signed_in(app, "Pru Vance", "prosecutor")
    charge = {"date": "2026-12-02", "description": "Theft 3"}
    assert web.post(f"/participants/{number}/charges", charge).status_code == 302
    assert "the supervisors were texted" in web.text(f"/participants/{number}")
    with session_scope(app) as session:
        texted = [m.to_number for m in session.scalars(select(Message))]
    assert texted == [supervisor.phone]  # not the phone of the case manager who left


def test_a_charge_for_a_case_manager_who_texted_stop_says_nobody_was_texted(
    app: Flask,
) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    number = add_participant(app, "Jane Doe", manager)
    with session_scope(app) as session:
        session.add(Consent(participant_id=number, scope="prosecutor", given_at=datetime.now(UTC)))
        session.add(OptOut(phone=manager.phone, at=datetime.now(UTC), source="sms"))
    web, _ = signed_in(app, "Pru Vance", "prosecutor")
    charge = {"date": "2026-12-02", "description": "Theft 3"}
    assert web.post(f"/participants/{number}/charges", charge).status_code == 302
    page = html.unescape(web.text(f"/participants/{number}"))
    assert "the case manager was texted" not in page
    assert f"opted out of texts: call them at {manager.phone}" in page
    with session_scope(app) as session:
        assert session.scalars(select(Message.status)).all() == ["suppressed"]


def test_the_case_manager_reads_the_charge_their_text_sends_them_to(app: Flask) -> None:
    manager = add_user(app, "Cam Reed", "case_manager", password=PASSWORD)
    number = add_participant(app, "Jane Doe", manager)
    with session_scope(app) as session:
        session.add(Consent(participant_id=number, scope="prosecutor", given_at=datetime.now(UTC)))
    prosecutor, _ = signed_in(app, "Pru Vance", "prosecutor")
    charge = {"date": "2026-12-02", "description": "Theft 3 at Northgate"}
    assert prosecutor.post(f"/participants/{number}/charges", charge).status_code == 302
    cam = Web(app.test_client())
    assert cam.login(manager).status_code == 302
    timeline = cam.text(f"/participants/{number}").split("<h2>Timeline</h2>")[1]
    assert "2026-12-02: Theft 3 at Northgate" in html.unescape(timeline)


def test_a_stale_record_page_changes_only_what_was_changed_on_it(
    app: Flask, as_supervisor: Web
) -> None:
    first = add_user(app, "Cam Reed", "case_manager")
    second = add_user(app, "Dee Lane", "case_manager")
    number = add_participant(app, "Jo Park", first)
    path = f"/participants/{number}"
    page = as_supervisor.text(path)
    form = form_posting_to(page, path)
    shown = dict(re.findall(r'<input type="hidden" name="(was_\w+)" value="([^"]*)">', form))
    assert shown, "the form says what it showed"
    with session_scope(app) as session:  # Jo is handed to Dee meanwhile
        session.get_one(Participant, number).case_manager_id = second.id
    typed = {"name": "Jo Parker", "aliases": "", "date_of_birth": "", "status": "active"}
    answer = as_supervisor.post(path, {**typed, "case_manager_id": str(first.id), **shown})
    assert answer.status_code == 302
    with session_scope(app) as session:
        row = session.get_one(Participant, number)
        assert (row.name, row.case_manager_id) == ("Jo Parker", second.id)


class TestTypedInputKept:
    """A refused form comes back as it was typed: nothing typed is lost (issue rules)."""

    def test_the_plan_note_stays(self, app: Flask, as_supervisor: Web) -> None:
        number = add_participant(app, "Jo Park")
        path = f"/participants/{number}/plan"
        note = "Bed at Union Gospel from Monday\x0b(call Tina)"
        answer = as_supervisor.post(path, {"need": "housing", "provider_id": "", "note": note})
        assert answer.status_code == 422
        form = form_posting_to(answer.get_data(as_text=True), path)
        assert "Bed at Union Gospel from Monday" in form
        assert '<option value="housing" selected>' in form

    def test_the_charge_stays(self, app: Flask, as_supervisor: Web) -> None:
        number = add_participant(app, "Jo Park")
        path = f"/participants/{number}/charges"
        answer = as_supervisor.post(
            path, {"date": "2026-12-01", "description": "Theft\x0b 26-4512"}
        )
        assert answer.status_code == 422
        form = form_posting_to(answer.get_data(as_text=True), path)
        assert "26-4512" in form and 'value="2026-12-01"' in form

    def test_the_participants_changes_stay(self, app: Flask, as_supervisor: Web) -> None:
        manager = add_user(app, "Cam Reed", "case_manager", active=False)
        number = add_participant(app, "Jo Park")  # handed to Cam, who left: refused
        path = f"/participants/{number}"
        typed = {"name": "Joanne Park", "aliases": "JP, Jojo", "date_of_birth": "1990-04-02"}
        answer = as_supervisor.post(
            path, {**typed, "status": "active", "case_manager_id": str(manager.id)}
        )
        assert answer.status_code == 422
        form = form_posting_to(answer.get_data(as_text=True), path)
        assert 'value="Joanne Park"' in form and "Jojo" in form and 'value="1990-04-02"' in form

    def test_the_provider_stays(self, as_supervisor: Web) -> None:
        typed = {"name": "Harbor Clinic", "phone": "front desk", "needs": ["medical", "housing"]}
        answer = as_supervisor.post("/providers", typed)
        assert answer.status_code == 422
        form = form_posting_to(answer.get_data(as_text=True), "/providers")
        assert 'value="Harbor Clinic"' in form and 'value="front desk"' in form
        assert 'value="medical" checked' in form and 'value="food" checked' not in form


def form_posting_to(page: str, action: str) -> str:
    """Return the form of `page` that posts to `action`."""
    # A form may name where its page opens (`#…`): the browser sends that to nobody.
    found = re.search(
        rf'<form[^>]*action="{re.escape(action)}(#[^"]*)?"[^>]*>.*?</form>', page, re.S
    )
    assert found, f"no form posts to {action}"
    return found.group(0)


def as_a_browser_sends(form: str) -> dict[str, str]:
    """Return what a browser posts for `form` as drawn: inputs, and each select's chosen option."""
    sent = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form))
    for name, options in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        sent[name] = chosen.group(1) if chosen else re.findall(r'value="([^"]*)"', options)[0]
    return {name: html.unescape(value) for name, value in sent.items()}


def test_saving_a_record_whose_case_manager_left_keeps_them_unless_changed(
    app: Flask, as_supervisor: Web
) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    number = add_participant(app, "Jo Park", manager)
    with session_scope(app) as session:
        session.get_one(User, manager.id).active = False
    path = f"/participants/{number}"
    form = form_posting_to(as_supervisor.text(path), path)
    assert "Cam Reed (no longer a case manager)" in form  # shown, so not silently replaced
    sent = {**as_a_browser_sends(form), "date_of_birth": "1990-04-01"}
    assert as_supervisor.post(path, sent).status_code == 302
    with session_scope(app) as session:
        row = session.get_one(Participant, number)
        assert (row.date_of_birth, row.case_manager_id) == (date(1990, 4, 1), manager.id)


def test_a_consent_that_shares_nothing_now_says_so_on_the_record(
    app: Flask, cam: tuple[Web, User]
) -> None:
    web, user = cam
    number = add_participant(app, "Jo Park", user)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        for given, ends in ((now - timedelta(days=30), now - timedelta(days=1)), (now, None)):
            session.add(
                Consent(participant_id=number, scope="prosecutor", given_at=given, expires_at=ends)
            )
    page = web.text(f"/participants/{number}")
    listed = page[page.index('<ul class="consents"') : page.index("</ul>", page.index("consents"))]
    expired, current = listed.split("</li>")[:2]
    # Not revoked, still offered a Revoke button: only these words say it shares nothing.
    assert "not in force now" in expired and "not in force" not in current


@pytest.mark.parametrize(
    "change", [{"active": False}, {"role": "coordinator"}], ids=["left", "moved"]
)
def test_a_case_manager_who_left_is_marked_on_the_list_and_the_record(
    app: Flask, as_coordinator: Web, change: dict[str, object]
) -> None:
    manager = add_user(app, "Cam Reed", "case_manager")
    number = add_participant(app, "Jo Park", manager)
    with session_scope(app) as session:  # Cam left, or moved to the coordinators' desk
        for name, value in change.items():
            setattr(session.get_one(User, manager.id), name, value)
    # Nobody is told of an officer's contact now, and the prosecutor reads "nobody yet":
    # the program must see it to hand Jo to someone else.
    left = "Cam Reed (no longer a case manager)"
    assert left in as_coordinator.text("/participants")
    record = as_coordinator.text(f"/participants/{number}")
    facts = record[record.index('<dl class="facts') : record.index("</dl>")]
    assert left in facts


def test_an_unknown_consent_or_plan_entry_in_the_address_is_404(
    app: Flask, cam: tuple[Web, User]
) -> None:
    web, user = cam
    number, entry = with_a_plan_entry(app, web, user)
    other = add_participant(app, "Jo Park", user)
    assert web.post(f"/participants/{number}/consents", {"scope": "prosecutor"}).status_code == 302
    with session_scope(app) as session:
        consent = session.scalars(select(Consent.id)).one()
    for path, data in (
        (f"/participants/{number}/consents/{consent + 1}/revoke", {}),
        (f"/participants/{other}/consents/{consent}/revoke", {}),  # someone else's
        (f"/participants/{number}/plan/{entry + 1}", {"status": "started"}),
        (f"/participants/{other}/plan/{entry}", {"status": "started"}),
    ):
        answer = web.post(path, data)
        assert answer.status_code == 404, path
        assert "There is no page at this address" in answer.get_data(as_text=True)
    with session_scope(app) as session:
        assert session.scalars(select(Consent.revoked_at)).one() is None
        assert session.get_one(PlanEntry, entry).status == "planned"


def marked_field(page: str, field_id: str) -> tuple[str, str]:
    """Return the value a field shows and the error it is described by (both "" when none)."""
    found = re.search(rf'<(?:input|select)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert found, f"no field {field_id}"
    tag = found.group(0)
    value = re.search(r'\bvalue="([^"]*)"', tag)
    if tag.startswith("<select"):
        options = page[found.end() : page.index("</select>", found.end())]
        value = re.search(r'<option value="([^"]*)" selected', options)
    described = re.search(r'aria-describedby="([^"]*)"', tag)
    error = ""
    if 'aria-invalid="true"' in tag and described:
        for name in described.group(1).split():
            said = re.search(rf'<p [^>]*id="{name}"[^>]*>(.*?)</p>', page, re.S)
            error += said.group(1).strip() if said else ""
    return html.unescape(value.group(1)) if value else "", error


class TestRefusedFieldsAreNamed:
    """A refused participant form says which field is wrong, beside it, with what was typed."""

    def test_the_record_pages_forms(self, app: Flask, as_supervisor: Web) -> None:
        manager = add_user(app, "Cam Reed", "case_manager")
        number = add_participant(app, "Jo Park", manager)
        one = f"/participants/{number}"
        page = as_supervisor.post(
            one + "/charges", {"date": "2026-12-02", "description": "   "}
        ).get_data(as_text=True)
        assert marked_field(page, "charge-description")[1]
        assert marked_field(page, "charge-date") == ("2026-12-02", "")
        page = as_supervisor.post(
            one + "/consents", {"scope": "prosecutor", "expires_at": "2020-01-01"}
        ).get_data(as_text=True)
        assert marked_field(page, "expires_at")[0] == "2020-01-01"
        assert marked_field(page, "expires_at")[1]
        assert marked_field(page, "scope") == ("prosecutor", "")
        answer = as_supervisor.post(
            one, {"name": "Jo Park", "date_of_birth": "1990-02-31", "status": "active"}
        )
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert marked_field(page, "date_of_birth")[1]
        assert marked_field(page, "name") == ("Jo Park", "")

    def test_the_add_form(self, app: Flask, as_supervisor: Web) -> None:
        manager = add_user(app, "Cam Reed", "case_manager")
        answer = as_supervisor.post(
            "/participants",
            {"name": "Jo Park", "date_of_birth": "1990-02-31", "case_manager_id": str(manager.id)},
        )
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert marked_field(page, "date_of_birth")[1]
        assert marked_field(page, "case_manager_id") == (str(manager.id), "")

    def test_the_prosecutors_charge(self, app: Flask) -> None:
        number = add_participant(app, "Jane Doe", add_user(app, "Cam Reed", "case_manager"))
        with session_scope(app) as session:
            session.add(
                Consent(participant_id=number, scope="prosecutor", given_at=datetime.now(UTC))
            )
        web, _ = signed_in(app, "Pru Vance", "prosecutor")
        answer = web.post(
            f"/participants/{number}/charges", {"date": "2026-02-30", "description": "Theft 3"}
        )
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert marked_field(page, "charge-date")[1]
        assert marked_field(page, "charge-description") == ("Theft 3", "")

    def test_the_provider_directory(self, as_supervisor: Web) -> None:
        page = as_supervisor.post("/providers", {"name": "Harbor", "phone": "front desk"})
        assert marked_field(page.get_data(as_text=True), "provider-phone") == (
            "front desk",
            "Not a phone number: write it with + and the country code, or as a US number.",
        )


def test_a_second_consent_of_a_scope_in_force_is_refused_beside_the_scope(
    app: Flask, cam: tuple[Web, User]
) -> None:
    web, user = cam
    number = add_participant(app, "Jane Doe", user)
    path = f"/participants/{number}/consents"
    assert web.post(path, {"scope": "prosecutor"}).status_code == 302
    answer = web.post(path, {"scope": "prosecutor", "expires_at": "2030-01-01"})
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    scope, said = marked_field(page, "scope")
    assert scope == "prosecutor" and "in force" in said and "Revoke it first" in said
    assert marked_field(page, "expires_at")[0] == "2030-01-01"
    with session_scope(app) as session:
        assert session.scalars(select(Consent.scope)).all() == ["prosecutor"]


def test_the_consent_in_force_is_named_with_the_dates_the_page_was_given(
    app: Flask, cam: tuple[Web, User]
) -> None:
    web, user = cam
    number = add_participant(app, "Jane Doe", user)
    path = f"/participants/{number}/consents"
    assert web.post(path, {"scope": "prosecutor", "expires_at": "2030-01-01"}).status_code == 302
    answer = web.post(path, {"scope": "prosecutor"})
    assert answer.status_code == 409
    said = html.unescape(marked_field(answer.get_data(as_text=True), "scope")[1])
    # Its last second, 23:59:59 in Los Angeles, is the next day in UTC: the page typed the 1st.
    today = datetime.now(ZoneInfo(app.config["HOTLINE_TIMEZONE"])).date()
    assert f"given {today.isoformat()}, until 2030-01-01)" in said


class TestImpossibleDatesRefused:
    """A year typed 0202 or 9999 is refused beside its field, and nothing typed is lost."""

    def test_the_add_form_keeps_the_rest(self, app: Flask, as_supervisor: Web) -> None:
        typed = {"name": "Jo Park", "aliases": "JP", "date_of_birth": "0202-04-02"}
        answer = as_supervisor.post("/participants", typed)
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert marked_field(page, "date_of_birth")[0] == "0202-04-02"
        assert "1900" in marked_field(page, "date_of_birth")[1]
        assert marked_field(page, "name") == ("Jo Park", "")
        with session_scope(app) as session:
            assert session.scalars(select(Participant)).all() == []

    def test_the_plan_and_charge_forms_keep_the_rest(self, app: Flask, as_supervisor: Web) -> None:
        number = add_participant(app, "Jo Park", add_user(app, "Cam Reed", "case_manager"))
        path = f"/participants/{number}/plan"
        typed = {"need": "housing", "started_on": "9999-01-05", "note": "Bed at Union Gospel"}
        answer = as_supervisor.post(path, typed)
        assert answer.status_code == 422
        form = form_posting_to(answer.get_data(as_text=True), path)
        assert "Bed at Union Gospel" in form  # its start is set by "Mark started", not typed
        charge = as_supervisor.post(
            f"/participants/{number}/charges", {"date": "0202-12-01", "description": "Theft 3"}
        )
        assert charge.status_code == 422
        page = charge.get_data(as_text=True)
        assert marked_field(page, "charge-date")[1]
        assert marked_field(page, "charge-description") == ("Theft 3", "")
        with session_scope(app) as session:
            assert session.scalars(select(PlanEntry)).all() == []
            assert session.scalars(select(Message)).all() == []

    def test_the_prosecutors_charge_keeps_the_rest(self, app: Flask) -> None:
        number = add_participant(app, "Jane Doe", add_user(app, "Cam Reed", "case_manager"))
        with session_scope(app) as session:
            session.add(
                Consent(participant_id=number, scope="prosecutor", given_at=datetime.now(UTC))
            )
        web, _ = signed_in(app, "Pru Vance", "prosecutor")
        answer = web.post(
            f"/participants/{number}/charges", {"date": "9999-12-01", "description": "Theft 3"}
        )
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert "ten years" in marked_field(page, "charge-date")[1]
        assert marked_field(page, "charge-description") == ("Theft 3", "")


ACCEPTED_FORM = {
    "offense": "possession",
    "consent_confirmed": "yes",
    "disposition": "accepted",
    "needs": "housing",
}


class TestNotAReferralAfterEnrolment:
    """A referral marked "not a referral" after its acceptance enrols nobody (SPEC §6)."""

    def enrolled(
        self, app: Flask, web: Web, officer_phone: str | None = None, **picked: str
    ) -> tuple[int, int]:
        """Accept a referral of Robert Smith; return its number and its participant's."""
        number = add_referral(
            app, "acknowledged", participant_name="Robert Smith", officer_phone=officer_phone
        )
        form = {**ACCEPTED_FORM, **picked}
        assert web.post(f"/referrals/{number}/assessment", form).status_code == 302
        with session_scope(app) as session:
            participant = session.get_one(Referral, number).participant_id
        assert participant is not None
        return number, participant

    def marked(self, web: Web, number: int) -> str:
        answer = web.post(f"/referrals/{number}/actions", {"action": "not_a_referral"})
        assert answer.status_code == 302
        return web.text(f"/referrals/{number}")

    def test_the_participant_it_alone_made_leaves_the_program_on_the_record(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number, robert = self.enrolled(app, as_coordinator)
        page = self.marked(as_coordinator, number)
        assert f"Participant #{robert}, whom its assessment enrolled, was exited" in page
        with session_scope(app) as session:
            assert session.get_one(Referral, number).participant_id is None
            assert session.get_one(Participant, robert).status == "exited"
            changes = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.entity == "participant", AuditEvent.action == "update"
                )
            ).all()
            assert [(c.before or {}).get("status") for c in changes] == ["active"]
            assert [(c.after or {}).get("status") for c in changes] == ["exited"]
        assert "Robert Smith" not in as_coordinator.text("/participants")

    @pytest.mark.parametrize(
        ("officer_phone", "words"),
        [
            (None, "The caller left no number: nobody was told."),  # a withheld number
            ("+12065550177", "The officer opted out of texts: nobody was told."),  # STOP
        ],
    )
    def test_an_officer_nobody_texted_is_not_said_to_have_been_told(
        self, app: Flask, as_coordinator: Web, officer_phone: str | None, words: str
    ) -> None:
        number, robert = self.enrolled(app, as_coordinator, officer_phone=officer_phone)
        if officer_phone is not None:
            with session_scope(app) as session:
                session.add(OptOut(phone=officer_phone, at=datetime.now(UTC), source="sms"))
        page = self.marked(as_coordinator, number)
        assert f"Participant #{robert}, whom its assessment enrolled, was exited" in page
        assert words in page
        assert "the officer was told" not in page

    def test_one_with_anything_else_on_record_stays_and_the_page_says_so(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number, robert = self.enrolled(app, as_coordinator)
        consent = {"scope": "officer_status"}  # the case manager has worked with him since
        assert as_coordinator.post(f"/participants/{robert}/consents", consent).status_code == 302
        page = self.marked(as_coordinator, number)
        assert f"Participant #{robert} stays in the program" in page
        with session_scope(app) as session:
            assert session.get_one(Referral, number).participant_id is None
            assert session.get_one(Participant, robert).status == "active"

    def test_a_participant_picked_for_it_stays_and_loses_only_that_referral(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        first, robert = self.enrolled(app, as_coordinator)
        second = add_referral(app, "acknowledged", participant_name="Bob Smyth")
        form = {**ACCEPTED_FORM, "participant_id": str(robert)}
        assert as_coordinator.post(f"/referrals/{second}/assessment", form).status_code == 302
        self.marked(as_coordinator, second)
        with session_scope(app) as session:
            row = session.get_one(Participant, robert)
            linked = session.scalars(select(Referral.id).where(Referral.participant_id == robert))
            assert (row.status, list(linked)) == ("active", [first])


@pytest.mark.parametrize("status", ["planned", "started"])
def test_marking_an_entry_whose_start_is_still_to_come_starts_it_today(
    app: Flask, cam: tuple[Web, User], status: str
) -> None:
    web, user = cam
    number, entry = with_a_plan_entry(app, web, user)
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    planned = today + timedelta(days=5)  # the start the plan expected, by the API
    with session_scope(app) as session:
        row = session.get_one(PlanEntry, entry)
        row.status, row.started_on = status, planned
    button = "completed" if status == "started" else "started"
    answer = web.post(f"/participants/{number}/plan/{entry}", {"status": button})
    assert answer.status_code == 302  # was a 422 naming a field the page has not got
    page = web.text(f"/participants/{number}")
    assert f"its start date, {planned.isoformat()}, was still to come: it is today now" in page
    with session_scope(app) as session:
        row = session.get_one(PlanEntry, entry)
        ended = today if button == "completed" else None
        assert (row.status, row.started_on, row.ended_on) == (button, today, ended)


def test_a_phone_retry_of_revoke_says_it_was_sent_not_that_nothing_was_saved(
    app: Flask, cam: tuple[Web, User]
) -> None:
    web, user = cam
    number = add_participant(app, "Jane Doe", user)
    assert web.post(f"/participants/{number}/consents", {"scope": "prosecutor"}).status_code == 302
    with session_scope(app) as session:
        consent = session.scalars(select(Consent.id)).one()
    path = f"/participants/{number}/consents/{consent}/revoke"
    button = hidden_fields(web.text(f"/participants/{number}"), path)
    assert web.post(path, button).status_code == 302
    # The first answer was lost on a weak connection: the phone sends the button again.
    again = web.post(path, button)
    assert again.status_code == 302
    page = web.text(again.headers["Location"])
    assert "sent already" in page and "Nothing was saved" not in page
    with session_scope(app) as session:
        assert session.get_one(Consent, consent).revoked_at is not None


def test_every_participant_status_scope_plan_status_and_timeline_kind_is_said_in_words() -> None:
    from typing import get_args

    from hotline.models.participants import ConsentScope, ParticipantStatus, PlanStatus
    from hotline.web.words import WORDS

    kinds = {"referral", "consent", "consent_revoked", "plan", "charge", "contact"}
    codes = {*get_args(ParticipantStatus), *get_args(ConsentScope), *get_args(PlanStatus), *kinds}
    # Without words a code showed as itself ("active", "officer status"), outside the catalog.
    assert sorted(codes - set(WORDS)) == []


def test_a_later_web_language_says_a_participants_record_in_its_own_words(
    app: Flask, cam: tuple[Web, User], bracketed_words: None
) -> None:
    web, user = cam
    number = add_participant(app, "Jane Doe", user, days_unseen=3)
    assert (
        web.post(f"/participants/{number}/consents", {"scope": "officer_status"}).status_code == 302
    )
    assert web.post(f"/participants/{number}/plan", {"need": "housing"}).status_code == 302
    page = web.text(f"/participants/{number}")
    assert "<small>([[active]])</small>" in page
    assert "<li>[[officer status]]: [[given]]" in page
    assert '[[Status]]">[[planned]]' in page
    for kind in ("referral", "consent", "plan"):
        assert f"<strong>[[{kind}]]</strong>" in page, kind
