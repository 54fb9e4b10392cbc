"""The referral page follows the referral: actions by status and holder; assessment in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.db import session_scope
from hotline.models import (
    Assessment,
    Call,
    CallLeg,
    Message,
    OptOut,
    Referral,
    ReferralEvent,
    User,
)
from hotline.services import referral_actions
from hotline.web import referrals as referrals_page
from tests.factories import add_officer, add_referral, add_user
from tests.web.conftest import Web

BUTTONS = {
    "ack": 'id="action-ack"',
    "intake_completed": 'id="action-intake-completed"',
    "intake_missed": 'id="action-intake-missed"',
    "not_a_referral": 'id="action-not-a-referral"',
}


def shown(page: str) -> set[str]:
    """Return the status-changing buttons a page offers."""
    return {action for action, marker in BUTTONS.items() if marker in page}


def held_by(app: Flask, name: str | None, status: str) -> int:
    """Add a referral in `status`, held by a new person called `name` (or nobody)."""
    fields = {}
    if name is not None:
        fields = {"acknowledged_by": add_user(app, name).id, "acknowledged_at": datetime.now(UTC)}
    return add_referral(app, status=status, **fields)


class TestActionsOffered:
    """Only the actions the referral's status and the viewer allow are offered."""

    @pytest.mark.parametrize(
        ("status", "holder", "expected"),
        [
            ("notified", None, {"ack", "not_a_referral"}),
            ("acknowledged", "Ana Diaz", {"intake_completed", "intake_missed", "not_a_referral"}),
            ("assessed", "Ana Diaz", {"intake_completed", "intake_missed", "not_a_referral"}),
            ("intake_completed", "Ana Diaz", set()),
            ("not_a_referral", None, set()),
        ],
    )
    def test_buttons_follow_the_status(
        self, app: Flask, as_coordinator: Web, status: str, holder: str | None, expected: set[str]
    ) -> None:
        page = as_coordinator.text(f"/referrals/{held_by(app, holder, status)}")
        assert shown(page) == expected
        assert 'id="action-note"' in page  # a note never changes the status
        assert ('id="actions-closed"' in page) == (not expected)

    def test_no_take_it_on_a_referral_the_viewer_already_holds(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        assert as_coordinator.user is not None
        number = add_referral(app, status="acknowledged", acknowledged_by=as_coordinator.user.id)
        assert "ack" not in shown(as_coordinator.text(f"/referrals/{number}"))

    def test_its_assessor_who_could_not_reach_the_person_can_go_on_to_close_the_intake(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        # An `unable_to_contact` assessment leaves `notified` but makes its author the
        # holder (SPEC §6): the page must still lead them to "intake not completed".
        assert as_coordinator.user is not None
        number = add_referral(app, status="notified", acknowledged_by=as_coordinator.user.id)
        assert shown(as_coordinator.text(f"/referrals/{number}")) == {"ack", "not_a_referral"}
        taken = as_coordinator.post(f"/referrals/{number}/actions", {"action": "ack"})
        assert taken.status_code == 302
        page = as_coordinator.text(f"/referrals/{number}")
        assert {"intake_completed", "intake_missed"} <= shown(page)
        with session_scope(app) as session:
            referral = session.get_one(Referral, number)
            assert (referral.status, referral.acknowledged_by) == (
                "acknowledged",
                as_coordinator.user.id,
            )

    def test_a_caller_who_left_no_number_is_not_said_to_have_been_told(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="notified", channel="voice", officer_phone=None)
        as_coordinator.post(f"/referrals/{number}/actions", {"action": "ack"})
        page = as_coordinator.text(f"/referrals/{number}")
        assert f"You have #{number}. The caller left no number: nobody was told." in page
        as_coordinator.post(f"/referrals/{number}/actions", {"action": "intake_missed"})
        page = as_coordinator.text(f"/referrals/{number}")
        assert "intake not completed. The caller left no number: nobody was told." in page

    def test_an_officer_whose_phone_opted_out_is_not_said_to_have_been_told(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="notified", officer_phone="+12065550177")
        with session_scope(app) as session:
            session.add(OptOut(phone="+12065550177", at=datetime.now(UTC), source="sms"))
        as_coordinator.post(f"/referrals/{number}/actions", {"action": "ack"})
        page = as_coordinator.text(f"/referrals/{number}")
        assert "opted out of texts: nobody was told." in page
        as_coordinator.post(f"/referrals/{number}/actions", {"action": "intake_completed"})
        page = as_coordinator.text(f"/referrals/{number}")
        assert "intake completed. The officer opted out of texts: nobody was told." in page


class TestRefusals:
    """A POST of an action the page would not offer is refused with a reason; nothing changes."""

    @pytest.mark.parametrize(
        ("status", "holder", "action", "reason"),
        [
            ("acknowledged", "Ana Diaz", "ack", "is already taken: it is acknowledged"),
            ("notified", None, "intake_completed", "is not acknowledged yet"),
            ("notified", None, "intake_missed", "is not acknowledged yet"),
            ("intake_completed", "Ana Diaz", "intake_missed", "is closed (intake completed)"),
            ("declined", "Ana Diaz", "not_a_referral", "is closed (declined)"),
            ("not_a_referral", None, "ack", "is closed (not a referral)"),
        ],
    )
    def test_refused_with_a_clear_message(
        self,
        app: Flask,
        as_coordinator: Web,
        status: str,
        holder: str | None,
        action: str,
        reason: str,
    ) -> None:
        number = held_by(app, holder, status)
        answer = as_coordinator.post(f"/referrals/{number}/actions", {"action": action})
        assert answer.status_code == 409
        assert f"#{number} {reason}" in answer.get_data(as_text=True)
        with session_scope(app) as session:
            assert session.get_one(Referral, number).status == status
            assert session.scalars(select(Message)).first() is None  # nobody was texted

    def test_a_note_on_a_closed_referral_is_still_kept(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="intake_completed")
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "note", "text": "called back later"}
        )
        assert answer.status_code == 302
        assert "called back later" in as_coordinator.text(f"/referrals/{number}")

    def test_the_reason_typed_is_kept_when_the_intake_was_closed_meanwhile(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = held_by(app, "Ana Diaz", "intake_completed")
        reason = "Waited 40 min at the clinic; she left with her sister."
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "intake_missed", "text": reason}
        )
        assert answer.status_code == 409
        assert reason in answer.get_data(as_text=True)  # in the box, to save as a note

    def test_a_reason_typed_as_someone_closes_the_intake_at_that_moment_is_kept_in_a_409(
        self, app: Flask, as_coordinator: Web, ben: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Both pressed at once: the page offered it to both; the service settles who wins.
        officer = add_officer(app)
        number = add_referral(
            app, "acknowledged", officer_id=officer.id, officer_phone=officer.phone
        )
        real, done = referrals_page.holder_is_gone, []

        def ben_closes_it_first(session: Session, referral_id: int) -> bool:
            if not done:
                done.append(True)
                with session_scope(app) as other:
                    taker = other.get_one(User, ben.id)
                    now = datetime.now(UTC)
                    referral_actions.close_intake(other, number, taker, True, "", now, "web", None)
            return real(session, referral_id)

        monkeypatch.setattr(referrals_page, "holder_is_gone", ben_closes_it_first)
        reason = "Waited 40 min at the clinic; she left with her sister."
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "intake_missed", "text": reason}
        )
        page = answer.get_data(as_text=True)
        assert answer.status_code == 409
        assert reason in page and f"#{number} is intake completed" in page
        with session_scope(app) as session:
            assert session.get_one(Referral, number).status == "intake_completed"
            kinds = session.scalars(select(ReferralEvent.kind)).all()
            assert kinds.count("intake_completed") == 1 and "intake_missed" not in kinds

    def test_an_empty_note_is_a_422_that_says_so(self, app: Flask, as_coordinator: Web) -> None:
        number = add_referral(app, "acknowledged")
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "note", "text": " "}
        )
        assert answer.status_code == 422
        assert "Write the note first" in answer.get_data(as_text=True)

    def test_a_note_too_long_is_refused_whole_not_cut_short(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, "acknowledged")
        text = "x" * 2000 + " END OF NOTE"
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "note", "text": text}
        )
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert "at most 2,000 characters" in page and "END OF NOTE" in page
        with session_scope(app) as session:
            kinds = session.scalars(select(ReferralEvent.kind)).all()
            assert "note" not in kinds

    def test_a_long_text_left_in_the_note_box_does_not_stop_an_ack(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, "notified")
        answer = as_coordinator.post(
            f"/referrals/{number}/actions", {"action": "ack", "text": "x" * 2001}
        )
        assert answer.status_code == 302
        with session_scope(app) as session:
            assert session.get_one(Referral, number).status == "acknowledged"


