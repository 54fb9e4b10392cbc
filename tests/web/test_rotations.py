"""Rotations in the web app: the list, the editor, its preview, role rules (SPEC §9)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.models import Message, Rotation, User
from hotline.schemas.oncall import RotationIn
from hotline.services import oncall
from hotline.services.oncall import rotation_fields
from tests.factories import add_rotation, add_user
from tests.web.conftest import Web

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def rotation_form(*people: User, **fields: Any) -> dict[str, Any]:
    """Return a valid editor form: daily 08:00 hand-offs in Los Angeles, no window."""
    form: dict[str, Any] = {
        "name": "Primary",
        "tier": "1",
        "priority": "0",
        "timezone": "America/Los_Angeles",
        "timezone_other": "",
        "start_date": "2026-03-01",
        "start_time": "08:00",
        "shift_length": "1",
        "shift_unit": "days",
        "window_count": "0",
        "participant": [str(p.id) for p in people],
        "action": "save",
    }
    form.update(fields)
    return form


def stored(app: Flask) -> list[dict[str, Any]]:
    """Return every saved rotation as the API shows it."""
    with session_scope(app) as session:
        return [rotation_fields(r) for r in session.scalars(select(Rotation).order_by(Rotation.id))]


def order(page: str) -> list[int]:
    """Return the participants' ids in the order the editor shows them."""
    return [int(n) for n in re.findall(r'name="participant" value="(\d+)"', page)]


