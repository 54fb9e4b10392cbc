"""`hotline demo` builds its own sample program, and only once."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import func, select

from hotline.cli import demo as demo_module
from hotline.cli import main
from hotline.cli.demo import demo_app
from hotline.cli.simulate import signed_for
from hotline.db import session_scope
from hotline.demo import COORDINATORS, SUPERVISORS, seed
from hotline.demo_participants import STAFF
from hotline.demo_tour import tour_lines
from hotline.jobs import run_job
from hotline.messaging.twilio_transport import TwilioTransport
from hotline.models import (
    OPEN_FOR_ACK,
    Assessment,
    Call,
    Consent,
    Contact,
    Message,
    Officer,
    Participant,
    PlanEntry,
    Provider,
    Referral,
    ReferralEvent,
    ReferralNotice,
    User,
)
from hotline.rotation import assignment_at
from hotline.services.completion import next_to_complete
from hotline.services.deadlines import miss_overdue_intakes
from hotline.services.escalation import escalate_unacked
from hotline.services.intake_steps import Step, answer, first_step
from hotline.services.oncall import load_program, schedule_segments, who_is_on_call
from hotline.services.reports import call_counts, load_calls
from hotline.simulator import SmsEmulator, flask_poster
from hotline.web.reports import last_full_quarter
from tests.web.conftest import Web


def test_demo_seeds_a_program_with_someone_on_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/never-used")
    app = demo_app(reset=False, instance_path=tmp_path)
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'demo.db'}"
    now = datetime.now(UTC)
    with session_scope(app) as session:
        first = seed(session, now)
    with session_scope(app) as session:
        again = seed(session, now)
        answer = who_is_on_call(session, now, [])
    assert [u.id for u in again] == [u.id for u in first]
    assert len(first) == 10 and first[-1].role == "supervisor"
    assert {u.role for u in first} == {"coordinator", "supervisor", "case_manager", "prosecutor"}
    assert [t["tier"] for t in answer["tiers"]] == [1, 2]
    assert all(t["user"] is not None for t in answer["tiers"])


def test_demo_reset_rebuilds_the_data(tmp_path: Path) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC))
        session.add(
            User(
                name="Extra",
                email="x@example.org",
                phone="+12065550199",
                role="coordinator",
                created_at=datetime.now(UTC),
            )
        )
    app.extensions["hotline.db"].engine.dispose()
    fresh = demo_app(reset=True, instance_path=tmp_path)
    with session_scope(fresh) as session:
        users = seed(session, datetime.now(UTC))
    assert [u.name for u in users] == [*COORDINATORS, *(n for n, _ in STAFF), *SUPERVISORS]


def test_demo_program_has_history_in_every_status_and_a_gap_next_week(tmp_path: Path) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now)
        statuses = set(session.scalars(select(Referral.status)))
        agencies = {o.agency for o in session.scalars(select(Officer))}
        officers = len(session.scalars(select(Officer)).all())
        segments = schedule_segments(session, now, now + timedelta(days=14), 1)
    # Every status a referral rests in: `received` lasts only while a call rings.
    assert statuses == {
        "notified",
        "acknowledged",
        "assessed",
        "intake_completed",
        "intake_missed",
        "ineligible",
        "declined",
        "not_a_referral",
    }
    assert officers == 20 and len(agencies) == 2
    assert any(s.user_id is None and s.start < now + timedelta(days=14) for s in segments)


def test_demo_calls_nobody_took_arrive_blank_and_no_intake_is_past_its_window(
    tmp_path: Path,
) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now, app.config)  # as `hotline demo` does: the clock's jobs replayed
        untaken_calls = session.scalars(
            select(Referral).where(Referral.channel == "voice", Referral.status.in_(OPEN_FOR_ACK))
        ).all()
        assert untaken_calls  # the tour's "take a call → complete it" has calls to complete
        for referral in untaken_calls:
            assert (referral.type, referral.participant_name, referral.location) == (None,) * 3
            assert referral.consent_at is None
        # The intake-deadlines job finds nothing to close: the replayed clock closed it all.
        assert miss_overdue_intakes(session, now + timedelta(minutes=1), 30, None) == 0
        closed_by_clock = session.scalars(
            select(ReferralEvent).where(
                ReferralEvent.kind == "intake_missed", ReferralEvent.actor_id.is_(None)
            )
        ).all()
        assert closed_by_clock  # windows that ran out in the history were closed as they ran out
        for event in closed_by_clock:
            referral = session.get_one(Referral, event.referral_id)
            window_end = referral.created_at.replace(tzinfo=UTC) + timedelta(days=30)
            assert window_end <= event.at.replace(tzinfo=UTC) <= window_end + timedelta(hours=24)
        arrivals = {
            (e.kind, e.channel)
            for e in session.scalars(select(ReferralEvent))
            if e.kind in ("call_received", "referral_sent")
        }
        assert arrivals == {("call_received", "voice"), ("referral_sent", "sms")}


# Friday morning in Seattle (a cover a day and three hours on once fell on the weekend),
# Thursday, Saturday and Sunday: the demo's program must hold whatever day it starts.
DEMO_STARTS = [
    datetime(2026, 12, 4, 14, 57, tzinfo=UTC),
    datetime(2026, 12, 3, 20, 0, tzinfo=UTC),
    datetime(2026, 12, 5, 18, 0, tzinfo=UTC),
    datetime(2026, 12, 7, 6, 30, tzinfo=UTC),
]


@pytest.mark.parametrize("now", DEMO_STARTS, ids=lambda at: at.strftime("%a-%H%M"))
def test_demo_rings_two_people_then_the_fallback_and_the_coming_weekend_is_a_gap(
    tmp_path: Path, now: datetime
) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    assert app.config["HOTLINE_FALLBACK_NUMBERS"] == ["+12065550199"]
    with session_scope(app) as session:
        seed(session, now)
        program = load_program(session)
        for hours in range(0, 24 * 14, 3):  # two weeks, every three hours
            at = now + timedelta(hours=hours)
            one, two = (assignment_at(program, tier, at).user_id for tier in (1, 2))
            assert two is not None and one != two, f"tier 1 and 2 are one person at {at}"
    today = now.astimezone(ZoneInfo("America/Los_Angeles")).date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    for day in (saturday, saturday + timedelta(days=1)):
        for hour in (8, 12, 21):  # the day (the Nights rotation covers 22:00 - 07:00)
            at = datetime(
                day.year, day.month, day.day, hour, tzinfo=ZoneInfo("America/Los_Angeles")
            )
            # Fay, on leave: the coming weekend's days are a gap of tier 1.
            assert assignment_at(program, 1, at).user_id is None, f"tier 1 covered at {at}"


def test_demo_overrides_page_names_the_supervisor_who_added_each_cover(tmp_path: Path) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC), app.config)
        sam = session.scalars(select(User).where(User.email == "sam@demo.lead.example")).one()
    web = Web(app.test_client())
    assert web.login(sam, "demo-password").status_code == 302
    page = web.get("/overrides").get_data(as_text=True)
    added_by = re.findall(r'data-label="Added by">([^<]*)<', page)
    # Two covers, each added by a supervisor the page names, never "—" (nobody).
    assert added_by == ["Sam Reyes", "Sam Reyes"]


def test_the_demos_sign_in_page_names_an_account_of_each_role(tmp_path: Path) -> None:
    # The README sends a newcomer to the case manager's and the prosecutor's views too.
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC), app.config)
        roles = {email: role for email, role in session.execute(select(User.email, User.role))}
    page = Web(app.test_client()).client.get("/login").get_data(as_text=True)
    hint = page.split('id="demo-logins">')[1].split("</p>")[0]
    named = dict(re.findall(r"(\w+@demo\.lead\.example) \(([\w ]+)\)", hint))
    assert sorted(named.values()) == ["case manager", "coordinator", "prosecutor", "supervisor"]
    assert {email: roles[email].replace("_", " ") for email in named} == named
    assert "demo-password" in hint


def test_demo_voicemails_play_from_the_demo_itself(tmp_path: Path) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC), app.config)
        urls = set(
            session.scalars(select(Call.recording_url).where(Call.recording_url.is_not(None)))
        )
        ana = session.scalars(select(User).where(User.email == "ana@demo.lead.example")).one()
    assert urls == {"/demo/voicemail.wav"}
    web = Web(app.test_client())
    assert web.login(ana, "demo-password").status_code == 302
    with web.get("/demo/voicemail.wav") as answer:
        assert answer.status_code == 200 and answer.mimetype == "audio/wav"
        assert answer.data[:4] == b"RIFF" and answer.data[8:12] == b"WAVE"


def test_demo_has_participants_with_plans_consents_and_a_contact(tmp_path: Path) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC))
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Participant) == 8 and count(Provider) == 4
        assert count(PlanEntry) >= 8 and count(Contact) == 1
        scopes = set(session.scalars(select(Consent.scope)))
        assert scopes == {"officer_status", "prosecutor"}
        linked = session.scalar(
            select(func.count()).select_from(Referral).where(Referral.participant_id.is_not(None))
        )
        names = list(session.scalars(select(Participant.name)))
        assert len(set(names)) == len(names)  # one participant a person, never two Jamie Foxes
        assert linked is not None and linked > 8  # people referred again link to themselves
        managers = set(session.scalars(select(Participant.case_manager_id)))
        assert len(managers) == 2  # both case managers have a caseload


def test_demo_prints_a_tour_true_on_the_day_it_runs(tmp_path: Path) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now, app.config)
        lines = tour_lines(session, now, ZoneInfo("America/Los_Angeles"), ["+12065550199"])
        step = next_to_complete(session)  # the web tour's step too
    said = "\n".join(lines)
    assert "On call now, tier 1: " in said and "On call now, tier 2: " in said
    assert said.count(" → ") >= 2 and "+12065550199" in said  # two people, then the fallback
    assert "Next tier-1 gap: " in said and "(Fay Ortiz is on leave)" in said
    assert step is not None
    assert f"Referral #{step.id} is a call still missing details: complete it at" in said


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_busy_port_is_a_one_line_error_before_anything_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'program.db'}")  # serve's
    monkeypatch.setenv("HOTLINE_ENV", "development")
    monkeypatch.setattr(demo_module, "demo_folder", lambda: tmp_path)  # the demo's own file
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        port = other_program.getsockname()[1]
        result = CliRunner().invoke(main, [command, "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: port {port} is in use by another program: stop it, or choose another with --port"
    ]
    assert list(tmp_path.iterdir()) == []  # nothing seeded, migrated or announced first


def free_port() -> int:
    """Return a loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_second_demo_while_one_runs_is_refused_and_its_reset_deletes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_module, "demo_folder", lambda: tmp_path)
    first_port, second_port = free_port(), free_port()
    second: list[Result] = []

    def serve(app: Flask, port: int) -> None:
        # While the first demo serves, someone starts another on a port of its own.
        if port == first_port:
            second.append(CliRunner().invoke(main, ["demo", "--reset", "--port", str(second_port)]))
            with session_scope(app) as session:
                session.add(
                    User(
                        name="Kept",
                        email="kept@example.org",
                        phone="+12065550198",
                        role="coordinator",
                        created_at=datetime.now(UTC),
                    )
                )

    monkeypatch.setattr(demo_module, "serve_with_one_clock", serve)
    first = CliRunner().invoke(main, ["demo", "--port", str(first_port)])
    assert first.exit_code == 0, first.output
    assert second[0].exit_code == 1
    assert second[0].output.splitlines() == [
        f"Error: a demo is already running from {tmp_path} (http://127.0.0.1:{first_port}/):"
        " stop it first (Ctrl-C)"
    ]
    fresh = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(fresh) as session:
        assert session.scalars(select(User.name).where(User.name == "Kept")).all() == ["Kept"]