class TestAssessmentInWords:
    """The latest assessment reads as words, with the self-reported fields and services."""

    def test_codes_are_shown_as_words(self, app: Flask, as_coordinator: Web) -> None:
        assert as_coordinator.user is not None
        number = add_referral(app, status="ineligible")
        with session_scope(app) as session:
            session.add(
                Assessment(
                    referral_id=number,
                    version=1,
                    completed_by=as_coordinator.user.id,
                    completed_at=datetime.now(UTC),
                    offense="subsistence_sale",
                    exclusions=["under_18", "violent_history"],
                    consent_confirmed=False,
                    needs=["substance_use", "mental_health"],
                    risks=["self_harm"],
                    services=["detox bed", "bus pass"],
                    disposition="unable_to_contact",
                    age_range="25-34",
                    gender="woman",
                    race_ethnicity="Black",
                )
            )
        page = as_coordinator.text(f"/referrals/{number}")
        section = page[page.index('id="assessment"') : page.index("<h2>Timeline")]
        assert "<strong>unable to contact</strong>" in section
        assert "offence: sale for subsistence" in section
        assert "Exclusions: under 18; disqualifying violent history" in section
        assert "Needs: substance use, mental health" in section
        assert "Immediate risks: self-harm" in section
        assert "Services: detox bed; bus pass" in section
        assert "age range 25-34; gender woman; race/ethnicity Black" in section
        assert "_" not in section.replace("class=", "")  # no code left as it is stored


