"""The referral page's completion form: a call's blanks filled in on a phone (SPEC §6, §9)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Call, Referral, ReferralEvent, User
from hotline.services import completion as completion_service
from hotline.services import referral_actions
from hotline.simulator import CallScript, Leg, SmsEmulator, VoiceEmulator, flask_poster
from hotline.web import referral_completion as completion_page
from tests.factories import BLANK_CALL_REFERRAL, add_officer, add_referral, add_rotation, add_user
from tests.races import Meanwhile
from tests.web.conftest import PASSWORD, Web
from tests.web.page_elements import read

HOTLINE = "+12065550100"
BLANK = BLANK_CALL_REFERRAL
FILLED = {
    "type": "arrest_diversion",
    "offense": "sex_work",
    "participant_name": "Jane Doe",
    "location": "3rd & Pine",
    "consent": "yes",
}


def stored(app: Flask, number: int) -> Referral:
    with session_scope(app) as session:
        referral = session.get_one(Referral, number)
        session.expunge(referral)
        return referral


def completion_events(app: Flask, number: int) -> list[tuple[str, str, int | None]]:
    """Return (field, channel, actor) of each completion event, oldest first."""
    with session_scope(app) as session:
        rows = session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == number, ReferralEvent.kind == "completed")
            .order_by(ReferralEvent.id)
        )
        return [(e.detail["field"] if e.detail else "", e.channel, e.actor_id) for e in rows]


def form_comes_first(page: str) -> bool:
    """Return whether the completion form is open and above the page's actions."""
    return 'id="completion" open' in page and page.index('id="completion"') < page.index(
        "<h2>Actions</h2>"
    )


