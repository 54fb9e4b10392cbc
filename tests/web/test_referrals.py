"""Referral pages: the list, the timeline, actions and the brief assessment form."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import Assessment, AuditEvent, Message, Referral, User
from hotline.schemas.assessment import AssessmentIn
from hotline.services import referral_actions
from hotline.services.assessments import record_assessment
from hotline.services.referrals import add_event
from hotline.web import assessment as assessment_page
from tests.factories import add_officer, add_referral
from tests.web.conftest import Web

FORM = {
    "offense": "possession",
    "consent_confirmed": "yes",
    "needs": ["housing", "substance_use"],
    "risks": [],
    "services": "detox bed\nbus pass",
    "disposition": "accepted",
    "race_ethnicity": "Black",
}


API_FORM = {"offense": "possession", "consent_confirmed": True, "needs": ["housing"]}


def seen_version(page: str) -> str:
    """Return the assessment version a form page was drawn from (its hidden field)."""
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "the form says which version it was drawn from"
    return found.group(1)


def status_of(app: Flask, referral_id: int) -> str:
    with session_scope(app) as session:
        return session.get_one(Referral, referral_id).status


class TestList:
    """Waiting referrals come first, with their age; filters narrow the list."""

    def test_waiting_first_and_filters(self, app: Flask, as_coordinator: Web) -> None:
        old = datetime.now(UTC) - timedelta(hours=3)
        done = add_referral(app, status="intake_completed")
        waiting = add_referral(app, status="notified", created_at=old)
        page = as_coordinator.text("/referrals")
        assert page.index(f"#{waiting}<") < page.index(f"#{done}<")
        assert "(waiting 3 h)" in page  # an age in words, not "180 min"
        filtered = as_coordinator.text("/referrals?status=intake_completed")
        assert f"#{done}<" in filtered and f"#{waiting}<" not in filtered

    def test_a_referral_waiting_for_months_is_listed_past_a_hundred_newer_ones(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        now = datetime.now(UTC)
        waiting = add_referral(app, status="received", created_at=now - timedelta(days=120))
        with session_scope(app) as session:
            for n in range(105):
                at = now - timedelta(hours=n)
                session.add(Referral(status="intake_completed", channel="sms", created_at=at))
        page = as_coordinator.text("/referrals")
        assert f"#{waiting}<" in page and "(waiting 120 days)" in page
        assert "The newest 100 of the 105 others are shown" in page

    def test_referrals_whose_type_is_not_set_can_be_listed_alone(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        # The reports count them under "not set": the list must find them too.
        blank = add_referral(app, "acknowledged", channel="voice", type=None, offense=None)
        typed = add_referral(app, "acknowledged")
        page = as_coordinator.text("/referrals?type=none")
        assert f"#{blank}<" in page and f"#{typed}<" not in page
        assert '<option value="none" selected>not set</option>' in page

    def test_filters_that_can_match_nothing_are_ignored_not_a_crash(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="notified")
        for query in ("officer=%C2%B2", "until=9999-12-31", "since=0001-01-01"):
            answer = as_coordinator.get(f"/referrals?{query}")  # a superscript two, the last day
            assert answer.status_code == 200, query
            assert f"#{number}<" in answer.get_data(as_text=True), query


class TestReferralPage:
    """The whole timeline, and actions that text the officer status words only."""

    def test_timeline_shows_texts_and_events_and_the_view_is_audited(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        officer = add_officer(app)
        number = add_referral(app, officer_phone=officer.phone, officer_id=officer.id)
        with session_scope(app) as session:
            session.add(
                Message(
                    direction="in",
                    from_number=officer.phone,
                    to_number="+1",
                    body="3rd & Pine",
                    status="received",
                    created_at=datetime.now(UTC),
                    referral_id=number,
                )
            )
            add_event(session, number, "referral_sent", "sms", datetime.now(UTC))
        page = as_coordinator.text(f"/referrals/{number}")
        assert "Jane Doe" in page and "Officer Smith" in page
        assert f"text from {officer.phone}" in page and "referral sent" in page
        with session_scope(app) as session:
            assert session.scalars(
                select(AuditEvent.action).where(AuditEvent.entity_id == number)
            ).all() == ["view"]

    def test_actions_ack_note_and_intake(self, app: Flask, as_coordinator: Web) -> None:
        officer = add_officer(app)
        number = add_referral(app, officer_phone=officer.phone, officer_id=officer.id)
        for action, text in (("ack", ""), ("note", "needs a ride"), ("intake_completed", "")):
            answer = as_coordinator.post(
                f"/referrals/{number}/actions", {"action": action, "text": text}
            )
            assert answer.status_code == 302
        assert status_of(app, number) == "intake_completed"
        page = as_coordinator.text(f"/referrals/{number}")
        assert "needs a ride" in page and "intake completed" in page
        with session_scope(app) as session:
            bodies = list(
                session.scalars(select(Message.body).where(Message.to_number == officer.phone))
            )
        assert bodies == [
            f"LEAD #{number}: with a coordinator, Cora Lee.",
            f"LEAD #{number}: intake completed.",
        ]

    def test_not_a_referral_and_missing_csrf(self, app: Flask, as_coordinator: Web) -> None:
        number = add_referral(app)
        assert (
            as_coordinator.client.post(
                f"/referrals/{number}/actions", data={"action": "not_a_referral"}
            ).status_code
            == 400
        )
        assert status_of(app, number) == "notified"
        as_coordinator.post(f"/referrals/{number}/actions", {"action": "not_a_referral"})
        assert status_of(app, number) == "not_a_referral"

    def test_anonymous_visitors_are_sent_to_login(self, app: Flask, client) -> None:  # type: ignore[no-untyped-def]
        number = add_referral(app)
        assert client.get(f"/referrals/{number}").status_code == 302
        assert client.get("/referrals").status_code == 302


class TestAssessmentForm:
    """The form validates like the API and keeps every version."""

    def test_save_sets_assessed_and_a_second_save_adds_a_version(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app)
        assert as_coordinator.post(f"/referrals/{number}/assessment", FORM).status_code == 302
        assert status_of(app, number) == "assessed"
        assert "housing" in as_coordinator.text(f"/referrals/{number}")
        as_coordinator.post(f"/referrals/{number}/assessment", {**FORM, "needs": ["food"]})
        with session_scope(app) as session:
            versions = session.scalars(select(Assessment.needs).order_by(Assessment.version)).all()
        assert versions == [["housing", "substance_use"], ["food"]]  # as ticked, both kept

    def test_ineligible_without_an_exclusion_is_refused_next_to_the_checklist(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app)
        answer = as_coordinator.post(
            f"/referrals/{number}/assessment", {**FORM, "disposition": "ineligible"}
        )
        assert answer.status_code == 422
        assert 'id="exclusions-error"' in answer.get_data(as_text=True)
        with session_scope(app) as session:
            assert session.scalars(select(Assessment)).first() is None

    def test_accepted_without_consent_is_refused(self, app: Flask, as_coordinator: Web) -> None:
        number = add_referral(app)
        form = {key: value for key, value in FORM.items() if key != "consent_confirmed"}
        answer = as_coordinator.post(f"/referrals/{number}/assessment", form)
        assert answer.status_code == 422 and 'id="consent-error"' in answer.get_data(as_text=True)

    def test_the_form_carries_a_call_911_prompt_for_risks(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app)
        page = as_coordinator.text(f"/referrals/{number}/assessment")
        assert 'class="call911"' in page and "call 911 now" in page
        saved = as_coordinator.post(
            f"/referrals/{number}/assessment",
            {**FORM, "risks": ["self_harm"]},
            follow_redirects=True,
        )
        assert "Immediate risk: call 911 now" in saved.get_data(as_text=True)

    def test_disposition_has_no_default_and_must_be_chosen(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app)
        page = as_coordinator.text(f"/referrals/{number}/assessment")
        assert '<option value="" selected>Choose…</option>' in page
        assert 'value="accepted" selected' not in page
        answer = as_coordinator.post(f"/referrals/{number}/assessment", {**FORM, "disposition": ""})
        assert answer.status_code == 422
        assert "Choose a disposition." in answer.get_data(as_text=True)
        assert status_of(app, number) == "notified"

    def test_an_offence_nobody_gave_is_not_preselected_as_possession(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        social = add_referral(app, type="social_contact", offense=None)
        call = add_referral(app, channel="voice", type=None, offense=None)

        def offence_select(number: int) -> str:
            page = as_coordinator.text(f"/referrals/{number}/assessment")
            start = page.index('id="offense"')
            return page[start : page.index("</select>", start)]

        assert 'value="none" selected' in offence_select(social)  # a social contact: none
        unknown = offence_select(call)
        assert '<option value="" selected>Choose…</option>' in unknown
        assert "selected" not in unknown.replace('<option value="" selected>', "")
        answer = as_coordinator.post(f"/referrals/{call}/assessment", {**FORM, "offense": ""})
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert "Choose the offence" in page and "detox bed" in page  # what was typed stays
        with session_scope(app) as session:
            assert session.scalars(select(Assessment)).first() is None

    def test_consent_is_its_own_step_and_the_referral_is_summarised(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, participant_name="Ruth Alvarez", location="5th & Main")
        page = as_coordinator.text(f"/referrals/{number}/assessment")
        consent = page.index("1. Consent")
        assert consent < page.index('id="consent_confirmed"') < page.index("2. Eligibility")
        assert page.index("Ruth Alvarez") < page.index('class="assessment-form"')  # summary first
        assert "5th &amp; Main" in page
        assert f'href="/referrals/{number}" id="cancel-assessment"' in page

    def test_a_form_opened_before_someone_else_saved_is_refused_with_the_answers_kept(
        self, app: Flask, as_coordinator: Web, ben: User
    ) -> None:
        number = add_referral(app, "acknowledged")
        path = f"/referrals/{number}/assessment"
        opened = seen_version(as_coordinator.text(path))
        with session_scope(app) as session:  # Ben saves "accepted" meanwhile
            data = AssessmentIn.model_validate({**API_FORM, "disposition": "accepted"})
            record_assessment(session, number, data, Actor(ben.id, "web"), datetime.now(UTC), None)
        mine = {**FORM, "disposition": "unable_to_contact", "services": "called her sister"}
        answer = as_coordinator.post(path, {**mine, "version": opened})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 409
        assert "Version 1 was saved meanwhile by Ben" in page
        assert "called her sister" in page  # what was typed is kept
        with session_scope(app) as session:
            latest = session.scalars(select(Assessment.disposition)).all()
            assert latest == ["accepted"] and status_of(app, number) == "assessed"
        again = as_coordinator.post(path, {**mine, "version": seen_version(page)})
        assert again.status_code == 302  # saved knowingly, as version 2

    def test_a_refused_save_keeps_the_version_the_form_was_opened_at(
        self, app: Flask, as_coordinator: Web, ben: User
    ) -> None:
        # Fixing a refused answer must not quietly save over what Ben saved meanwhile.
        number = add_referral(app, "acknowledged")
        path = f"/referrals/{number}/assessment"
        opened = seen_version(as_coordinator.text(path))
        with session_scope(app) as session:
            data = AssessmentIn.model_validate({**API_FORM, "disposition": "accepted"})
            record_assessment(session, number, data, Actor(ben.id, "web"), datetime.now(UTC), None)
        mine = {**FORM, "disposition": "", "services": "called her sister"}
        refused = as_coordinator.post(path, {**mine, "version": opened})
        assert refused.status_code == 422
        fixed = {**mine, "disposition": "declined"}
        answer = as_coordinator.post(
            path, {**fixed, "version": seen_version(refused.get_data(as_text=True))}
        )
        assert answer.status_code == 409
        assert "Version 1 was saved meanwhile by Ben" in answer.get_data(as_text=True)
        with session_scope(app) as session:
            assert session.scalars(select(Assessment.disposition)).all() == ["accepted"]

    def test_the_same_form_posted_twice_saves_one_version(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, "acknowledged")
        path = f"/referrals/{number}/assessment"
        form = {**FORM, "version": seen_version(as_coordinator.text(path))}
        assert as_coordinator.post(path, form).status_code == 302
        assert as_coordinator.post(path, form).status_code == 409  # a phone's retry
        with session_scope(app) as session:
            assert len(session.scalars(select(Assessment)).all()) == 1

    def test_a_closed_referral_is_409(self, app: Flask, as_coordinator: Web) -> None:
        number = add_referral(app, "intake_completed")
        answer = as_coordinator.post(f"/referrals/{number}/assessment", FORM)
        assert answer.status_code == 409
        assert "is closed" in answer.get_data(as_text=True)

    def test_refused_services_and_notes_are_named_beside_them(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, "acknowledged")
        path = f"/referrals/{number}/assessment"
        long_line = {**FORM, "services": "Detox bed at Harborview, " * 13}
        answer = as_coordinator.post(path, long_line)
        assert answer.status_code == 422
        assert 'id="services-error"' in answer.get_data(as_text=True)
        pasted = as_coordinator.post(path, {**FORM, "notes": "Housing\x0bfirst"})
        assert pasted.status_code == 422
        assert 'id="notes-error"' in pasted.get_data(as_text=True)

    def test_self_reported_answers_are_choices_matching_the_reports(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app)
        page = as_coordinator.text(f"/referrals/{number}/assessment")
        assert '<select id="race_ethnicity" name="race_ethnicity">' in page
        assert '<option value="declined to say"' in page
        assert 'type="text" id="race_ethnicity"' not in page
        form = {**FORM, "race_ethnicity": "Black or African American", "age_range": "25–34"}
        assert as_coordinator.post(f"/referrals/{number}/assessment", form).status_code == 302
        again = as_coordinator.text(f"/referrals/{number}/assessment")
        assert '<option value="Black or African American" selected>' in again
        assert '<option value="25–34" selected>' in again


def test_a_filter_date_that_is_no_day_is_named_not_dropped_unseen(
    app: Flask, as_coordinator: Web
) -> None:
    add_referral(app, "intake_completed", created_at=datetime(2026, 1, 10, 20, tzinfo=UTC))
    answer = as_coordinator.get("/referrals?since=2026-02-30")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="f-since-error"' in page and "a day that exists" in page
    assert as_coordinator.get("/referrals?since=2026-01-01").status_code == 200


def test_a_filter_day_beyond_any_referral_shows_none_rather_than_all(
    app: Flask, as_coordinator: Web
) -> None:
    number = add_referral(app, "intake_completed", created_at=datetime(2026, 1, 10, tzinfo=UTC))
    for query in ("since=2201-01-01", "until=1899-12-31", "until=0202-01-05"):
        page = as_coordinator.text(f"/referrals?{query}")
        assert f">#{number}<" not in page and "No referral matches." in page, query
    for query in ("since=1899-12-31", "until=2201-01-01", "until=9999-12-31"):
        assert f">#{number}<" in as_coordinator.text(f"/referrals?{query}"), query


def test_an_officer_number_past_any_officers_shows_none_rather_than_all(
    app: Flask, as_coordinator: Web
) -> None:
    officer = add_officer(app)
    number = add_referral(app, "intake_completed", officer_id=officer.id)
    for query in ("officer=9999999999", "officer=99999999999999999999999"):
        answer = as_coordinator.get(f"/referrals?{query}")  # no officer has it: none of theirs
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200, query
        assert f">#{number}<" not in page and "No referral matches." in page, query
    assert f">#{number}<" in as_coordinator.text(f"/referrals?officer={officer.id}")


def meanwhile(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Have `change` commit in another worker once the assessment page has read its referral."""
    real = assessment_page.latest_assessment  # type: ignore[attr-defined]
    done: list[bool] = []

    def read_then_wait(*args: object, **kwargs: object) -> object:
        if not done:
            done.append(True)
            worker = threading.Thread(target=change)
            worker.start()
            worker.join()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(assessment_page, "latest_assessment", read_then_wait)