def test_how_a_referral_came_in_is_said_in_words_not_its_channel_code(
    app: Flask, as_coordinator: Web
) -> None:
    texted = add_referral(app, "notified")
    called = add_referral(app, "received", channel="voice", type=None, offense=None)

    page = as_coordinator.text(f"/referrals/{texted}")
    listed = as_coordinator.text("/referrals")
    dashboard = as_coordinator.text("/")

    received = page[page.index("<dt>Received</dt>") :].split("</dd>")[0]
    assert received.endswith("by text message")
    row = listed[listed.index(f">#{called}<") :].split("</tr>")[0]
    assert ">phone call<" in row and ">voice<" not in row
    assert '<option value="sms" >text message</option>' in listed
    item = dashboard[dashboard.index(f">#{texted}<") :].split("</li>")[0]
    assert "text message referral" in item and "sms" not in item


class TestTimelineInWords:
    """A call's lines and the texts sent about it read as words, not as stored codes."""

    def test_each_line_dialled_and_each_notice_is_said_in_words(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="notified", channel="voice")
        at = datetime.now(UTC)
        outcomes = ["no-answer", "busy", "failed", "canceled", None]
        with session_scope(app) as session:
            call = Call(call_sid="CA1", from_number="+12065550177", to_number="+12065550100")
            call.referral_id, call.started_at = number, at
            session.add(call)
            session.flush()
            for step, outcome in enumerate(outcomes):
                number_dialled = f"+1206555010{step}"
                leg = CallLeg(call_id=call.id, step=step, number=number_dialled, at=at)
                leg.outcome = outcome
                session.add(leg)
            for kind in ("abandoned_notified", "voicemail_notified", "recording_notified"):
                session.add(ReferralEvent(referral_id=number, kind=kind, channel="system", at=at))
        page = as_coordinator.text(f"/referrals/{number}")
        timeline = page[page.index("<h2>Timeline") :]
        for words in (
            "+12065550100: did not answer",
            "+12065550101: line busy",
            "+12065550102: could not be reached",
            "+12065550103: stopped ringing",
            "+12065550104: ringing",
            "staff texted that nobody took the call",
            "staff texted about the voicemail",
            "staff texted about the recording",
        ):
            assert words in timeline, words
        assert "no-answer" not in timeline and "notified" not in timeline

    def test_how_each_text_fared_is_said_in_words(self, app: Flask, as_coordinator: Web) -> None:
        number = add_referral(app, status="notified")
        at = datetime.now(UTC)
        with session_scope(app) as session:
            for step, status in enumerate(("queued", "failed", "suppressed", "delivered")):
                text = Message(direction="out", from_number="+12065550100", body=f"text {step}")
                text.to_number, text.status = f"+1206555012{step}", status
                text.referral_id, text.created_at = number, at
                session.add(text)
        page = as_coordinator.text(f"/referrals/{number}")
        timeline = page[page.index("<h2>Timeline") :]
        for words in (
            "text to +12065550120</strong> (waiting to be sent)",
            "text to +12065550121</strong> (could not be sent)",
            "text to +12065550122</strong> (not sent: the number opted out with STOP)",
            "text to +12065550123</strong> (delivered)",
        ):
            assert words in timeline, words
        assert "suppressed" not in timeline and "(queued)" not in timeline

    def test_who_did_what_nobody_signed_in_for_is_said_in_words(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="intake_missed", channel="voice")
        at = datetime.now(UTC)
        with session_scope(app) as session:
            for kind, channel in (("voicemail_offered", "voice"), ("referral_sent", "sms")):
                session.add(ReferralEvent(referral_id=number, kind=kind, channel=channel, at=at))
            deadline = {"reason": "deadline"}
            missed = ReferralEvent(
                referral_id=number, kind="intake_missed", channel="system", at=at
            )
            missed.detail = deadline
            session.add(missed)
        page = as_coordinator.text(f"/referrals/{number}")
        timeline = page[page.index("<h2>Timeline") :]
        assert "voicemail offered</strong> (caller)" in timeline
        assert "referral sent</strong> (officer (by text))" in timeline
        assert "intake not completed</strong> (the hotline)" in timeline
        assert "(system)" not in timeline and "(sms)" not in timeline

    def test_an_intake_the_clock_closed_says_why_in_words(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = add_referral(app, status="intake_missed")
        with session_scope(app) as session:
            missed = ReferralEvent(
                referral_id=number, kind="intake_missed", channel="system", at=datetime.now(UTC)
            )
            missed.detail = {"reason": "deadline"}
            session.add(missed)
        page = as_coordinator.text(f"/referrals/{number}")
        timeline = page[page.index("<h2>Timeline") :]
        assert "reason: the intake window passed without an intake" in timeline
        assert "reason: deadline" not in timeline


class TestAssessmentOffered:
    """The assessment form is offered only where saving it can succeed."""

    def test_a_closed_referral_offers_no_assessment_to_save(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = held_by(app, "Ana Diaz", "intake_completed")
        assert 'id="assessment-link"' not in as_coordinator.text(f"/referrals/{number}")
        form = as_coordinator.text(f"/referrals/{number}/assessment")
        assert 'id="save-assessment"' not in form
        assert f"#{number} is closed (intake completed): its assessment can no longer change" in (
            form
        )

    def test_an_open_referral_offers_it_to_a_coordinator(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        number = held_by(app, "Ana Diaz", "assessed")
        assert 'id="assessment-link"' in as_coordinator.text(f"/referrals/{number}")
        assert 'id="save-assessment"' in as_coordinator.text(f"/referrals/{number}/assessment")