def test_a_second_demo_on_the_same_port_is_told_the_demo_runs_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hotline demo` typed again names the running demo, not "another program" to move from."""
    monkeypatch.setattr(demo_module, "demo_folder", lambda: tmp_path)
    port = free_port()
    second: list[Result] = []

    def serve(app: Flask, port: int) -> None:
        with socket.socket() as listening:  # the first demo holds its port, as it serves
            listening.bind(("127.0.0.1", port))
            listening.listen()
            second.append(CliRunner().invoke(main, ["demo", "--port", str(port)]))

    monkeypatch.setattr(demo_module, "serve_with_one_clock", serve)
    first = CliRunner().invoke(main, ["demo", "--port", str(port)])
    assert first.exit_code == 0, first.output
    assert second[0].exit_code == 1
    assert second[0].output.splitlines() == [
        f"Error: a demo is already running from {tmp_path} (http://127.0.0.1:{port}/):"
        " stop it first (Ctrl-C)"
    ]


def test_demo_texted_referrals_came_in_as_answers_the_intake_takes_in_its_order(
    tmp_path: Path,
) -> None:
    """The officer's phone in the simulator shows each past referral's texts: a real intake."""
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC), app.config)
        texted = session.scalars(select(Referral).where(Referral.channel == "sms")).all()
        assert any(r.type == "arrest_diversion" for r in texted)
        for referral in texted:
            bodies = session.scalars(
                select(Message.body)
                .where(Message.referral_id == referral.id, Message.direction == "in")
                .order_by(Message.created_at, Message.id)
            ).all()
            assert bodies[0] == "REFER", bodies
            step: Step | None = first_step(known_officer=True)
            turn = None
            answers: dict[str, object] = {}
            for body in bodies[1:]:
                assert step is not None, (referral.id, bodies)  # nothing after SEND
                turn = answer(step, answers, body or "", lambda badge: None)
                assert turn.outcome in ("next", "send"), (referral.id, step, body, bodies)
                step, answers = turn.step, turn.answers
            assert turn is not None and turn.outcome == "send", (referral.id, bodies)
            assert (answers["type"], answers.get("offense")) == (referral.type, referral.offense)


def test_demo_referral_numbers_rise_with_time_as_the_apps_do(tmp_path: Path) -> None:
    """#30 never arrived after #104: the referrals list, texts and dates read in one order."""
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC), app.config)
        arrivals = session.scalars(select(Referral.created_at).order_by(Referral.id)).all()
    assert len(arrivals) == 130
    assert arrivals == sorted(arrivals)


def test_demo_referrals_nobody_took_were_told_as_the_app_tells_and_timelines_run_in_order(
    tmp_path: Path,
) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now, app.config)  # as `hotline demo` does
        untaken = session.scalars(select(Referral).where(Referral.status.in_(OPEN_FOR_ACK))).all()
        assert untaken
        for referral in untaken:
            # Nobody has it, so staff were texted about it and the clock carries it on:
            # never a referral nobody heard of, nor a notice escalation cannot see.
            assert referral.status == "notified", referral.id
            told = session.scalars(
                select(ReferralNotice.user_id).where(ReferralNotice.referral_id == referral.id)
            ).all()
            assert told, f"#{referral.id} notified, but nobody was"
            texts = session.scalars(
                select(Message.body).where(
                    Message.referral_id == referral.id, Message.direction == "out"
                )
            ).all()
            assert any(f"ACK {referral.id}" in (body or "") for body in texts), texts
        for referral in session.scalars(select(Referral)):
            events = session.scalars(
                select(ReferralEvent)
                .where(ReferralEvent.referral_id == referral.id)
                .order_by(ReferralEvent.id)
            ).all()
            times = [e.at.replace(tzinfo=UTC) for e in events]
            assert times == sorted(times), (referral.id, [(e.kind, e.at) for e in events])
            assert times[-1] <= now, (referral.id, events[-1].kind)
            assessment = session.scalars(
                select(Assessment).where(Assessment.referral_id == referral.id)
            ).first()
            if assessment is not None:  # the assessment decides, then intake ends
                closing = [e for e in events if e.kind == referral.status]
                assessed = assessment.completed_at.replace(tzinfo=UTC)
                assert all(e.at.replace(tzinfo=UTC) >= assessed for e in closing), referral.id
            if referral.acknowledged_at is not None:
                taken = [e for e in events if e.kind == "acknowledged"]
                assert [e.at for e in taken] == [referral.acknowledged_at], referral.id
        # Ten minutes on, the clock passes on what nobody took, as it would in production.
        later = now + timedelta(minutes=11)
        assert escalate_unacked(session, later, 10, "+12065550100") > 0


def test_demo_referrals_begin_as_the_app_begins_a_call_or_a_texted_referral(
    tmp_path: Path,
) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    with session_scope(app) as session:
        seed(session, datetime.now(UTC), app.config)
        first_kinds = {}
        for referral in session.scalars(select(Referral)):
            first = session.scalars(
                select(ReferralEvent.kind)
                .where(ReferralEvent.referral_id == referral.id)
                .order_by(ReferralEvent.at, ReferralEvent.id)
            ).first()
            first_kinds.setdefault(referral.channel, set()).add(first)
    # A call's timeline opens "call received" (call_arrival), a text's "referral sent".
    assert first_kinds == {"voice": {"call_received"}, "sms": {"referral_sent"}}


def test_the_demo_keeps_its_programs_time_zone_whatever_the_shell_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_TIMEZONE", "Asia/Tokyo")  # left from another program's shell
    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now, app.config)
        zone = ZoneInfo(app.config["HOTLINE_TIMEZONE"])
        lines = tour_lines(session, now, zone, app.config["HOTLINE_FALLBACK_NUMBERS"])
    # Seattle's program: Fay's weekend opens when the night shift ends, Saturday 07:00 there.
    (gap,) = [line for line in lines if line.startswith("Next tier-1 gap: ")]
    assert gap.startswith("Next tier-1 gap: Sat ") and " 07:00 to " in gap, gap


def test_the_demo_hands_nothing_to_twilio_whatever_the_shell_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Left from a production shell: the demo's sample phones must not be texted for real.
    monkeypatch.setenv("HOTLINE_TRANSPORT", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-production-token")
    handed: list[str] = []

    def to_twilio(name: str) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            handed.append(name)
            raise AssertionError(f"the demo used Twilio: {name}")

        return record

    for name in ("send", "place_call", "delete_recording", "fetch_call"):
        monkeypatch.setattr(TwilioTransport, name, to_twilio(name))
    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    with session_scope(app) as session:
        seed(session, now, app.config)  # its history's texts went out as the clock sends them
    officer = SmsEmulator(
        flask_poster(app.test_client()),
        app.config["TWILIO_AUTH_TOKEN"],
        signed_for(app),
        "+12065550100",
    )
    for text in ("REFER", "2", "Jane Doe", "3rd and Pine", "Y", "SEND"):
        assert officer.send("+12065550150", text).status == 200
    result = run_job(app, "dispatch-outbox", datetime.now(UTC))  # the clock sends the alert
    assert handed == []
    assert not result.startswith("0 sent"), result


def test_help_on_a_fresh_machine_lists_the_commands_without_an_error() -> None:
    # A newcomer's shell sets nothing, so the app's settings are production's, incomplete.
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert result.stderr == "", result.stderr  # was: "Error: HOTLINE_ENV=production refuses …"
    assert result.output.startswith("Usage: hotline")
    listed = result.output.split("Commands:")[1]
    assert all(f"  {name} " in listed for name in ("demo", "serve", "simulate", "user"))
    mistyped = CliRunner().invoke(main, ["dmeo"])
    assert mistyped.exit_code == 2
    (line,) = mistyped.output.splitlines()  # the settings are not its business either
    assert line.startswith("Error: No such command 'dmeo'.")


def test_help_offers_no_option_of_flasks_that_would_load_another_app_or_debug_this_one() -> None:
    # Flask's own group options (--app, --env-file, --debug, its --version) are no operator's:
    # `hotline --app other:app oncall` ran another program's code with the hotline's settings.
    result = CliRunner().invoke(main, ["--help"])
    options = result.output.split("Options:")[1].split("Commands:")[0]
    assert [line.split()[0] for line in options.splitlines() if line.strip()] == ["--help"]
    for flag in ("--app", "--env-file", "--debug", "--version"):
        refused = CliRunner().invoke(main, [flag, "x", "oncall"])
        assert refused.exit_code == 2
        assert refused.output.splitlines()[-1] == f"Error: No such option '{flag}'."


def test_the_reports_quarter_of_the_demo_has_calls_nobody_took_and_staff_took_them_by_text(
    tmp_path: Path,
) -> None:
    app = demo_app(reset=False, instance_path=tmp_path)
    now = datetime.now(UTC)
    zone = ZoneInfo("America/Los_Angeles")
    first, last = last_full_quarter(now.astimezone(zone).date())
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    with session_scope(app) as session:
        seed(session, now, app.config)  # as `hotline demo` does
        # The tour's "Open the reports" lands on this quarter: its missed calls are not all 0.
        counts = call_counts(load_calls(session, start, end))
        assert counts.answered > 0 and counts.voicemail > 0 and counts.abandoned > 0
        missed = session.scalars(
            select(Call).where(
                Call.call_outcome.in_(["voicemail", "abandoned"]),
                Call.started_at < now - timedelta(days=1),
            )
        ).all()
        for call in missed:  # staff were told when it ended, then someone took it by text
            referral = session.get_one(Referral, call.referral_id)
            kinds = [
                (e.kind, e.channel)
                for e in session.scalars(
                    select(ReferralEvent)
                    .where(ReferralEvent.referral_id == referral.id)
                    .order_by(ReferralEvent.id)
                )
            ]
            told = kinds.index((f"{call.call_outcome}_notified", "system"))
            assert kinds.index(("acknowledged", "sms")) > told, kinds
            assert referral.answered_by is None and referral.acknowledged_by is not None
            assert referral.acknowledged_at > call.ended_at
            notices = session.scalars(
                select(Message.status).where(
                    Message.referral_id == referral.id,
                    Message.direction == "out",
                    Message.created_at < referral.acknowledged_at,
                )
            ).all()
            assert notices and set(notices) == {"delivered"}, notices  # sent then, not today
