"""A participant's year, end to end through the real entry points (SPEC §1, §5, §6, §7, §8, §9).

Each piece has its own tests; this one drives one person's whole life in order, on a
clock that moves: referred by text, taken, assessed, enrolled and given a case
manager; consents given, expiring and revoked while the officer, the prosecutor and
the case manager each look; a charge; an officer meeting them months later; their exit;
and the retention job, twice. Every assertion is what one of those people would see.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from tests.participants_year import Year, begin_year

NEUTRAL = "no LEAD match; call the hotline to refer."
PROSECUTOR_KEYS = {"id", "name", "status", "case_manager", "referrals", "charges"}
ACCEPTED = {
    "offense": "possession",
    "exclusions": [],
    "consent_confirmed": True,
    "needs": ["substance_use", "housing"],
    "risks": ["overdose"],
    "services": ["detox bed at Harborview"],
    "disposition": "accepted",
    "race_ethnicity": "Black",
    "notes": "sleeps under the viaduct",
}


def referred_and_enrolled(year: Year) -> tuple[int, int]:
    """Beat 1: a texted referral, ACK, an accepted assessment, a case manager, INTAKE."""
    officer, ana = year.program.officer, year.program.ana
    for answer in ("REFER", "1", "Jane Doe", "1", "3rd & Pine", "Y"):
        year.officer_says(answer)
    sent = year.officer_says("SEND")
    number = int(sent.split("#", 1)[1].split(".", 1)[0])
    assert sent == (
        f"Sent: LEAD referral #{number}. A coordinator will text you. "
        f"STATUS {number} tells where it is."
    )
    referral = year.ana.get(f"/referrals/{number}").json
    assert referral["created_at"] == year.clock.now.isoformat().replace("+00:00", "Z")
    [alert] = year.texts_to(ana.phone)
    assert alert.startswith(f"LEAD #{number}: Reply ACK {number} to take it.")
    year.later(minutes=4)
    assert year.text(ana.phone, f"ACK {number}").startswith(f"You have #{number}")
    assert year.texts_to(officer.phone)[-1] == f"LEAD #{number}: with a coordinator, Ana Diaz."

    year.later(minutes=40)
    assessed = year.ana.post(f"/referrals/{number}/assessment", ACCEPTED)
    assert assessed.status_code == 201, assessed.json
    participant = assessed.json["participant_id"]
    record = year.ana.get(f"/participants/{participant}").json
    assert (record["name"], record["status"]) == ("Jane Doe", "active")
    assert sorted((p["need"], p["status"]) for p in record["plan"]) == [
        ("housing", "planned"),
        ("substance_use", "planned"),
    ]
    assigned = year.ana.patch(f"/participants/{participant}", {"case_manager_id": year.cam.id})
    assert assigned.status_code == 200, assigned.json
    assert year.officer_says(f"STATUS {number}") == f"LEAD #{number}: with a coordinator."

    year.later(days=2)
    year.text(ana.phone, f"INTAKE {number}")
    year.text(ana.phone, f"NOTE {number} staying with her sister on 5th Ave")
    assert year.texts_to(officer.phone)[-1] == f"LEAD #{number}: intake completed."
    assert year.ana.get(f"/referrals/{number}").json["status"] == "intake_completed"
    # Intake completed, the hourly deadline job has nothing left to do with it.
    year.later(days=30)
    year.run("intake-deadlines")
    assert year.officer_says(f"STATUS {number}") == f"LEAD #{number}: intake completed."
    return number, participant


def officer_meets(year: Year, participant: int, disclosed: bool) -> None:
    """An officer texts CONTACT: status only with consent; the case manager is told either way."""
    cam, before = year.cam, year.last_message_id()
    reply = year.officer_says("CONTACT Jane Doe")
    expected = f"LEAD participant — case manager {cam.name}, {cam.phone}."
    assert reply == (expected if disclosed else NEUTRAL)
    [told] = year.texts_to(cam.phone, after=before)
    assert told.startswith(f"LEAD participant #{participant} Jane Doe: Officer Smith met them")
    assert "3rd & Pine" not in told and "housing" not in told
    last = year.cam_api.get(f"/participants/{participant}").json["timeline"][-1]
    assert last["kind"] == "contact" and last["detail"]["disclosed"] is disclosed


def prosecutor_sees_status_only(year: Year, number: int, participant: int) -> None:
    """The prosecutor's API and pages: the listed keys, nothing clinical."""
    cam = year.cam
    seen = year.prosecutor_sees(participant)
    assert seen is not None and set(seen) == PROSECUTOR_KEYS
    assert seen["case_manager"] == {"id": cam.id, "name": cam.name, "phone": cam.phone}
    [referral] = seen["referrals"]
    assert set(referral) == {"id", "created_at", "type"} and referral["id"] == number
    page = year.pru_web.text("/participants") + year.pru_web.text(f"/participants/{participant}")
    assert "Jane Doe" in page and cam.name in page
    for clinical in ("substance use", "housing", "viaduct", "Harborview", "overdose", "Pine"):
        assert clinical not in page
    for path in (f"/referrals/{number}", "/messages", f"/participants/{participant}/plan"):
        assert year.pru_api.get(path).status_code in (403, 405), path