class TestRotationList:
    """Everyone signed in reads the rotations; supervisors get edit links."""

    def test_list_shows_people_in_order_and_windows(
        self, app: Flask, as_coordinator: Web, ana: User, ben: User
    ) -> None:
        row = add_rotation(app, 2, ben, ana, shift_hours=168)
        with session_scope(app) as session:
            session.get_one(Rotation, row.id).windows = [
                {"days": WEEKDAYS, "start": "18:00", "end": "08:00"}
            ]
        page = as_coordinator.text("/rotations")
        assert page.index("Ben Okafor") < page.index("Ana Diaz")
        assert "Mon Tue Wed Thu Fri 18:00–08:00" in page and "1 week" in page
        assert "America/Los_Angeles" in page and "New rotation" not in page
        assert f'href="/rotations/{row.id}"' in page and ">Edit<" not in page

    def test_supervisors_see_edit_and_new_links(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        page = as_supervisor.text("/rotations")
        assert 'id="new-rotation" href="/rotations/new"' in page
        assert f'href="/rotations/{row.id}" aria-label="Edit Tier 1"' in page

    def test_pages_need_sign_in(self, app: Flask, client: Any, ana: User) -> None:
        row = add_rotation(app, 1, ana)
        for path in ("/rotations", "/rotations/new", f"/rotations/{row.id}"):
            answer = client.get(path)
            assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


class TestRoleRules:
    """Coordinators read; only supervisors change, and only with the CSRF token."""

    def test_coordinator_reads_a_rotation_without_an_editor(
        self, app: Flask, as_coordinator: Web, ana: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        page = as_coordinator.text(f"/rotations/{row.id}")
        assert "Ana Diaz" in page and "Only supervisors may change" in page
        assert 'id="save"' not in page and 'class="bar rotation"' in page
        assert as_coordinator.get("/rotations/new").status_code == 403
        assert as_coordinator.get(f"/rotations/{row.id}/delete").status_code == 403

    def test_coordinator_cannot_post_a_change_with_or_without_the_form(
        self, app: Flask, as_coordinator: Web, ana: User, ben: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        before = stored(app)
        changed = rotation_form(ben, name="Taken over")
        for path in ("/rotations/new", f"/rotations/{row.id}"):
            assert as_coordinator.post(path, changed).status_code == 403
            assert as_coordinator.post(path).status_code == 403
            assert as_coordinator.post(path, {"action": "up:1"}).status_code == 403
        assert as_coordinator.post(f"/rotations/{row.id}/delete").status_code == 403
        assert stored(app) == before

    def test_post_without_csrf_token_is_400_and_changes_nothing(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        before = stored(app)
        client = as_supervisor.client
        assert client.post("/rotations/new", data=rotation_form(ben)).status_code == 400
        assert client.post(f"/rotations/{row.id}", data=rotation_form(ben)).status_code == 400
        assert client.post(f"/rotations/{row.id}/delete").status_code == 400
        assert stored(app) == before

    def test_unknown_rotation_is_404(self, as_supervisor: Web) -> None:
        assert as_supervisor.get("/rotations/999").status_code == 404
        assert as_supervisor.get(f"/rotations/{2**40}").status_code == 404
        assert as_supervisor.post("/rotations/999/delete").status_code == 404


class TestEditor:
    """Every field, saved through RotationIn; errors beside their fields; nothing half-saved."""

    def test_new_form_starts_with_the_program_zone_and_today(self, as_supervisor: Web) -> None:
        page = as_supervisor.text("/rotations/new")
        assert '<option value="America/Los_Angeles" selected>' in page
        today = datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()
        assert f'id="start_date" name="start_date" type="date" required value="{today}"' in page
        assert re.search(r'id="start_time" name="start_time" type="text"[^>]*value="08:00"', page)
        assert 'pattern="([01][0-9]|2[0-3]):[0-5][0-9]"' in page  # a 24-hour clock
        for field in ("name", "tier", "priority", "timezone", "start_time", "shift_length"):
            assert f'<label for="{field}">' in page

    def test_saving_stores_every_field_and_redirects_to_the_rotation(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        form = rotation_form(
            ben,
            ana,
            name="Nights",
            tier="2",
            priority="5",
            timezone="America/Chicago",
            start_date="2026-03-02",
            start_time="18:30",
            shift_length="2",
            shift_unit="weeks",
            window_count="2",
            **{
                "window-0-days": ["mon", "wed"],
                "window-0-start": "18:00",
                "window-0-end": "08:00",
                "window-1-days": ["sat"],
                "window-1-start": "00:00",
                "window-1-end": "00:00",
            },
        )
        answer = as_supervisor.post("/rotations/new", form)
        (saved,) = stored(app)
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/rotations/{saved['id']}"
        assert {k: saved[k] for k in ("name", "tier", "priority", "timezone", "start")} == {
            "name": "Nights",
            "tier": 2,
            "priority": 5,
            "timezone": "America/Chicago",
            "start": "2026-03-02T18:30",
        }
        assert saved["shift_hours"] == 336 and saved["participants"] == [ben.id, ana.id]
        assert saved["windows"] == [
            {"days": ["mon", "wed"], "start": "18:00", "end": "08:00"},
            {"days": ["sat"], "start": "00:00", "end": "00:00"},
        ]
        page = as_supervisor.text(answer.headers["Location"])
        assert "Rotation “Nights” saved." in page
        assert '<option value="weeks" selected>' in page
        assert 'id="window-1-day-sat" name="window-1-days" value="sat" checked' in page

    def test_a_typed_time_zone_beats_the_list(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        as_supervisor.post("/rotations/new", rotation_form(ana, timezone_other="America/Boise"))
        (saved,) = stored(app)
        assert saved["timezone"] == "America/Boise"
        assert '<option value="America/Boise" selected>' in as_supervisor.text(
            f"/rotations/{saved['id']}"
        )

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"name": ""}, "name", "Required."),
            ({"tier": "one"}, "tier", "Enter a whole number."),
            ({"tier": "0"}, "tier", "greater than or equal to 1"),
            ({"priority": "2.5"}, "priority", "Enter a whole number."),
            ({"timezone_other": "Mars/Olympus"}, "timezone", "IANA"),
            ({"start_date": ""}, "start", "first hand-off"),
            ({"start_date": "2026-02-30"}, "start", "Not a real date and 24-hour time"),
            ({"start_time": "24:00"}, "start", "Not a real date and 24-hour time"),
            ({"shift_length": "0"}, "shift_length", "greater than or equal to 1"),
            ({"shift_length": "400"}, "shift_length", "at most 365 days"),
            ({"participant": []}, "participants", "Add at least one participant."),
            (
                {"window_count": "1", "window-0-start": "08:00", "window-0-end": "17:00"},
                "window-0-days",
                "Choose at least one day.",
            ),
            (
                {"window_count": "1", "window-0-days": "mon", "window-0-start": "25:00"},
                "window-0-start",
                "Use the form shown",
            ),
        ],
    )
    def test_errors_show_beside_their_field_and_nothing_is_saved(
        self,
        app: Flask,
        as_supervisor: Web,
        ana: User,
        changes: dict[str, Any],
        field: str,
        message: str,
    ) -> None:
        answer = as_supervisor.post(
            "/rotations/new", rotation_form(ana, **{"name": "Kept", **changes})
        )
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422 and stored(app) == []
        error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
        assert error and message in error.group(1), page
        assert re.search(rf'aria-describedby="[^"]*{field}-error"', page)
        assert "Nothing was saved" in page
        if "name" not in changes:
            assert 'value="Kept"' in page

    @pytest.mark.parametrize(("length", "unit"), [("400", "days"), ("53", "weeks")])
    def test_a_shift_too_long_is_refused_in_the_units_typed_not_in_hours(
        self, app: Flask, as_supervisor: Web, ana: User, length: str, unit: str
    ) -> None:
        # "Input should be less than or equal to 8760" answered 53 weeks: 8760 of what?
        form = rotation_form(ana, shift_length=length, shift_unit=unit)
        answer = as_supervisor.post("/rotations/new", form)
        page = html.unescape(answer.get_data(as_text=True))
        assert answer.status_code == 422 and stored(app) == []
        error = re.search(r'<p class="field-error" id="shift_length-error">([^<]*)</p>', page)
        assert error is not None
        assert error.group(1) == (
            f"A shift lasts at most 365 days (52 weeks and a day, 8760 hours): "
            f"{length} {unit} is longer."
        )

    def test_preview_shows_gaps_in_red_and_saves_nothing(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        form = rotation_form(
            ana,
            action="preview",
            window_count="1",
            **{"window-0-days": WEEKDAYS, "window-0-start": "08:00", "window-0-end": "17:00"},
        )
        answer = as_supervisor.post("/rotations/new", form)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200 and stored(app) == []
        assert "Preview, not saved" in page
        assert 'class="bar gap"' in page and 'class="bar rotation"' in page
        assert re.search(r'class="gap-text gap-summary"><strong>\d+ gaps</strong>', page)
        assert '<li class="gap">Tier 1: GAP: nobody' in page

    def test_preview_warns_when_the_rotation_would_never_be_on_call(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        add_rotation(app, 1, ana)
        tied = as_supervisor.post("/rotations/new", rotation_form(ben, action="preview"))
        assert "this rotation would put nobody on call" in tied.get_data(as_text=True)
        higher = rotation_form(ben, action="preview", priority="1")
        page = as_supervisor.post("/rotations/new", higher).get_data(as_text=True)
        assert "would put nobody on call" not in page and "Ben Okafor (rotation)" in page
        assert stored(app)[1:] == []

    def test_preview_of_an_edit_shows_the_changed_tier_without_saving_it(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        before = stored(app)
        assert 'class="bar gap"' not in as_supervisor.text(f"/rotations/{row.id}")
        form = rotation_form(
            ben,
            action="preview",
            window_count="1",
            **{"window-0-days": ["sun"], "window-0-start": "08:00", "window-0-end": "09:00"},
        )
        page = as_supervisor.post(f"/rotations/{row.id}", form).get_data(as_text=True)
        assert "Ben Okafor (rotation)" in page and 'class="bar gap"' in page
        assert "Ana Diaz (rotation)" not in page
        assert stored(app) == before

    def test_up_down_remove_and_add_change_the_saved_order(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User, cy: User
    ) -> None:
        def press(people: list[int], action: str, **extra: str) -> list[int]:
            form = rotation_form(action=action, participant=[str(p) for p in people], **extra)
            answer = as_supervisor.post("/rotations/new", form)
            assert answer.status_code == 200 and stored(app) == []
            return order(answer.get_data(as_text=True))

        people = [ana.id, ben.id, cy.id]
        people = press(people, "up:2")
        assert people == [ana.id, cy.id, ben.id]
        people = press(people, "down:0")
        assert people == [cy.id, ana.id, ben.id]
        assert press(people, "up:0") == people and press(people, "down:2") == people
        people = press(people, "remove:1")
        assert people == [cy.id, ben.id]
        people = press(people, "add-participant", add_participant=str(ana.id))
        assert people == [cy.id, ben.id, ana.id]
        as_supervisor.post("/rotations/new", rotation_form(participant=[str(p) for p in people]))
        assert stored(app)[0]["participants"] == [cy.id, ben.id, ana.id]

    def test_only_active_people_can_be_added(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        gone = add_user(app, "Gone Person", active=False)
        for candidate in (str(gone.id), "999", "", "x"):
            form = rotation_form(ana, action="add-participant", add_participant=candidate)
            assert order(as_supervisor.post("/rotations/new", form).get_data(as_text=True)) == [
                ana.id
            ]
        assert f'<option value="{gone.id}">' not in as_supervisor.text("/rotations/new")

    def test_a_participant_made_a_case_manager_is_marked_and_named_when_refused(
        self, app: Flask, as_supervisor: Web, as_coordinator: Web, ana: User, ben: User
    ) -> None:
        row = add_rotation(app, 1, ana, ben)
        with session_scope(app) as session:  # Ben moved to case management: off the phones
            session.get_one(User, ben.id).role = "case_manager"
        path = f"/rotations/{row.id}"
        page = as_supervisor.text(path)
        ben_row = re.search(r'<li id="participant-1".*?</li>', page, re.S)
        assert ben_row and "not on call: a gap on their turns" in ben_row.group(0)
        for view in (as_coordinator.text(path), as_coordinator.text("/rotations")):
            assert re.search(r"Ben Okafor\s*<span[^>]*>\(case manager: not on call\)", view)
        answer = as_supervisor.post(path, rotation_form(ana, ben, name="Renamed"))
        text = html.unescape(answer.get_data(as_text=True))
        assert answer.status_code == 422
        assert (
            "Ben Okafor is a case manager now: only coordinators and supervisors go on call" in text
        )
        assert f"user {ben.id}" not in text and 'value="Renamed"' in text
        assert stored(app)[0]["name"] == "Tier 1"
        # Nor can a crafted Add put a case manager on the rotation.
        crafted = rotation_form(ana, action="add-participant", add_participant=str(ben.id))
        assert order(as_supervisor.post("/rotations/new", crafted).get_data(as_text=True)) == [
            ana.id
        ]

    def test_a_person_chosen_to_add_but_not_added_keeps_the_save_back_and_stays_chosen(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        # Ben chosen under "Add participant", then Save pressed instead of Add.
        form = rotation_form(ana, name="Nights", add_participant=str(ben.id))
        answer = as_supervisor.post("/rotations/new", form)
        page = html.unescape(answer.get_data(as_text=True))
        assert answer.status_code == 422 and stored(app) == []
        assert "Ben Okafor is chosen under Add participant but not added" in page
        assert f'<option value="{ben.id}" selected>' in page and 'value="Nights"' in page
        # With nobody added yet the refusal says so, and the choice is kept as well.
        empty = as_supervisor.post("/rotations/new", {**form, "participant": []})
        assert f'<option value="{ben.id}" selected>' in empty.get_data(as_text=True)
        added = as_supervisor.post("/rotations/new", {**form, "action": "add-participant"})
        assert order(added.get_data(as_text=True)) == [ana.id, ben.id]
        assert " selected>" not in added.get_data(as_text=True).split('id="add_participant"')[1]
        as_supervisor.post(
            "/rotations/new", {**form, "participant": [ana.id, ben.id], "add_participant": ""}
        )
        assert stored(app)[0]["participants"] == [ana.id, ben.id]

    def test_windows_are_added_and_removed(self, as_supervisor: Web, ana: User) -> None:
        form = rotation_form(ana, action="add-window")
        page = as_supervisor.post("/rotations/new", form).get_data(as_text=True)
        assert 'name="window_count" value="1"' in page and 'id="window-0-start"' in page
        two = rotation_form(
            ana,
            action="remove-window:0",
            window_count="2",
            **{
                "window-0-days": ["mon"],
                "window-1-days": ["tue"],
                "window-1-start": "09:00",
                "window-1-end": "10:00",
            },
        )
        page = as_supervisor.post("/rotations/new", two).get_data(as_text=True)
        assert 'name="window_count" value="1"' in page
        assert 'id="window-0-day-tue" name="window-0-days" value="tue" checked' in page
        assert 'value="mon" checked' not in page

    def test_editing_replaces_the_rotation_under_the_same_address(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        page = as_supervisor.text(f"/rotations/{row.id}")
        assert 'value="Tier 1"' in page and 'value="weeks" selected' not in page
        form = rotation_form(ana, ben, name="Days", shift_length="12", shift_unit="hours")
        answer = as_supervisor.post(f"/rotations/{row.id}", form)
        assert answer.headers["Location"] == f"/rotations/{row.id}"
        (saved,) = stored(app)
        assert (saved["id"], saved["name"], saved["shift_hours"]) == (row.id, "Days", 12)
        assert saved["participants"] == [ana.id, ben.id]

    def test_an_editor_opened_before_another_save_is_refused_with_the_edits_kept(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User, cy: User
    ) -> None:
        row = add_rotation(app, 1, ana, ben)
        path = f"/rotations/{row.id}"
        drawn = re.search(r'name="drawn_from" value="([^"]*)"', as_supervisor.text(path))
        assert drawn, "the editor says which saved version it was drawn from"
        with session_scope(app) as session:  # another supervisor adds Cy meanwhile
            data = RotationIn.model_validate(
                {**stored(app)[0], "participants": [ana.id, ben.id, cy.id]},
                context={"timezone": "America/Los_Angeles"},
            )
            oncall.replace_rotation(session, row.id, data, Actor(None, "cli"), datetime.now(UTC))
        mine = rotation_form(ana, ben, name="Days", drawn_from=drawn.group(1))
        answer = as_supervisor.post(path, mine)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 409
        assert "changed since this page was opened" in page and 'value="Days"' in page
        assert stored(app)[0]["participants"] == [ana.id, ben.id, cy.id]  # not undone
        again = re.search(r'name="drawn_from" value="([^"]*)"', page)
        assert again and again.group(1) != drawn.group(1)
        resent = as_supervisor.post(path, {**mine, "drawn_from": again.group(1)})
        assert resent.status_code == 302  # saved knowingly
        assert stored(app)[0]["name"] == "Days"

    def test_two_saves_of_one_version_at_once_do_not_undo_each_other(
        self,
        app: Flask,
        as_supervisor: Web,
        ana: User,
        ben: User,
        cy: User,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        row = add_rotation(app, 1, ana, ben)
        path = f"/rotations/{row.id}"
        drawn = re.search(r'name="drawn_from" value="([^"]*)"', as_supervisor.text(path))
        assert drawn
        replace = oncall.replace_rotation

        def other_supervisor_first(session: Any, rotation_id: int, *args: Any) -> Any:
            # Another save of the same version commits just after this one compared them.
            with session_scope(app) as other:
                data = RotationIn.model_validate(
                    {**stored(app)[0], "participants": [ana.id, ben.id, cy.id]},
                    context={"timezone": "America/Los_Angeles"},
                )
                replace(other, rotation_id, data, Actor(None, "web"), datetime.now(UTC))
            return replace(session, rotation_id, *args)

        monkeypatch.setattr(oncall, "replace_rotation", other_supervisor_first)
        mine = rotation_form(ana, ben, name="Days", drawn_from=drawn.group(1))
        answer = as_supervisor.post(path, mine)
        assert answer.status_code == 409
        assert stored(app)[0]["participants"] == [ana.id, ben.id, cy.id]

    def test_a_save_of_a_rotation_deleted_meanwhile_is_404_and_recreates_nothing(
        self,
        app: Flask,
        as_supervisor: Web,
        ana: User,
        ben: User,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        row = add_rotation(app, 1, ana)
        path = f"/rotations/{row.id}"
        drawn = re.search(r'name="drawn_from" value="([^"]*)"', as_supervisor.text(path))
        assert drawn
        replace = oncall.replace_rotation

        def deleted_first(session: Any, rotation_id: int, *args: Any) -> Any:
            # Another supervisor deletes it just after this save read it.
            with session_scope(app) as other:
                oncall.delete_rotation(other, rotation_id, Actor(None, "web"), datetime.now(UTC))
            return replace(session, rotation_id, *args)

        monkeypatch.setattr(oncall, "replace_rotation", deleted_first)
        for drawn_from in (drawn.group(1), ""):  # the editor's post, and a script's without it
            answer = as_supervisor.post(path, rotation_form(ana, ben, drawn_from=drawn_from))
            assert answer.status_code == 404
            assert "There is no page at this address" in answer.get_data(as_text=True)
            assert stored(app) == []
            row = add_rotation(app, 1, ana)
            path = f"/rotations/{row.id}"

    def test_a_delete_of_a_rotation_deleted_meanwhile_is_404_not_a_second_deletion(
        self, app: Flask, as_supervisor: Web, ana: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        row = add_rotation(app, 1, ana)
        delete = oncall.delete_rotation

        def deleted_first(session: Any, rotation_id: int, *args: Any) -> None:
            with session_scope(app) as other:
                delete(other, rotation_id, Actor(None, "web"), datetime.now(UTC))
            delete(session, rotation_id, *args)

        monkeypatch.setattr(oncall, "delete_rotation", deleted_first)
        answer = as_supervisor.post(f"/rotations/{row.id}/delete")
        assert answer.status_code == 404
        assert "There is no page at this address" in answer.get_data(as_text=True)
        assert stored(app) == []

    def test_saving_a_gap_texts_the_supervisors_at_once(
        self, app: Flask, as_supervisor: Web, supervisor: User, ana: User
    ) -> None:
        start = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d")
        form = rotation_form(
            ana,
            start_date=start,
            window_count="1",
            **{"window-0-days": WEEKDAYS, "window-0-start": "08:00", "window-0-end": "17:00"},
        )
        as_supervisor.post("/rotations/new", form)
        with session_scope(app) as session:
            bodies = session.scalars(
                select(Message.body).where(Message.to_number == supervisor.phone)
            ).all()
        assert len(bodies) == 1 and "LEAD coverage gap" in (bodies[0] or "")


class TestDelete:
    """A confirmation page shows the tier without the rotation; the POST deletes it."""

    def test_confirm_page_shows_the_gap_then_delete_removes_the_rotation(
        self, app: Flask, as_supervisor: Web, ana: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        page = as_supervisor.text(f"/rotations/{row.id}/delete")
        assert "Delete “Tier 1”?" in page and 'class="bar gap"' in page
        assert stored(app) != []
        answer = as_supervisor.post(f"/rotations/{row.id}/delete")
        assert answer.status_code == 302 and answer.headers["Location"] == "/rotations"
        assert stored(app) == []
        assert "Rotation “Tier 1” deleted." in as_supervisor.text("/rotations")
        with session_scope(app) as session:
            assert session.scalar(select(func.count()).select_from(Rotation)) == 0

    def test_a_delete_confirmed_after_another_supervisor_changed_it_is_refused(
        self, app: Flask, as_supervisor: Web, ana: User, ben: User
    ) -> None:
        row = add_rotation(app, 1, ana)
        confirm = as_supervisor.text(f"/rotations/{row.id}/delete")
        drawn = re.search(r'name="drawn_from" value="([^"]*)"', confirm)
        assert drawn, "the confirmation says which saved version it shows"
        with session_scope(app) as session:  # meanwhile another supervisor moves it to tier 2
            data = RotationIn.model_validate(
                {**stored(app)[0], "tier": 2, "participants": [ben.id]},
                context={"timezone": "America/Los_Angeles"},
            )
            oncall.replace_rotation(session, row.id, data, Actor(None, "cli"), datetime.now(UTC))
        answer = as_supervisor.post(f"/rotations/{row.id}/delete", {"drawn_from": drawn.group(1)})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 409
        assert "changed since this page was opened" in page
        assert "Tier 2 would look like this without it" in " ".join(page.split())
        assert stored(app)[0]["tier"] == 2  # not deleted
        again = re.search(r'name="drawn_from" value="([^"]*)"', page)
        assert again and again.group(1) != drawn.group(1)
        resent = as_supervisor.post(f"/rotations/{row.id}/delete", {"drawn_from": again.group(1)})
        assert resent.status_code == 302 and stored(app) == []


def test_a_later_web_language_offers_the_shifts_units_in_its_own_words(
    as_supervisor: Web, bracketed_words: None
) -> None:
    # The unit box offered its codes ("hours", "days", "weeks") as the words shown.
    page = as_supervisor.text("/rotations/new")
    for unit in ("hours", "days", "weeks"):
        assert re.search(rf'<option value="{unit}"( selected)?>\[\[{unit}\]\]</option>', page), unit
