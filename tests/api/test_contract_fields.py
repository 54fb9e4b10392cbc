"""The names SPEC §8 gives the fields of referrals, events, messages and calls, as served."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from hotline.simulator import SmsEmulator, flask_poster
from tests.api.conftest import Api
from tests.factories import add_officer, add_rotation, add_user
from tests.voice.test_webhooks import post

# SPEC §8, `GET /referrals`: "referral: `id`, `channel`, … `recording_url`".
REFERRAL = {
    "id", "channel", "type", "offense", "status", "officer_id", "badge", "officer_phone",
    "participant_name", "location", "consent_at", "consent_by", "created_at",
    "acknowledged_by", "acknowledged_at", "call_outcome", "answered_by", "recording_url",
}  # fmt: skip
# "the single view adds `events` (`at`, `kind`, `actor_id`, `channel` …, `detail`)".
EVENT = {"at", "kind", "actor_id", "channel", "detail"}
# `GET /messages`: "message: `id`, `direction`, `from`, `to`, `body`, `status`, …".
MESSAGE = {
    "id", "direction", "from", "to", "body", "status", "message_sid", "referral_id", "created_at",
}  # fmt: skip
# `GET /calls`: "call: `id`, `call_sid`, `from`, `to`, … `legs` (`number`, `user_id`, …)".
CALL = {
    "id", "call_sid", "from", "to", "officer_id", "status", "call_outcome", "answered_by",
    "started_at", "answered_at", "ended_at", "duration", "recording_url", "recording_duration",
    "referral_id", "legs",
}  # fmt: skip
LEG = {"number", "user_id", "outcome", "at"}
HOTLINE = "+12065550100"


def test_a_texted_referral_its_texts_and_a_call_carry_the_spec_s_field_names(
    app: Flask, client: FlaskClient, coordinator_api: Api
) -> None:
    add_rotation(app, 1, add_user(app, "Ana Diaz"))
    officer = add_officer(app)
    phone = SmsEmulator(flask_poster(client), "test-token", "http://localhost", HOTLINE)
    for text in ("REFER", "1", "Jane Doe", "1", "Pine St", "Y", "SEND"):
        assert phone.send(officer.phone, text).replies
    [listed] = coordinator_api.get("/referrals").json["items"]
    assert set(listed) >= REFERRAL, REFERRAL - set(listed)
    single = coordinator_api.get(f"/referrals/{listed['id']}").json
    assert set(single) >= REFERRAL | {"events", "assessment", "assessment_versions"}
    assert single["events"] and all(set(event) == EVENT for event in single["events"])
    assert (single["channel"], single["events"][0]["channel"]) == ("sms", "sms")

    messages = coordinator_api.get(f"/messages?phone={officer.phone}").json["items"]
    assert all(set(message) >= MESSAGE for message in messages)
    assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)
    first_in, first_reply = messages[0], messages[1]
    assert (first_in["direction"], first_in["from"], first_in["body"]) == (
        "in",
        officer.phone,
        "REFER",
    )
    assert first_in["status"] == "received" and first_in["message_sid"]
    # "A direct reply … (logged `out` with status `sent` and no `message_sid`)".
    assert (first_reply["direction"], first_reply["to"], first_reply["status"]) == (
        "out",
        officer.phone,
        "sent",
    )
    assert first_reply["message_sid"] is None

    call = {"CallSid": "CA-fields", "From": officer.phone, "To": HOTLINE}
    assert post(client, "/voice/incoming", call).status_code == 200
    [served] = coordinator_api.get("/calls").json["items"]
    assert set(served) >= CALL, CALL - set(served)
    assert (served["call_sid"], served["from"]) == ("CA-fields", officer.phone)
    assert served["legs"] and all(set(leg) >= LEG for leg in served["legs"])


def test_a_call_from_a_number_twilio_sent_without_its_plus_is_listed_in_e164(
    app: Flask, client: FlaskClient, coordinator_api: Api
) -> None:
    # SPEC §8: "Phone numbers are returned in E.164" — whatever form the webhook used;
    # a withheld caller ("anonymous") has no number and is listed as Twilio named it.
    officer = add_officer(app)
    national = officer.phone.removeprefix("+1")
    calls = [("CA-national", national, HOTLINE[2:]), ("CA-withheld", "anonymous", HOTLINE)]
    for sid, caller, called in calls:
        params = {"CallSid": sid, "From": caller, "To": called}
        assert post(client, "/voice/incoming", params).status_code == 200
    served = {c["call_sid"]: c for c in coordinator_api.get("/calls").json["items"]}
    national_call = served["CA-national"]
    assert (national_call["from"], national_call["to"]) == (officer.phone, HOTLINE)
    assert national_call["officer_id"] == officer.id
    assert served["CA-withheld"]["from"] == "anonymous"