def test_a_participants_year(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    year = begin_year(app, monkeypatch)
    cam, pru_api = year.cam, year.pru_api
    referred_at = year.clock.now
    number, participant = referred_and_enrolled(year)

    # Before any consent nobody outside the program learns Jane is a participant.
    assert year.prosecutor_sees(participant) is None
    assert "Nobody" in year.pru_web.text("/participants")
    officer_meets(year, participant, disclosed=False)

    # Consents: the officer for 90 days, the prosecutor for a year.
    year.later(days=1)
    for scope, days in (("officer_status", 90), ("prosecutor", 365)):
        ends = (year.clock.now + timedelta(days=days)).isoformat()
        given = year.cam_api.post(
            f"/participants/{participant}/consents", {"scope": scope, "expires_at": ends}
        )
        assert given.status_code == 201, given.json
    prosecutor_consent = given.json["id"]
    officer_meets(year, participant, disclosed=True)
    prosecutor_sees_status_only(year, number, participant)
    # The officer's STATUS still says the referral's status, nothing of the consent.
    assert year.officer_says(f"STATUS {number}") == f"LEAD #{number}: intake completed."
    # The case manager sees everything: plan, consents, the assessment's referral.
    whole = year.cam_api.get(f"/participants/{participant}").json
    assert [c["scope"] for c in whole["consents"]] == ["officer_status", "prosecutor"]
    assert "substance use" in year.cam_web.text(f"/participants/{participant}")

    # A charge: the case manager is texted at once; the timeline and the audit log tell it.
    year.later(days=10)
    before = year.last_message_id()
    day = year.clock.now.date().isoformat()
    charged = pru_api.post(
        f"/participants/{participant}/charges", {"date": day, "description": "Theft 3"}
    )
    assert charged.status_code == 201, charged.json
    [told] = year.texts_to(cam.phone, after=before)
    assert told == (
        f"LEAD participant #{participant}: a prosecutor recorded a new charge dated {day}. "
        "See the participant's page."
    )
    timeline = year.cam_api.get(f"/participants/{participant}").json["timeline"]
    assert timeline[-1]["kind"] == "charge" and timeline[-1]["detail"]["description"] == "Theft 3"
    assert "Theft 3" in year.cam_web.text(f"/participants/{participant}")
    seen = year.prosecutor_sees(participant)
    assert seen is not None and seen["charges"][0]["description"] == "Theft 3"
    audit = year.sue_web.text("/audit?entity=participant")
    assert "Pru Vance" in audit and '"Action">charge recorded</td>' in audit
    assert "<ins>Officer Smith (badge 4711)</ins>" in audit  # who learned her status

    # Months later the officer's consent has expired: the neutral answer, the case manager told.
    year.later(days=100)
    officer_meets(year, participant, disclosed=False)
    assert "not in force now" in year.cam_web.text(f"/participants/{participant}")
    assert year.prosecutor_sees(participant) is not None  # the prosecutor's still holds
    # The participant withdraws the prosecutor's consent.
    year.later(days=10)
    revoked = year.cam_api.delete(f"/participants/{participant}/consents/{prosecutor_consent}")
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    assert year.prosecutor_sees(participant) is None
    assert "Nobody" in year.pru_web.text("/participants")
    charge = {"date": year.clock.now.date().isoformat(), "description": "Theft 2"}
    assert pru_api.post(f"/participants/{participant}/charges", charge).status_code == 404

    # Exit: an officer's CONTACT is no match at all now, and nobody is told.
    year.later(days=60)
    exited = year.cam_api.patch(f"/participants/{participant}", {"status": "exited"})
    assert exited.status_code == 200
    exited_at, before = year.clock.now, year.last_message_id()
    assert year.officer_says("CONTACT Jane Doe") == NEUTRAL
    assert year.texts_to(cam.phone, after=before) == []

    # A year after the referral the retention job erases its words; the person's record,
    # exited only months ago, stays until a year after the exit. The reports never change.
    year.app.config["HOTLINE_RETENTION_DAYS"] = 365
    year.until(referred_at + timedelta(days=366))
    reports = year.reports(referred_at)  # "12 months ago" counts from now: taken at each instant
    retention_erases_the_referral(year, number, participant)
    assert year.reports(referred_at) == reports
    year.until(exited_at + timedelta(days=366))
    reports = year.reports(referred_at)
    retention_erases_the_person(year, number, participant)
    assert year.reports(referred_at) == reports
    # Run again, at once and the next day: nothing changes.
    erased = year.everything(number, participant)
    assert year.run("retention").startswith("0 referrals erased, 0 participants erased, 0 texts")
    year.later(days=1)
    assert year.run("retention").startswith("0 referrals erased, 0 participants erased, 0 texts")
    assert year.everything(number, participant) == erased
    assert year.reports(referred_at) == reports
    # What stays still answers: the officer's STATUS, the referral's page.
    assert year.officer_says(f"STATUS {number}") == f"LEAD #{number}: intake completed."
    page = year.sue_web.text(f"/referrals/{number}")
    assert "Intake completed" in page or "intake completed" in page
    assert not any(word in page for word in WORDS)


WORDS = ("Jane", "Pine", "sister", "viaduct", "Harborview")


def retention_erases_the_referral(year: Year, number: int, participant: int) -> None:
    """A closed referral more than a year old: its words go, its statuses, times and events stay."""
    before = year.everything(number, participant)
    summary = year.run("retention")
    assert summary.startswith("1 referrals erased, 0 participants erased"), summary
    after = year.everything(number, participant)
    referral, was = after["referral"], before["referral"]
    assert (referral["participant_name"], referral["location"]) == (None, None)
    assert referral["assessment"]["notes"] is None and referral["assessment"]["services"] == []
    assert [(e["kind"], e["at"]) for e in referral["events"]] == [
        (e["kind"], e["at"]) for e in was["events"]
    ]
    for kept in ("status", "created_at", "acknowledged_at", "type", "offense", "consent_at"):
        assert referral[kept] == was[kept], kept
    [note] = [e for e in referral["events"] if e["kind"] == "note"]
    assert not note["detail"]
    intake = [m for m in after["messages"] if m["referral_id"] == number]
    assert intake and all(m["body"] is None for m in intake)
    for message in after["messages"]:  # the place and the notes were the referral's alone
        assert not any(word in (message["body"] or "") for word in WORDS[1:]), message
    audit = year.audit_log()
    assert not any(word in audit for word in WORDS[1:])
    # The participant is still in the period after their exit: their record is theirs.
    assert after["participant"]["name"] == "Jane Doe"


def retention_erases_the_person(year: Year, number: int, participant: int) -> None:
    """An exit more than a year ago: the person's words go everywhere staff could read them."""
    before = year.everything(number, participant)
    summary = year.run("retention")
    assert summary.startswith("0 referrals erased, 1 participants erased"), summary
    after = year.everything(number, participant)
    person, was = after["participant"], before["participant"]
    assert person["name"] == "(erased)" and person["status"] == "exited"
    assert [c["description"] for c in person["charges"]] == ["(erased)"]
    assert all(p["note"] is None for p in person["plan"])
    assert [(t["kind"], t["at"]) for t in person["timeline"]] == [
        (t["kind"], t["at"]) for t in was["timeline"]
    ]
    for message in after["messages"]:
        assert not any(word in (message["body"] or "") for word in WORDS), message
    page = year.cam_web.text(f"/participants/{participant}") + year.audit_log()
    for word in WORDS:
        assert word not in page, word