class TestAssessmentRaces:
    """An assessment saved while another worker changes its referral (SPEC §5, §6)."""

    def test_the_intake_deadline_closing_it_meanwhile_makes_the_save_409_not_a_reopening(
        self, app: Flask, as_coordinator: Web, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        old = datetime.now(UTC) - timedelta(days=31)
        officer = add_officer(app)
        number = add_referral(
            app, "assessed", created_at=old, officer_id=officer.id, officer_phone=officer.phone
        )
        path = f"/referrals/{number}/assessment"
        opened = seen_version(as_coordinator.text(path))

        def clock_runs() -> None:  # the hourly intake-deadlines run closes it as she saves
            assert run_job(app, "intake-deadlines", datetime.now(UTC)).startswith("1 ")

        meanwhile(monkeypatch, clock_runs)
        answer = as_coordinator.post(path, {**FORM, "version": opened})
        assert answer.status_code == 409
        assert "is closed" in answer.get_data(as_text=True)
        assert status_of(app, number) == "intake_missed"  # the officer was told so
        with session_scope(app) as session:
            assert session.scalars(select(Assessment)).all() == []

    def test_an_ack_by_text_meanwhile_keeps_the_referral_with_who_took_it(
        self, app: Flask, as_coordinator: Web, ben: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        officer = add_officer(app)
        number = add_referral(app, "notified", officer_id=officer.id, officer_phone=officer.phone)
        path = f"/referrals/{number}/assessment"
        opened = seen_version(as_coordinator.text(path))

        def ben_acks() -> None:
            with session_scope(app) as session:
                taker = session.get_one(User, ben.id)
                outcome = referral_actions.acknowledge(
                    session, number, taker, datetime.now(UTC), "sms", None
                )
                assert isinstance(outcome, referral_actions.Taken)  # "You have #n"

        meanwhile(monkeypatch, ben_acks)
        answer = as_coordinator.post(path, {**FORM, "version": opened})
        assert answer.status_code == 302  # an open referral may be assessed by anyone
        with session_scope(app) as session:
            referral = session.get_one(Referral, number)
            assert (referral.status, referral.acknowledged_by) == ("assessed", ben.id)
            to_officer = session.scalars(
                select(Message.body).where(Message.to_number == officer.phone)
            ).all()
        # The officer heard once who has the referral: Ben, whom the ACK told "You have #n".
        assert to_officer == [f"LEAD #{number}: with a coordinator, Ben Okafor."]


def test_a_later_web_language_says_an_unverified_caller_and_an_assessments_answers(
    app: Flask, as_coordinator: Web, bracketed_words: None
) -> None:
    # "unverified", a consent "confirmed" and services "none" were English literals in the
    # templates, which no catalog could translate.
    number = add_referral(app, "received", badge="B77", officer_phone="+12065550999")
    listed = as_coordinator.text("/referrals")
    assert '[[Officer]]">[[unverified]] B77</td>' in listed
    saved = as_coordinator.post(f"/referrals/{number}/assessment", {**FORM, "services": ""})
    assert saved.status_code == 302
    page = as_coordinator.text(f"/referrals/{number}")
    assert "[[; consent]] [[confirmed]]</li>" in page
    assert "[[Services:]] [[none]]</li>" in page