class TestCompletionForm:
    """Coordinators and supervisors fill in type, offense, name, place and consent."""

    def test_a_blank_referral_shows_what_is_missing_in_words_first(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        page = as_coordinator.text(f"/referrals/{number}")
        assert "Missing: type, participant name, location, consent" in page
        assert form_comes_first(page)
        assert "The officer confirms the person consented" in page

    def test_a_spanish_coordinator_reads_what_is_missing_in_spanish(
        self,
        app: Flask,
        coordinator: User,
        as_coordinator: Web,
        spanish_pages: Callable[[User, dict[str, str]], None],
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        words = {"type": "tipo", "participant name": "nombre", "location": "lugar"}
        spanish_pages(coordinator, {"Missing:": "Falta:", **words, "consent": "consentimiento"})
        page = as_coordinator.text(f"/referrals/{number}")
        assert "Falta: tipo, nombre, lugar, consentimiento" in page

    def test_saving_completes_the_referral_through_the_web_channel(
        self, app: Flask, as_coordinator: Web, coordinator: User
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        answer = as_coordinator.post(f"/referrals/{number}/completion", FILLED)
        assert answer.status_code == 302
        referral = stored(app, number)
        assert (referral.type, referral.offense) == ("arrest_diversion", "sex_work")
        assert (referral.participant_name, referral.location) == ("Jane Doe", "3rd & Pine")
        assert referral.consent_at is not None and referral.consent_by == coordinator.id
        assert completion_events(app, number) == [
            (field, "web", coordinator.id)
            for field in ("type", "offense", "participant_name", "location", "consent")
        ]
        page = as_coordinator.text(f"/referrals/{number}")
        assert "Missing:" not in page and "Consent recorded" in page
        assert 'id="completion" open' not in page  # complete: the form folds away

    def test_an_offense_left_over_does_not_block_a_switch_to_social_contact(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="acknowledged")
        form = {"type": "social_contact", "offense": "possession"}
        assert as_coordinator.post(f"/referrals/{number}/completion", form).status_code == 302
        assert (stored(app, number).type, stored(app, number).offense) == ("social_contact", None)

    def test_a_too_long_name_is_refused_next_to_the_field_and_nothing_is_lost(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        form = {**FILLED, "participant_name": "x" * 201}
        answer = as_coordinator.post(f"/referrals/{number}/completion", form)
        assert answer.status_code == 422
        page = answer.get_data(as_text=True)
        assert 'class="field-error"' in page and 'value="3rd &amp; Pine"' in page
        assert stored(app, number).type is None

    @pytest.mark.parametrize(
        ("form", "field", "says"),
        [
            ({"participant_name": "x" * 201}, "participant_name", "at most 200 characters"),
            ({"location": "y" * 501}, "location", "at most 500 characters"),
            ({"type": "bogus"}, "type", "arrest_diversion"),
            ({"offense": "sex_work"}, "offense", "only an arrest diversion has an offense"),
        ],
    )
    def test_a_refused_field_is_announced_and_tied_to_its_field(
        self, app: Flask, as_coordinator: Web, form: dict[str, str], field: str, says: str
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        answer = as_coordinator.post(f"/referrals/{number}/completion", form)
        assert answer.status_code == 422
        page = read(answer.get_data(as_text=True))
        assert any("Nothing was saved" in alert for alert in page.alerts), page.alerts
        for control in page.named[field]:  # a radio group's every choice, or the one field
            assert control.get("aria-invalid") == "true", control
            described = (control.get("aria-describedby") or "").split()
            assert any(says in page.texts.get(i, "") for i in described), (control, page.texts)

    def test_a_closed_referral_has_no_form_and_refuses_a_post(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="intake_missed", **BLANK)
        assert 'id="completion"' not in as_coordinator.text(f"/referrals/{number}")
        answer = as_coordinator.post(f"/referrals/{number}/completion", FILLED)
        assert answer.status_code == 422 and "closed" in answer.get_data(as_text=True)
        assert stored(app, number).type is None

    def test_a_post_without_the_csrf_token_changes_nothing(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="acknowledged", **BLANK)
        answer = as_coordinator.client.post(f"/referrals/{number}/completion", data=FILLED)
        assert answer.status_code == 400
        assert stored(app, number).type is None

    def test_a_case_manager_gets_no_form_and_may_not_post(self, app: Flask) -> None:
        kim = add_user(app, "Kim Case", "case_manager", password=PASSWORD)
        web = Web(app.test_client())
        assert web.login(kim).status_code == 302
        number = add_referral(app, status="acknowledged", **BLANK)
        assert 'id="completion"' not in web.text(f"/referrals/{number}")
        assert web.post(f"/referrals/{number}/completion", FILLED).status_code == 403


class TestAfterTakingIt:
    """The coordinator who takes a call or ACKs a referral finds the form first."""

    def test_after_pressing_1_the_call_referral_page_opens_on_the_form(
        self, app: Flask, as_coordinator: Web, coordinator: User
    ) -> None:
        add_rotation(app, 1, coordinator)
        twilio = VoiceEmulator(
            flask_poster(app.test_client()), app.config["TWILIO_AUTH_TOKEN"], "http://localhost"
        )
        officer = add_officer(app)
        twilio.call(officer.phone, HOTLINE, CallScript(legs={coordinator.phone: [Leg("accept")]}))
        with session_scope(app) as session:
            number = session.scalars(select(Call.referral_id)).one()
        assert number is not None
        page = as_coordinator.text(f"/referrals/{number}")
        assert form_comes_first(page) and "Missing: type, participant name" in page

    def test_after_an_ack_by_text_the_page_opens_on_the_form(
        self, app: Flask, as_coordinator: Web, coordinator: User
    ) -> None:
        app.config["HOTLINE_NUMBER"] = HOTLINE
        number = add_referral(app, status="notified", **{**BLANK, "call_outcome": "voicemail"})
        phone = SmsEmulator(
            flask_poster(app.test_client()),
            app.config["TWILIO_AUTH_TOKEN"],
            "http://localhost",
            HOTLINE,
        )
        assert phone.send(coordinator.phone, f"ACK {number}").status == 200
        assert stored(app, number).acknowledged_by == coordinator.id
        assert form_comes_first(as_coordinator.text(f"/referrals/{number}"))


def test_a_referral_closed_by_text_as_the_form_is_saved_is_refused_and_left_as_closed(
    app: Flask, as_coordinator: Web, ben: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = add_referral(app, status="acknowledged", acknowledged_by=ben.id, **BLANK)
    real = completion_page.form_values
    closed: list[bool] = []

    def ben_closes_it_meanwhile() -> Any:
        # The save has read the referral; Ben's NONCOMPLY, in another worker, commits first.
        def noncomply() -> None:
            with session_scope(app) as session:
                taker = session.get_one(User, ben.id)
                outcome = referral_actions.close_intake(
                    session, number, taker, False, "", datetime.now(UTC), "sms", None
                )
                closed.append(isinstance(outcome, referral_actions.Done))

        worker = threading.Thread(target=noncomply)
        worker.start()
        worker.join()
        return real()

    monkeypatch.setattr(completion_page, "form_values", ben_closes_it_meanwhile)
    answer = as_coordinator.post(f"/referrals/{number}/completion", FILLED)
    assert closed == [True]
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "closed" in page
    # What she typed is still on the page to read (and put in a note), with no Save to press.
    assert 'value="Jane Doe"' in page and 'value="3rd &amp; Pine"' in page
    assert 'id="save-completion"' not in page
    after = stored(app, number)
    assert (after.status, after.type, after.participant_name) == ("intake_missed", None, None)
    assert completion_events(app, number) == []


def test_a_close_that_lands_between_the_saves_read_and_write_never_follows_a_change_after_it(
    app: Flask, as_coordinator: Web, ben: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = add_referral(app, status="acknowledged", acknowledged_by=ben.id, **BLANK)
    closed: list[object] = []

    def noncomply() -> None:  # Ben's NONCOMPLY, in another worker, once the save has read it
        with session_scope(app) as session:
            taker = session.get_one(User, ben.id)
            now = datetime.now(UTC)
            closed.append(
                referral_actions.close_intake(session, number, taker, False, "", now, "sms", None)
            )

    meanwhile = Meanwhile(noncomply)
    meanwhile.at(monkeypatch, completion_service, "new_values")
    answer = as_coordinator.post(f"/referrals/{number}/completion", FILLED)
    meanwhile.join()
    assert isinstance(closed[0], referral_actions.Done)  # the officer was told "not completed"
    with session_scope(app) as session:
        kinds = session.scalars(
            select(ReferralEvent.kind)
            .where(ReferralEvent.referral_id == number)
            .order_by(ReferralEvent.id)
        ).all()
    # Either the save went first (and the close after it), or it was refused: a closed
    # referral is never changed afterwards (SPEC §6, §8 409 when it is closed).
    if answer.status_code == 302:
        assert kinds[-1] == "intake_missed" and "completed" in kinds
    else:
        assert answer.status_code == 422 and "completed" not in kinds


def test_the_timeline_says_what_each_completion_set_or_changed(
    app: Flask, as_coordinator: Web
) -> None:
    number = add_referral(app, status="acknowledged", **BLANK)
    as_coordinator.post(f"/referrals/{number}/completion", FILLED)
    as_coordinator.post(f"/referrals/{number}/completion", {"location": "4th & Pike"})

    page = as_coordinator.text(f"/referrals/{number}")

    timeline = page[page.index("<h2>Timeline</h2>") :]
    assert "type set: arrest diversion" in timeline
    assert "offence set: sex work" in timeline
    assert "participant name set: Jane Doe" in timeline
    assert "location changed from 3rd &amp; Pine to 4th &amp; Pike" in timeline
    assert "consent confirmed" in timeline
    assert "— <strong>completed</strong>" not in timeline
