"""Participants through the API: the program reads them whole, a prosecutor status only (§6, §8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.models import AuditEvent, Consent, Message, Participant, Referral, User
from hotline.services import participant_views, participants
from tests.api.conftest import Api, add_user, token_for
from tests.factories import add_referral

CLINICAL = {"aliases", "date_of_birth", "consents", "plan", "timeline", "case_manager_id"}


def api_as(app: Flask, client: FlaskClient, role: str, name: str) -> Api:
    return Api(client, token_for(app, add_user(app, role, name)))


@pytest.fixture
def case_manager(app: Flask) -> int:
    return add_user(app, "case_manager", "Cam")


@pytest.fixture
def manager_api(app: Flask, client: FlaskClient, case_manager: int) -> Api:
    return Api(client, token_for(app, case_manager))


@pytest.fixture
def prosecutor_api(app: Flask, client: FlaskClient) -> Api:
    return api_as(app, client, "prosecutor", "Pru")


def texts_sent(app: Flask) -> list[str | None]:
    """Return the bodies of every text the hotline sent or queued, oldest first."""
    with session_scope(app) as session:
        outbound = select(Message.body).where(Message.direction == "out").order_by(Message.id)
        return list(session.scalars(outbound))


def add_participant(api: Api, case_manager: int, **fields: object) -> int:
    body = {"name": "Jane Doe", "aliases": ["JD"], "case_manager_id": case_manager, **fields}
    answer = api.post("/participants", body)
    assert answer.status_code == 201, answer.json
    return int(answer.json["id"])


class TestRecord:
    """Case managers keep the participant's record: plan, consents, referrals, one timeline."""

    def test_a_case_manager_adds_a_participant_and_plans_a_need(
        self, app: Flask, manager_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager, date_of_birth="1990-05-01")
        provider = manager_api.post(
            "/providers",
            {"name": "Evergreen Treatment", "phone": "206 555 0190", "needs": ["substance_use"]},
        )
        assert provider.status_code == 201 and provider.json["phone"] == "+12065550190"
        entry = manager_api.post(
            f"/participants/{number}/plan",
            {
                "need": "substance_use",
                "provider_id": provider.json["id"],
                "started_on": "2026-12-01",
            },
        )
        assert entry.status_code == 201 and entry.json["status"] == "planned"
        changed = manager_api.patch(
            f"/participants/{number}/plan/{entry.json['id']}", {"status": "started"}
        )
        assert changed.status_code == 200 and changed.json["status"] == "started"
        record = manager_api.get(f"/participants/{number}").json
        assert record["date_of_birth"] == "1990-05-01" and record["aliases"] == ["JD"]
        assert [(p["need"], p["status"]) for p in record["plan"]] == [("substance_use", "started")]
        assert [t["kind"] for t in record["timeline"]] == ["plan", "plan"]  # added, then started

    def test_bad_fields_are_422_naming_them(
        self, app: Flask, manager_api: Api, case_manager: int
    ) -> None:
        coordinator = add_user(app, "coordinator", "Cora")
        answer = manager_api.post("/participants", {"name": "X", "case_manager_id": coordinator})
        assert answer.status_code == 422 and answer.json["error"]["field"] == "case_manager_id"
        number = add_participant(manager_api, case_manager)
        plan = manager_api.post(
            f"/participants/{number}/plan", {"need": "housing", "provider_id": 999}
        )
        assert plan.status_code == 422 and plan.json["error"]["field"] == "provider_id"
        bad_need = manager_api.post(f"/participants/{number}/plan", {"need": "money"})
        assert bad_need.status_code == 422 and bad_need.json["error"]["field"] == "need"
        assert manager_api.get("/participants/4242").status_code == 404

    def test_a_plan_entry_ending_before_it_starts_is_422_naming_ended_on(
        self, app: Flask, manager_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        body = {"need": "housing", "started_on": "2026-05-01", "ended_on": "2026-04-01"}
        answer = manager_api.post(f"/participants/{number}/plan", body)
        assert answer.status_code == 422 and answer.json["error"]["field"] == "ended_on"
        assert manager_api.get(f"/participants/{number}").json["plan"] == []

    def test_a_plan_entrys_need_is_corrected_with_patch_as_section_8_lists_it(
        self, manager_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        entry = manager_api.post(f"/participants/{number}/plan", {"need": "housing"}).json
        one = f"/participants/{number}/plan/{entry['id']}"
        changed = manager_api.patch(one, {"need": "food"})
        assert changed.status_code == 200, changed.json
        assert changed.json["need"] == "food" and changed.json["status"] == "planned"
        assert [e["need"] for e in manager_api.get(f"/participants/{number}").json["plan"]] == [
            "food"
        ]
        for bad in ("money", None):
            refused = manager_api.patch(one, {"need": bad})
            assert (refused.status_code, refused.json["error"]["field"]) == (422, "need")

    def test_a_provider_listing_a_need_twice_is_422_naming_needs(self, manager_api: Api) -> None:
        body = {"name": "Hope House", "needs": ["housing", "housing"]}
        added = manager_api.post("/providers", body)
        assert (added.status_code, added.json["error"]["field"]) == (422, "needs")
        provider = manager_api.post("/providers", {**body, "needs": ["housing"]}).json
        changed = manager_api.patch(f"/providers/{provider['id']}", {"needs": ["food", "food"]})
        assert (changed.status_code, changed.json["error"]["field"]) == (422, "needs")
        assert manager_api.get(f"/providers/{provider['id']}").json["needs"] == ["housing"]

    def test_an_inactive_provider_is_refused_for_a_new_plan_entry_or_a_change(
        self, app: Flask, manager_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        provider = manager_api.post("/providers", {"name": "Old Shelter", "needs": ["housing"]})
        kept = manager_api.post(
            f"/participants/{number}/plan", {"need": "housing", "provider_id": provider.json["id"]}
        )
        assert kept.status_code == 201
        closed = manager_api.patch(f"/providers/{provider.json['id']}", {"active": False})
        assert closed.status_code == 200
        body = {"need": "food", "provider_id": provider.json["id"]}
        added = manager_api.post(f"/participants/{number}/plan", body)
        assert added.status_code == 422 and added.json["error"]["field"] == "provider_id"
        other = manager_api.post(f"/participants/{number}/plan", {"need": "food"}).json
        moved = manager_api.patch(
            f"/participants/{number}/plan/{other['id']}", {"provider_id": provider.json["id"]}
        )
        assert moved.status_code == 422 and moved.json["error"]["field"] == "provider_id"
        # An entry already with them may still move on.
        same = {"provider_id": provider.json["id"], "status": "started"}
        assert (
            manager_api.patch(f"/participants/{number}/plan/{kept.json['id']}", same).status_code
            == 200
        )

    def test_each_plan_change_is_on_the_timeline_when_it_happened(
        self, app: Flask, manager_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        entry = manager_api.post(f"/participants/{number}/plan", {"need": "housing"}).json
        for status in ("started", "completed"):
            changed = manager_api.patch(
                f"/participants/{number}/plan/{entry['id']}", {"status": status}
            )
            assert changed.status_code == 200
        timeline = manager_api.get(f"/participants/{number}").json["timeline"]
        plan = [(t["detail"]["need"], t["detail"]["status"]) for t in timeline]
        # Planned when it was added (not "completed" back then), then each change at its time.
        assert plan == [("housing", "planned"), ("housing", "started"), ("housing", "completed")]
        assert [t["at"] for t in timeline] == sorted(t["at"] for t in timeline)
        assert (
            timeline[-1]["at"]
            == manager_api.get(f"/participants/{number}").json["plan"][0]["updated_at"]
        )

    def test_the_audit_log_keeps_no_name(
        self, app: Flask, manager_api: Api, case_manager: int
    ) -> None:
        add_participant(manager_api, case_manager)
        with session_scope(app) as session:
            rows = session.scalars(
                select(AuditEvent).where(AuditEvent.entity == "participant")
            ).all()
        assert rows and "Jane" not in str([(r.before, r.after) for r in rows])

    def test_referrals_link_to_the_participant(
        self, app: Flask, manager_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        referral = add_referral(app, "intake_completed")
        with session_scope(app) as session:
            session.execute(
                update(Referral).where(Referral.id == referral).values(participant_id=number)
            )
        record = manager_api.get(f"/participants/{number}").json
        assert [r["id"] for r in record["referrals"]] == [referral]
        assert [t["kind"] for t in record["timeline"]] == ["referral"]


class TestConsentAndTheProsecutor:
    """Nothing reaches a prosecutor without a current `prosecutor` consent, and never clinical."""

    def test_without_consent_the_participant_does_not_exist_for_a_prosecutor(
        self, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        assert prosecutor_api.get("/participants").json == {"items": []}
        assert prosecutor_api.get(f"/participants/{number}").status_code == 404
        charge = prosecutor_api.post(
            f"/participants/{number}/charges", {"date": "2026-12-02", "description": "Theft 3"}
        )
        assert charge.status_code == 404

    def test_with_consent_status_only_and_every_view_audited(
        self, app: Flask, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        consent = manager_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"})
        assert consent.status_code == 201 and consent.json["revoked_at"] is None
        seen = prosecutor_api.get(f"/participants/{number}").json
        assert set(seen) == {"id", "name", "status", "case_manager", "referrals", "charges"}
        assert not CLINICAL & set(seen)
        assert seen["case_manager"]["name"] == "Cam"
        with session_scope(app) as session:
            disclosed = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "disclose")
            ).all()
        assert [(row.entity_id, row.after) for row in disclosed] == [(number, {"to": "prosecutor"})]

    @pytest.mark.parametrize(
        "change", [{"active": False}, {"role": "coordinator"}], ids=["left", "moved"]
    )
    def test_the_prosecutor_is_never_given_a_former_case_managers_phone(
        self,
        app: Flask,
        manager_api: Api,
        prosecutor_api: Api,
        case_manager: int,
        change: dict[str, object],
    ) -> None:
        number = add_participant(manager_api, case_manager)
        manager_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"})
        with session_scope(app) as session:  # Cam left, or moved to the coordinators' desk
            session.execute(update(User).where(User.id == case_manager).values(**change))
        assert prosecutor_api.get(f"/participants/{number}").json["case_manager"] is None
        assert [
            row["case_manager"] for row in prosecutor_api.get("/participants").json["items"]
        ] == [None]

    def test_a_charge_texts_the_case_manager_at_once(
        self, app: Flask, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        manager_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"})
        charge = prosecutor_api.post(
            f"/participants/{number}/charges", {"date": "2026-12-02", "description": "Theft 3"}
        )
        assert charge.status_code == 201
        texts = texts_sent(app)
        assert texts == [
            f"LEAD participant #{number}: a prosecutor recorded a new charge dated 2026-12-02. "
            "See the participant's page."
        ]
        assert "Theft" not in texts[0]  # the description stays on the timeline, not in texts
        assert [
            c["description"] for c in prosecutor_api.get(f"/participants/{number}").json["charges"]
        ] == ["Theft 3"]

    def test_a_charge_a_supervisor_records_is_not_texted_as_a_prosecutors(
        self, app: Flask, manager_api: Api, supervisor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        charge = supervisor_api.post(
            f"/participants/{number}/charges", {"date": "2026-12-02", "description": "Theft 3"}
        )
        assert charge.status_code == 201
        texts = texts_sent(app)
        # It said "a prosecutor recorded": the case manager would call the wrong office.
        assert texts == [
            f"LEAD participant #{number}: a supervisor recorded a new charge dated 2026-12-02. "
            "See the participant's page."
        ]

    def test_revoked_or_expired_consent_hides_the_participant_again(
        self, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        consent = manager_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"}).json
        assert prosecutor_api.get(f"/participants/{number}").status_code == 200
        revoked = manager_api.delete(f"/participants/{number}/consents/{consent['id']}")
        assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
        assert prosecutor_api.get(f"/participants/{number}").status_code == 404
        again = manager_api.delete(f"/participants/{number}/consents/{consent['id']}")
        assert again.status_code == 409
        past = datetime.now(UTC) - timedelta(days=30)
        expired = manager_api.post(
            f"/participants/{number}/consents",
            {
                "scope": "prosecutor",
                "given_at": past.isoformat(),
                "expires_at": (past + timedelta(days=1)).isoformat(),
            },
        )
        assert expired.status_code == 201
        assert prosecutor_api.get("/participants").json == {"items": []}

    def test_an_officer_status_consent_is_not_a_prosecutor_one(
        self, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        manager_api.post(f"/participants/{number}/consents", {"scope": "officer_status"})
        assert prosecutor_api.get(f"/participants/{number}").status_code == 404

    def test_a_prosecutors_filters_choose_among_those_in_their_view(
        self, app: Flask, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        other_manager = add_user(app, "case_manager", "Kim")
        ann = add_participant(manager_api, case_manager, name="Ann Ames", aliases=[])
        bo = add_participant(manager_api, other_manager, name="Bo Birch", aliases=[])
        hidden = add_participant(manager_api, case_manager, name="Ann Amos", aliases=[])
        for number in (ann, bo):
            manager_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"})

        def listed(query: str) -> list[int]:
            answer = prosecutor_api.get(f"/participants?{query}")
            assert answer.status_code == 200, answer.json
            return [row["id"] for row in answer.json["items"]]

        # Each answered both people, as if filtered: Bo under Cam, both "exited".
        assert listed(f"case_manager_id={case_manager}") == [ann]
        assert listed("status=exited") == []
        assert listed("match=Ann Ames") == [ann]
        assert hidden not in listed("match=Ann Amos")
        assert listed("") == [ann, bo]

    def test_a_prosecutors_match_never_tells_a_birth_date_their_view_leaves_out(
        self, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(
            manager_api, case_manager, name="Ann Ames", aliases=[], date_of_birth="1990-05-01"
        )
        manager_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"})
        # Trying birth dates one by one found the one that answered Ann: her birth date.
        right = prosecutor_api.get("/participants?match=Ann Ames&date_of_birth=1990-05-01")
        wrong = prosecutor_api.get("/participants?match=Ann Ames&date_of_birth=1990-05-02")
        assert right.status_code == wrong.status_code == 400
        assert right.json == wrong.json
        assert right.json["error"]["field"] == "date_of_birth"
        assert [
            row["id"] for row in prosecutor_api.get("/participants?match=Ann Ames").json["items"]
        ] == [number]

    def test_a_prosecutors_match_never_tells_an_alias_their_view_leaves_out(
        self, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(
            manager_api, case_manager, name="Ann Ames", aliases=["Queenie Street"]
        )
        manager_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"})
        # The alias answered Ann, telling the prosecutor who goes by it.
        assert prosecutor_api.get("/participants?match=Queenie Street").json == {"items": []}
        named = prosecutor_api.get("/participants?match=Ann Ames").json["items"]
        assert [row["id"] for row in named] == [number]
        assert manager_api.get("/participants?match=Queenie Street").json["items"][0]["id"] == (
            number
        )

    def test_a_prosecutor_writes_nothing_but_charges(
        self, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        assert prosecutor_api.post("/participants", {"name": "X"}).status_code == 403
        assert prosecutor_api.patch(f"/participants/{number}", {"name": "X"}).status_code == 403
        assert prosecutor_api.get("/providers").status_code == 403
        consent = prosecutor_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"})
        assert consent.status_code == 403


def test_a_record_sent_back_with_the_case_manager_who_left_is_saved(
    app: Flask, supervisor_api: Api, case_manager: int
) -> None:
    number = add_participant(supervisor_api, case_manager)
    with session_scope(app) as session:  # Cam left
        session.execute(update(User).where(User.id == case_manager).values(active=False))
    record = supervisor_api.get(f"/participants/{number}").json
    body = {key: record[key] for key in ("name", "aliases", "case_manager_id")}
    changed = supervisor_api.patch(f"/participants/{number}", {**body, "status": "exited"})
    # Unchanged, as a provider an entry already has: only naming Cam anew is refused.
    assert changed.status_code == 200, changed.json
    assert (changed.json["status"], changed.json["case_manager_id"]) == ("exited", case_manager)
    other = add_participant(supervisor_api, add_user(app, "case_manager", "Cyd"))
    refused = supervisor_api.patch(f"/participants/{other}", {"case_manager_id": case_manager})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "case_manager_id"


def test_a_consent_given_with_an_offset_is_answered_in_utc(
    app: Flask, supervisor_api: Api, case_manager: int
) -> None:
    number = add_participant(supervisor_api, case_manager)
    body = {
        "scope": "prosecutor",
        "given_at": "2026-01-01T10:00:00-07:00",
        "expires_at": "2027-01-01T10:00:00+05:00",
    }
    posted = supervisor_api.post(f"/participants/{number}/consents", body)
    assert posted.status_code == 201
    [shown] = supervisor_api.get(f"/participants/{number}").json["consents"]
    assert posted.json["given_at"] == shown["given_at"] == "2026-01-01T17:00:00Z"
    assert posted.json["expires_at"] == shown["expires_at"] == "2027-01-01T05:00:00Z"


def test_who_a_person_may_be_is_asked_by_name_and_birth_date(
    app: Flask, supervisor_api: Api, case_manager: int
) -> None:
    number = add_participant(supervisor_api, case_manager, date_of_birth="1990-05-01")
    query = {"match": "Jane Doe", "date_of_birth": "1990-05-01"}
    answer = supervisor_api.get("/participants", query_string=query)
    assert answer.status_code == 200 and [p["id"] for p in answer.json["items"]] == [number]


def test_a_match_narrowed_by_status_or_case_manager_lists_only_those(
    app: Flask, manager_api: Api, prosecutor_api: Api, case_manager: int
) -> None:
    other_manager = add_user(app, "case_manager", "Kim")
    active = add_participant(manager_api, case_manager, aliases=[])
    left = add_participant(manager_api, other_manager, aliases=[], status="exited")

    def listed(api: Api, query: str) -> list[int]:
        answer = api.get(f"/participants?{query}")
        assert answer.status_code == 200, answer.json
        return [row["id"] for row in answer.json["items"]]

    # Both Jane Does were answered whatever the filter said, read as filtered.
    assert listed(manager_api, "match=Jane Doe") == [active, left]
    assert listed(manager_api, "match=Jane Doe&status=active") == [active]
    assert listed(manager_api, "match=Jane Doe&status=exited") == [left]
    assert listed(manager_api, f"match=Jane Doe&case_manager_id={other_manager}") == [left]
    manager_api.post(f"/participants/{active}/consents", {"scope": "prosecutor"})
    assert listed(prosecutor_api, "match=Jane Doe&status=exited") == []


def test_a_match_narrowed_by_status_finds_one_behind_five_others(
    manager_api: Api, prosecutor_api: Api, case_manager: int
) -> None:
    for _ in range(5):  # as likely, and older: they came first among the five suggestions
        add_participant(manager_api, case_manager, aliases=[], status="exited")
    active = add_participant(manager_api, case_manager, aliases=[])
    manager_api.post(f"/participants/{active}/consents", {"scope": "prosecutor"})
    for api in (manager_api, prosecutor_api):
        answer = api.get("/participants?match=Jane Doe&status=active")
        assert [row["id"] for row in answer.json["items"]] == [active]
    assert [
        row["id"] for row in prosecutor_api.get("/participants?match=Jane Doe").json["items"]
    ] == [active]


def test_a_birth_date_without_a_name_to_match_is_400_not_every_participant(
    manager_api: Api, case_manager: int
) -> None:
    add_participant(manager_api, case_manager, date_of_birth="1990-05-01")
    answer = manager_api.get("/participants?date_of_birth=1971-01-01")
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == "date_of_birth"
    assert "match" in answer.json["error"]["message"]


def revoke_once_listed(
    app: Flask, monkeypatch: pytest.MonkeyPatch, participant: int, consent: int
) -> None:
    """Have the case manager revoke a consent just after the prosecutor's list is chosen."""
    real = participant_views.in_prosecutor_view

    def chosen_then_revoked(
        session: Session, rows: list[Participant], now: datetime
    ) -> list[Participant]:
        rows = real(session, rows, now)
        with session_scope(app) as other:  # another worker, before the cards are drawn
            at = datetime.now(UTC)
            participants.revoke_consent(other, participant, consent, Actor(None, "web"), at)
        return rows

    monkeypatch.setattr(participant_views, "in_prosecutor_view", chosen_then_revoked)


def test_a_consent_revoked_while_the_prosecutors_list_is_drawn_leaves_the_list_whole(
    app: Flask,
    manager_api: Api,
    prosecutor_api: Api,
    case_manager: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = add_participant(manager_api, case_manager, name="Ann Ames")
    second = add_participant(manager_api, case_manager, name="Bo Birch")
    consents = [
        manager_api.post(f"/participants/{n}/consents", {"scope": "prosecutor"}).json["id"]
        for n in (first, second)
    ]
    revoke_once_listed(app, monkeypatch, second, consents[1])
    answer = prosecutor_api.get("/participants")
    # The list as it stood when it was asked for (on PostgreSQL it was a 404 naming Bo).
    assert answer.status_code == 200, answer.json
    assert answer.json["items"][0]["id"] == first
    monkeypatch.undo()
    assert prosecutor_api.get(f"/participants/{second}").status_code == 404


class TestOneConsentInForcePerScope:
    """A withdrawn consent shares nothing: no second one of the scope hides behind it (§6)."""

    def test_a_second_consent_of_a_scope_in_force_is_409_naming_the_one_in_force(
        self, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        consents = f"/participants/{number}/consents"
        first = manager_api.post(consents, {"scope": "prosecutor"}).json
        again = manager_api.post(consents, {"scope": "prosecutor"})
        assert again.status_code == 409 and again.json["error"]["field"] == "scope"
        assert f"consent {first['id']}" in again.json["error"]["message"]
        # Another scope, and a renewal from the day the first one ends, are not duplicates.
        assert manager_api.post(consents, {"scope": "officer_status"}).status_code == 201
        until = datetime.now(UTC) + timedelta(days=30)
        other = add_participant(manager_api, case_manager, name="Ann Ames")
        ending = {"scope": "prosecutor", "expires_at": until.isoformat()}
        assert manager_api.post(f"/participants/{other}/consents", ending).status_code == 201
        renewal = {"scope": "prosecutor", "given_at": until.isoformat()}
        assert manager_api.post(f"/participants/{other}/consents", renewal).status_code == 201
        record = manager_api.get(f"/participants/{number}").json
        assert sorted(c["scope"] for c in record["consents"]) == ["officer_status", "prosecutor"]
        manager_api.delete(f"{consents}/{first['id']}")
        assert prosecutor_api.get(f"/participants/{number}").status_code == 404

    def test_revoking_a_consent_revokes_every_other_of_its_scope_still_to_hold(
        self, app: Flask, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        number = add_participant(manager_api, case_manager)
        now = datetime.now(UTC)
        with session_scope(app) as session:  # as an older version let them be recorded
            for given in (
                now - timedelta(days=2),
                now - timedelta(days=1),
                now + timedelta(days=9),
            ):
                session.add(Consent(participant_id=number, scope="prosecutor", given_at=given))
            session.add(Consent(participant_id=number, scope="officer_status", given_at=now))
        first = manager_api.get(f"/participants/{number}").json["consents"][0]
        revoked = manager_api.delete(f"/participants/{number}/consents/{first['id']}")
        assert revoked.status_code == 200 and revoked.json["id"] == first["id"]
        assert prosecutor_api.get(f"/participants/{number}").status_code == 404
        consents = manager_api.get(f"/participants/{number}").json["consents"]
        assert [(c["scope"], c["revoked_at"] is not None) for c in consents] == [
            ("prosecutor", True),
            ("prosecutor", True),
            ("prosecutor", True),
            ("officer_status", False),
        ]
        with session_scope(app) as session:
            audited = session.scalars(
                select(AuditEvent.entity_id).where(AuditEvent.action == "revoke_consent")
            ).all()
        assert audited == [number] * 3

    def test_revoking_a_consent_that_had_ended_leaves_the_one_in_force(
        self, manager_api: Api, prosecutor_api: Api, case_manager: int
    ) -> None:
        # Tidying last year's consent is not the person withdrawing this year's.
        number = add_participant(manager_api, case_manager)
        consents = f"/participants/{number}/consents"
        now = datetime.now(UTC)
        ended = {
            "scope": "prosecutor",
            "given_at": (now - timedelta(days=400)).isoformat(),
            "expires_at": (now - timedelta(days=35)).isoformat(),
        }
        old = manager_api.post(consents, ended).json
        current = manager_api.post(consents, {"scope": "prosecutor"}).json
        assert manager_api.delete(f"{consents}/{old['id']}").status_code == 200
        shown = {
            c["id"]: c["revoked_at"]
            for c in manager_api.get(f"/participants/{number}").json["consents"]
        }
        assert shown[old["id"]] is not None and shown[current["id"]] is None
        assert prosecutor_api.get(f"/participants/{number}").status_code == 200


class TestImpossibleDates:
    """A birth date to come, or a year typed 0202 or 9999, is refused with the field named."""

    @pytest.mark.parametrize("born", ["0202-05-01", "1899-12-31", "9999-01-01", "tomorrow"])
    def test_a_birth_date_outside_1900_to_today_is_422(
        self, manager_api: Api, case_manager: int, born: str
    ) -> None:
        if born == "tomorrow":
            born = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        added = manager_api.post("/participants", {"name": "Jo Park", "date_of_birth": born})
        assert (added.status_code, added.json["error"]["field"]) == (422, "date_of_birth")
        number = add_participant(manager_api, case_manager, date_of_birth="1990-05-01")
        changed = manager_api.patch(f"/participants/{number}", {"date_of_birth": born})
        assert (changed.status_code, changed.json["error"]["field"]) == (422, "date_of_birth")
        record = manager_api.get(f"/participants/{number}").json
        assert record["date_of_birth"] == "1990-05-01"
        assert [p["name"] for p in manager_api.get("/participants").json["items"]] == ["Jane Doe"]

    @pytest.mark.parametrize(
        ("field", "day"),
        [("started_on", "0202-05-01"), ("ended_on", "9999-12-31"), ("started_on", "2003-01-01")],
    )
    def test_a_plan_date_far_from_today_is_422(
        self, manager_api: Api, case_manager: int, field: str, day: str
    ) -> None:
        number = add_participant(manager_api, case_manager)
        added = manager_api.post(f"/participants/{number}/plan", {"need": "housing", field: day})
        assert (added.status_code, added.json["error"]["field"]) == (422, field)
        entry = manager_api.post(f"/participants/{number}/plan", {"need": "food"}).json
        changed = manager_api.patch(f"/participants/{number}/plan/{entry['id']}", {field: day})
        assert (changed.status_code, changed.json["error"]["field"]) == (422, field)
        [kept] = manager_api.get(f"/participants/{number}").json["plan"]
        assert (kept["need"], kept[field]) == ("food", None)

    @pytest.mark.parametrize("day", ["0202-12-02", "9999-12-02"])
    def test_a_charge_dated_far_from_today_is_422_and_texts_nobody(
        self, app: Flask, manager_api: Api, prosecutor_api: Api, case_manager: int, day: str
    ) -> None:
        number = add_participant(manager_api, case_manager)
        manager_api.post(f"/participants/{number}/consents", {"scope": "prosecutor"})
        body = {"date": day, "description": "Theft 3"}
        charge = prosecutor_api.post(f"/participants/{number}/charges", body)
        assert (charge.status_code, charge.json["error"]["field"]) == (422, "date")
        assert prosecutor_api.get(f"/participants/{number}").json["charges"] == []
        with session_scope(app) as session:
            assert session.scalars(select(Message)).all() == []

    @pytest.mark.parametrize("given", ["2099-01-01T09:00:00Z", "1901-01-01T09:00:00Z"])
    def test_a_consent_given_a_year_far_from_today_is_422_and_records_nothing(
        self, manager_api: Api, case_manager: int, given: str
    ) -> None:
        # Given "2099" (for 2029, say), it was recorded and never held, without a word.
        number = add_participant(manager_api, case_manager)
        body = {"scope": "prosecutor", "given_at": given}
        consent = manager_api.post(f"/participants/{number}/consents", body)
        assert (consent.status_code, consent.json["error"]["field"]) == (422, "given_at")
        assert manager_api.get(f"/participants/{number}").json["consents"] == []


def test_a_change_that_changes_nothing_records_nothing(
    app: Flask, manager_api: Api, case_manager: int
) -> None:
    number = add_participant(manager_api, case_manager, date_of_birth="1990-05-01")
    entry = manager_api.post(f"/participants/{number}/plan", {"need": "housing"}).json
    before = manager_api.get(f"/participants/{number}").json
    with session_scope(app) as session:
        audited = len(session.scalars(select(AuditEvent)).all())
    same = {"need": "housing", "status": "planned", "provider_id": None, "note": None}
    answer = manager_api.patch(f"/participants/{number}/plan/{entry['id']}", same)
    assert answer.status_code == 200 and answer.json == entry
    again = {key: before[key] for key in ("name", "aliases", "date_of_birth", "status")}
    assert manager_api.patch(f"/participants/{number}", again).status_code == 200
    after = manager_api.get(f"/participants/{number}").json
    assert after["timeline"] == before["timeline"] and after["plan"] == before["plan"]
    with session_scope(app) as session:
        assert len(session.scalars(select(AuditEvent)).all()) == audited
