"""Retention deletes the voicemail itself at Twilio, not only its URL (SPEC §7 `retention`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.messaging.transport import SendResult
from hotline.messaging.twilio_transport import TwilioTransport
from hotline.models import Call, Referral
from hotline.statements import updated_one_row
from tests.api.conftest import Api, token_for
from tests.api.test_participant_retention import coordinator_api
from tests.factories import add_referral, add_user
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.services.test_retention import erasures

CREATED = datetime(2026, 4, 1, 12, tzinfo=UTC)
PERIOD = timedelta(days=90)
SECOND = timedelta(seconds=1)  # "more than that many days ago" (SPEC §7): past the period
ERASED = "1 referrals erased, 0 participants erased, 0 texts outside any record erased"
NOTHING = "0 referrals erased, 0 participants erased, 0 texts outside any record erased"


@pytest.fixture
def app_config(app_config: dict[str, Any], fake_twilio: FakeTwilio) -> dict[str, Any]:
    """Keep recordings at the fake Twilio, with a retention period of 90 days."""
    return {
        **app_config,
        **fake_twilio.settings(),
        "HOTLINE_RETENTION_DAYS": PERIOD.days,
    }


def voicemail(app: Flask, url: str, status: str = "ineligible", **fields: object) -> int:
    """Add a referral made by a call that left the voicemail at `url`; return its number."""
    number = add_referral(app, status, channel="voice", recording_url=url, **fields)
    with session_scope(app) as session:
        session.add(
            Call(
                call_sid=f"CA{number:032x}",
                from_number="+12065550177",
                to_number="+12065550100",
                started_at=CREATED,
                referral_id=number,
                recording_url=url,
                recording_duration=12,
                chain=[],
            )
        )
    return number


def recording_urls(app: Flask, number: int) -> list[str | None]:
    """Return the recording URL of the referral, then of its call."""
    with session_scope(app) as session:
        call = session.scalars(select(Call.recording_url).where(Call.referral_id == number))
        return [session.get_one(Referral, number).recording_url, call.one()]


def test_retention_deletes_the_voicemail_at_twilio_then_its_url(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    url = fake_twilio.add_recording()
    number = voicemail(app, url, created_at=CREATED)
    other = voicemail(app, fake_twilio.add_recording() + ".mp3", created_at=CREATED)
    still_open = voicemail(app, fake_twilio.add_recording(), "acknowledged", created_at=CREATED)
    kept = sorted(fake_twilio.recordings)

    assert run_job(app, "retention", CREATED + PERIOD - timedelta(minutes=1)) == NOTHING
    assert fake_twilio.deletions == []
    summary = run_job(app, "retention", CREATED + PERIOD + SECOND)

    assert summary == (
        "2 referrals erased, 0 participants erased, 0 texts outside any record erased"
        "; 2 recordings deleted at Twilio, 0 waiting for Twilio"
    )
    assert sorted(fake_twilio.deleted) == kept[:2]
    assert fake_twilio.recordings == {kept[2]}  # the open referral's voicemail stays
    assert recording_urls(app, number) == recording_urls(app, other) == [None, None]
    assert recording_urls(app, still_open)[0] is not None
    assert erasures(app, number)[-1] == {
        "erased": ["recording_url"],
        "recordings_deleted_at_twilio": 1,
    }
    assert run_job(app, "retention", CREATED + PERIOD + timedelta(days=1)) == NOTHING
    assert len(fake_twilio.deletions) == 2 and len(erasures(app, number)) == 2


@pytest.mark.parametrize("failure", ["500", "credentials", "down"])
def test_while_twilio_refuses_the_url_stays_and_the_next_run_deletes_it(
    app: Flask, client: FlaskClient, fake_twilio: FakeTwilio, failure: str
) -> None:
    url = fake_twilio.add_recording()
    number = voicemail(app, url, created_at=CREATED)
    if failure == "500":
        fake_twilio.fail_next("500")
    elif failure == "credentials":
        fake_twilio.auth_token = "rotated at the console"
    else:
        fake_twilio.down = True

    summary = run_job(app, "retention", CREATED + PERIOD + SECOND)

    assert summary == f"{ERASED}; 0 recordings deleted at Twilio, 1 waiting for Twilio"
    assert fake_twilio.deleted == [] and len(fake_twilio.deletions) == 1
    assert recording_urls(app, number) == [url, url]
    ana = add_user(app, "Ana Diaz")
    shown = Api(client, token_for(app, ana.id)).get(f"/referrals/{number}").json
    assert (shown["participant_name"], shown["location"]) == (None, None)
    assert len(erasures(app, number)) == 1

    fake_twilio.auth_token, fake_twilio.down = AUTH_TOKEN, False
    later = CREATED + PERIOD + timedelta(days=1)
    summary = run_job(app, "retention", later)

    assert summary == f"{NOTHING}; 1 recordings deleted at Twilio, 0 waiting for Twilio"
    assert fake_twilio.recordings == set()
    assert recording_urls(app, number) == [None, None]
    assert [entry.get("written_after_erasure") for entry in erasures(app, number)] == [None, None]


def test_nothing_is_held_in_the_database_while_twilio_answers(
    app: Flask, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = voicemail(app, fake_twilio.add_recording(), created_at=CREATED)
    delete_recording = TwilioTransport.delete_recording
    written: list[int] = []

    def slow_twilio(self: TwilioTransport, sid: str) -> SendResult:
        # A coordinator's write to the referral while Twilio takes its time does not wait
        # for it (held past the lock timeout, it would fail).
        with session_scope(app) as other:
            touched = other.execute(
                update(Referral).where(Referral.id == number).values(status=Referral.status)
            )
            written.append(updated_one_row(touched))
        return delete_recording(self, sid)

    monkeypatch.setattr(TwilioTransport, "delete_recording", slow_twilio)
    assert run_job(app, "retention", CREATED + PERIOD + SECOND).endswith(
        "1 recordings deleted at Twilio, 0 waiting for Twilio"
    )
    assert written == [True]


def test_one_failure_holds_back_the_rest_till_the_next_run(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    urls = [fake_twilio.add_recording() for _ in range(3)]
    for url in urls:
        voicemail(app, url, created_at=CREATED)
    fake_twilio.fail_next("500")
    summary = run_job(app, "retention", CREATED + PERIOD + SECOND)
    # Twilio failing answers the others no better: one request, not one per recording.
    assert summary.endswith("; 0 recordings deleted at Twilio, 3 waiting for Twilio"), summary
    assert len(fake_twilio.deletions) == 1
    summary = run_job(app, "retention", CREATED + PERIOD + timedelta(days=1))
    assert summary.endswith("; 3 recordings deleted at Twilio, 0 waiting for Twilio"), summary


def test_a_recording_twilio_no_longer_has_counts_as_deleted(
    app: Flask, fake_twilio: FakeTwilio
) -> None:
    url = fake_twilio.add_recording()
    fake_twilio.recordings.clear()  # deleted at the console meanwhile
    number = voicemail(app, url, created_at=CREATED)
    summary = run_job(app, "retention", CREATED + PERIOD + SECOND)
    assert summary == f"{ERASED}; 1 recordings deleted at Twilio, 0 waiting for Twilio"
    assert [status for _, status in fake_twilio.deletions] == [404]
    assert recording_urls(app, number) == [None, None]


@pytest.mark.parametrize(
    "url",
    [
        "/demo/voicemail.wav",  # the demo's sample calls
        "https://api.twilio.com/RE1",
        # The simulator's recording, of an account that is not this one.
        "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000"
        "/Recordings/RE00000000000000000000000000000001",
        f"https://elsewhere.example/2010-04-01/Accounts/{ACCOUNT_SID}"
        "/Recordings/RE00000000000000000000000000000001",
        f"http://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE1",
    ],
)
def test_a_url_that_is_no_recording_of_this_account_goes_without_asking_twilio(
    app: Flask, fake_twilio: FakeTwilio, url: str
) -> None:
    number = voicemail(app, url, created_at=CREATED)
    assert run_job(app, "retention", CREATED + PERIOD + SECOND) == ERASED
    assert recording_urls(app, number) == [None, None]
    assert fake_twilio.deletions == []


def test_an_erased_participants_voicemails_are_deleted_at_twilio_too(
    app: Flask, client: FlaskClient, fake_twilio: FakeTwilio
) -> None:
    api = coordinator_api(app, client)
    jane = api.post("/participants", {"name": "Jane Doe"}).json["id"]
    # Open (a social contact stays `assessed`): only her erasure erases it.
    number = voicemail(
        app,
        fake_twilio.add_recording(),
        "assessed",
        type="social_contact",
        offense=None,
        participant_id=jane,
    )
    fake_twilio.fail_next("500")
    assert api.patch(f"/participants/{jane}", {"status": "exited"}).status_code == 200
    long_after = datetime.now(UTC) + timedelta(days=400)

    summary = run_job(app, "retention", long_after)

    assert summary == (
        "0 referrals erased, 1 participants erased, 0 texts outside any record erased"
        "; 0 recordings deleted at Twilio, 1 waiting for Twilio"
    )
    assert recording_urls(app, number)[0] is not None
    summary = run_job(app, "retention", long_after + timedelta(days=1))
    assert summary.endswith("; 1 recordings deleted at Twilio, 0 waiting for Twilio"), summary
    assert fake_twilio.recordings == set() and recording_urls(app, number) == [None, None]
