"""The officer roster on /people: list, add, correct, and import from CSV (SPEC §9)."""

from __future__ import annotations

import io
import re
import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import AuditEvent, Officer, User
from hotline.services import roster_import
from tests.factories import add_officer, leave_roster
from tests.web.conftest import Web
from tests.web.page_elements import read, tied
from tests.web.test_form_once import hidden_fields

ROSTER = (
    "name,badge,agency,phone\n"
    "Olive Smith,4711,SPD,206-555-0141\n"
    "No Badge,,SPD,206-555-0142\n"
    "Bad Phone,4713,SPD,12\n"
    "Pat Jones,4714,KCSO,+1 206 555 0144\n"
    "Same Badge,4711,SPD,206-555-0145\n"
    "Letter Badge,47a1,SPD,206-555-0146\n"
)


def officer(**fields: Any) -> dict[str, Any]:
    """Return a valid add-officer form, changed by `fields`."""
    form = {"name": "Olive Smith", "badge": "4711", "agency": "SPD", "phone": "206.555.0141"}
    form.update(fields)
    return form


def roster(app: Flask) -> list[tuple[str, str, str, str]]:
    """Return the roster as (name, badge, agency, phone), by badge."""
    with session_scope(app) as session:
        rows = session.scalars(select(Officer).order_by(Officer.badge))
        return [(o.name, o.badge, o.agency, o.phone) for o in rows]


def upload(web: Web, text: str | bytes, filename: str = "roster.csv") -> Any:
    """Post a roster file as the import form does."""
    content = text.encode() if isinstance(text, str) else text
    return web.post(
        "/people/officers/import",
        {"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


class TestRosterList:
    """Everyone signed in reads the roster."""

    def test_coordinator_sees_name_badge_agency_phone(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        smith = add_officer(app)
        page = as_coordinator.text("/people")
        assert all(value in page for value in (smith.name, "4711", "SPD", "+12065550177"))
        assert "Add an officer" not in page
        detail = as_coordinator.text(f"/people/officers/{smith.id}")
        assert "+12065550177" in detail and 'name="badge"' not in detail


class TestAddOfficer:
    """Supervisors add officers one at a time."""

    def test_supervisor_adds_an_officer_with_e164_phone(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        answer = as_supervisor.post("/people/officers", officer())
        assert answer.status_code == 302
        assert roster(app) == [("Olive Smith", "4711", "SPD", "+12065550141")]
        assert "Added Officer Olive Smith." in as_supervisor.text("/people")

    def test_invalid_officer_is_422_with_errors_and_nothing_saved(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        answer = as_supervisor.post("/people/officers", officer(badge="47-11", agency="", phone=""))
        blank_badge = as_supervisor.post("/people/officers", officer(badge=" "))
        assert 'id="officer-badge-error">Required.</p>' in blank_badge.get_data(as_text=True)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert 'id="officer-badge-error">Use 1 to 20 digits, nothing else.</p>' in page
        assert 'id="officer-agency-error">Required.</p>' in page
        assert 'id="officer-phone-error">Required.</p>' in page
        assert roster(app) == []

    def test_duplicate_badge_is_409_next_to_badge(self, app: Flask, as_supervisor: Web) -> None:
        add_officer(app)
        answer = as_supervisor.post("/people/officers", officer(phone="206 555 0150"))
        assert answer.status_code == 409
        assert 'id="officer-badge-error">Badge 4711 is already used.' in answer.get_data(
            as_text=True
        )
        assert len(roster(app)) == 1

    def test_adding_again_an_officer_who_left_says_to_put_them_back(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        leave_roster(app, add_officer(app, "Olive Smith", "4711", "+12065550141"))
        answer = as_supervisor.post("/people/officers", officer(phone="206 555 0150"))
        assert answer.status_code == 409
        assert (
            'id="officer-badge-error">Badge 4711 is Olive Smith\'s, who left the roster: '
            "put them back on the roster, or check the badge.</p>"
        ) in answer.get_data(as_text=True).replace("&#39;", "'")
        assert roster(app) == [("Olive Smith", "4711", "SPD", "+12065550141")]

    def test_coordinator_may_not_add_officers(self, app: Flask, as_coordinator: Web) -> None:
        assert as_coordinator.post("/people/officers", officer()).status_code == 403
        assert roster(app) == []

    def test_an_officer_added_twice_by_a_phones_retry_is_added_once_without_a_badge_clash(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        drawn = hidden_fields(as_supervisor.text("/people"), "/people/officers#add-officer")
        answers = [as_supervisor.post("/people/officers", {**drawn, **officer()}) for _ in "12"]
        assert [answer.status_code for answer in answers] == [302, 302]
        assert roster(app) == [("Olive Smith", "4711", "SPD", "+12065550141")]
        page = as_supervisor.text("/people")
        assert "sent already" in page and "already used" not in page


class TestEditOfficer:
    """Supervisors correct an entry of the roster."""

    def test_supervisor_corrects_an_officer(self, app: Flask, as_supervisor: Web) -> None:
        smith = add_officer(app)
        form = officer(name="Olive Smith-Hale", badge="4711", agency="SPD", phone="+12065550177")
        assert as_supervisor.post(f"/people/officers/{smith.id}", form).status_code == 302
        assert roster(app) == [("Olive Smith-Hale", "4711", "SPD", "+12065550177")]

    def test_clash_and_bad_values_change_nothing(self, app: Flask, as_supervisor: Web) -> None:
        smith = add_officer(app)
        add_officer(app, "Pat Jones", "4714", "+12065550144")
        clash = as_supervisor.post(f"/people/officers/{smith.id}", officer(badge="4714"))
        assert clash.status_code == 409
        bad = as_supervisor.post(f"/people/officers/{smith.id}", officer(phone="x"))
        assert bad.status_code == 422 and 'id="phone-error">' in bad.get_data(as_text=True)
        assert roster(app)[0] == ("Officer Smith", "4711", "SPD", "+12065550177")

    def test_a_page_drawn_before_another_supervisor_changed_the_phone_keeps_that_change(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        smith = add_officer(app)
        page = as_supervisor.text(f"/people/officers/{smith.id}")
        drawn = dict(re.findall(r'<input type="hidden" name="(was_\w+)" value="([^"]*)"', page))
        assert drawn, "the form says what it showed"
        with session_scope(app) as session:  # another supervisor, meanwhile: a new phone
            session.get_one(Officer, smith.id).phone = "+12065550188"
        form = officer(name="Officer Smith", agency="KCSO", phone="+12065550177")
        assert (
            as_supervisor.post(f"/people/officers/{smith.id}", {**form, **drawn}).status_code == 302
        )
        # The agency corrected on the page, and the phone the other supervisor set.
        assert roster(app) == [("Officer Smith", "4711", "KCSO", "+12065550188")]

    def test_an_edit_sent_twice_by_a_phones_retry_says_sent_already_not_nothing_changed(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        smith = add_officer(app)
        page = as_supervisor.text(f"/people/officers/{smith.id}")
        form = page.split('<form method="post" class="narrow"')[1].split("</form>")[0]
        drawn = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
        sent = {**drawn, **officer(name="Olive Smith-Hale", badge="4711", phone="+12065550177")}
        for _ in "12":
            assert as_supervisor.post(f"/people/officers/{smith.id}", sent).status_code == 302
        after = as_supervisor.text("/people")
        assert "sent already" in after and "Nothing changed" not in after

    def test_coordinator_may_not_edit_and_unknown_is_404(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        smith = add_officer(app)
        assert as_coordinator.post(f"/people/officers/{smith.id}", officer()).status_code == 403
        assert as_coordinator.get("/people/officers/999").status_code == 404

    def test_supervisor_takes_an_officer_who_left_off_the_roster_and_back(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        smith = add_officer(app)
        page = as_supervisor.text(f"/people/officers/{smith.id}")
        assert f'action="/people/officers/{smith.id}/deactivate"' in page

        left = as_supervisor.post(f"/people/officers/{smith.id}/deactivate")

        assert left.status_code == 302
        assert "Officer Smith left the roster" in as_supervisor.text("/people")
        with session_scope(app) as session:
            assert session.get_one(Officer, smith.id).active is False
            audit = session.scalars(select(AuditEvent).where(AuditEvent.entity == "officer"))
            assert [(a.before or {}).get("active") for a in audit] == [True]
        page = as_supervisor.text(f"/people/officers/{smith.id}")
        assert "has left the roster" in page
        assert as_supervisor.post(f"/people/officers/{smith.id}/reactivate").status_code == 302
        with session_scope(app) as session:
            assert session.get_one(Officer, smith.id).active is True

    def test_a_phone_of_an_officer_who_left_is_given_to_a_new_officer(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        smith = add_officer(app, "Olive Smith", "4711", "+12065550141")
        leave_roster(app, smith)
        answer = as_supervisor.post("/people/officers", officer(name="Pat Jones", badge="4714"))
        assert answer.status_code == 302
        assert roster(app) == [
            ("Olive Smith", "4711", "SPD", "+12065550141"),
            ("Pat Jones", "4714", "SPD", "+12065550141"),
        ]
        # Not both on the roster with one phone: Olive comes back only with another.
        back = as_supervisor.post(f"/people/officers/{smith.id}/reactivate")
        assert back.status_code == 409
        assert (
            "Phone +12065550141 is now Pat Jones': "
            "give Olive Smith another phone before bringing them back."
        ) in back.get_data(as_text=True).replace("&#39;", "'")
        with session_scope(app) as session:
            assert session.get_one(Officer, smith.id).active is False
        jones = as_supervisor.post("/people/officers", officer(name="Kim Lee", badge="4715"))
        assert jones.status_code == 409  # an officer on the roster keeps their phone theirs
        assert len(roster(app)) == 2

    def test_coordinator_may_not_take_an_officer_off_the_roster(
        self, app: Flask, as_coordinator: Web
    ) -> None:
        smith = add_officer(app)
        assert as_coordinator.post(f"/people/officers/{smith.id}/deactivate").status_code == 403
        with session_scope(app) as session:
            assert session.get_one(Officer, smith.id).active is True


class TestImport:
    """A CSV import keeps the good rows and lists each bad one with its line."""

    def test_import_keeps_good_rows_and_reports_bad_ones(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        answer = upload(as_supervisor, ROSTER)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert "Imported 2 officers; refused 4 rows" in page
        assert "<tr><td>3</td><td>badge: use 1 to 20 digits, nothing else</td></tr>" in page
        assert "<tr><td>4</td><td>phone: not a valid phone number" in page
        assert "<tr><td>6</td><td>badge 4711 is on line 2 of this file too: check" in page
        assert "<tr><td>7</td><td>badge: use 1 to 20 digits, nothing else</td></tr>" in page
        assert roster(app) == [
            ("Olive Smith", "4711", "SPD", "+12065550141"),
            ("Pat Jones", "4714", "KCSO", "+12065550144"),
        ]
        with session_scope(app) as session:
            channels = session.scalars(
                select(AuditEvent.channel).where(AuditEvent.entity == "officer")
            ).all()
        assert channels == ["web", "web"]

    def test_an_officer_who_had_left_is_put_back_by_the_import(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        leave_roster(app, add_officer(app, "Olive Smith", "4711", "+12065550141"))
        answer = upload(as_supervisor, "name,badge,agency,phone\nOlive Smith,4711,SPD,2065550150\n")
        assert answer.status_code == 200
        assert "Imported 0 officers, put back 1 who had left" in answer.get_data(as_text=True)
        assert roster(app) == [("Olive Smith", "4711", "SPD", "+12065550150")]
        with session_scope(app) as session:
            assert session.scalars(select(Officer.active)).one() is True
            (event,) = session.scalars(
                select(AuditEvent).where(AuditEvent.entity == "officer")
            ).all()
            assert (event.action, event.channel) == ("update", "web")

    def test_an_officer_back_whose_phone_was_given_on_is_refused(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        leave_roster(app, add_officer(app, "Olive Smith", "4711", "+12065550141"))
        add_officer(app, "Pat Jones", "4714", "+12065550141")
        answer = upload(as_supervisor, "name,badge,agency,phone\nOlive Smith,4711,SPD,2065550141\n")
        page = answer.get_data(as_text=True)
        assert "<tr><td>2</td><td>phone +12065550141 is already used</td></tr>" in page
        with session_scope(app) as session:
            assert session.scalars(select(Officer.active).order_by(Officer.badge)).all() == [
                False,
                True,
            ]

    def test_an_import_sent_twice_by_a_phones_retry_imports_once_and_refuses_no_row(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        drawn = hidden_fields(as_supervisor.text("/people"), "/people/officers/import#import")
        text = b"name,badge,agency,phone\nOlive Smith,4711,SPD,2065550141\n"
        answers = [
            as_supervisor.post(
                "/people/officers/import",
                {**drawn, "file": (io.BytesIO(text), "roster.csv")},
                content_type="multipart/form-data",
            )
            for _ in "12"
        ]
        assert "Imported 1 officer" in answers[0].get_data(as_text=True)
        assert answers[1].status_code == 302
        page = as_supervisor.text("/people")
        assert "sent already" in page and "already used" not in page
        assert roster(app) == [("Olive Smith", "4711", "SPD", "+12065550141")]

    def test_a_file_with_a_byte_order_mark_imports(self, app: Flask, as_supervisor: Web) -> None:
        text = "\ufeffname,badge,agency,phone\nOlive Smith,4711,SPD,2065550141\n"
        answer = upload(as_supervisor, text.encode("utf-8"))
        assert "Imported 1 officer" in answer.get_data(as_text=True)
        assert len(roster(app)) == 1

    def test_a_file_with_mac_line_endings_imports(self, app: Flask, as_supervisor: Web) -> None:
        text = b"name,badge,agency,phone\rAna Ruiz,101,SPD,2065550101\rBo Chen,102,SPD,2065550102\r"
        answer = upload(as_supervisor, text)  # Excel for Mac's "CSV (Macintosh)"
        assert "Imported 2 officers" in answer.get_data(as_text=True)
        assert [badge for _, badge, _, _ in roster(app)] == ["101", "102"]

    def test_an_unclosed_quote_names_the_lines_it_swallowed(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        text = (
            "name,badge,agency,phone\n"
            "Ana Ruiz,101,SPD,2065550101\n"
            '"Bo Chen,102,SPD,2065550102\n'
            "Cy Diaz,103,SPD,2065550103\n"
            "Dee Eng,104,SPD,2065550104\n"
        )
        page = upload(as_supervisor, text).get_data(as_text=True)
        assert "Imported 1 officer; refused 1 row" in page
        reason = "a quote opened on line 3 is not closed: lines 3 to 5 were not imported"
        assert f"<tr><td>3</td><td>{reason}</td></tr>" in page
        assert [badge for _, badge, _, _ in roster(app)] == ["101"]

    def test_a_line_csv_cannot_read_ends_the_import_there(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        good = "name,badge,agency,phone\nAna Ruiz,101,SPD,2065550101\n"
        page = upload(as_supervisor, good + '"' + "x" * 200_000 + '",1,SPD,2\n').get_data(
            as_text=True
        )
        assert "Imported 1 officer; refused 1 row" in page
        reason = "this line cannot be read as CSV (field larger than field limit (131072)): "
        assert f"<tr><td>3</td><td>{reason}it and the lines after it were not imported" in page
        assert [badge for _, badge, _, _ in roster(app)] == ["101"]

    def test_wrong_header_is_reported_on_line_1(self, app: Flask, as_supervisor: Web) -> None:
        answer = upload(as_supervisor, "name,badge\nOlive,4711\n")
        assert answer.status_code == 422
        assert "<tr><td>1</td><td>the header lacks: agency, phone</td></tr>" in answer.get_data(
            as_text=True
        )
        assert roster(app) == []

    def test_a_header_naming_a_column_twice_is_refused_and_nothing_imported(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        answer = upload(
            as_supervisor, "name,badge,agency,phone,phone\nOlive,4711,SPD,1,2065550141\n"
        )
        assert answer.status_code == 422
        reason = "the header names phone twice: keep one phone column"
        assert f"<tr><td>1</td><td>{reason}</td></tr>" in answer.get_data(as_text=True)
        assert roster(app) == []

    def test_missing_or_binary_file_is_refused(self, app: Flask, as_supervisor: Web) -> None:
        none = as_supervisor.post("/people/officers/import", content_type="multipart/form-data")
        assert none.status_code == 422
        assert "Choose a CSV file to import." in none.get_data(as_text=True)
        binary = upload(as_supervisor, b"\xff\xfe\x00n\x00a")
        assert binary.status_code == 422 and "not UTF-8 text" in binary.get_data(as_text=True)

    def test_a_refused_file_is_announced_and_tied_to_the_file_box(self, as_supervisor: Web) -> None:
        answer = upload(as_supervisor, b"\xff\xfe\x00n\x00a")
        assert answer.status_code == 422
        page = read(answer.get_data(as_text=True))
        alerts = [" ".join(alert.split()) for alert in page.alerts]
        assert any("Nothing was imported" in alert for alert in alerts), alerts
        assert tied(page, "file", "not UTF-8 text")

    def test_coordinator_may_not_import(self, app: Flask, as_coordinator: Web) -> None:
        assert upload(as_coordinator, ROSTER).status_code == 403
        assert roster(app) == []


class TestLanguage:
    """Each officer's language is chosen on the forms; empty means the program's."""

    def language_of(self, app: Flask, badge: str) -> str:
        with session_scope(app) as session:
            return session.scalars(select(Officer.language).where(Officer.badge == badge)).one()

    def test_added_in_spanish_or_in_the_programs_language(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        page = as_supervisor.text("/people")
        assert 'id="officer-language"' in page and "The program's (English)" in page
        as_supervisor.post(
            "/people/officers", officer(badge="815", phone="+12065550181", language="es")
        )
        as_supervisor.post(
            "/people/officers", officer(badge="816", phone="+12065550182", language="")
        )
        assert (self.language_of(app, "815"), self.language_of(app, "816")) == ("es", "en")

    def test_an_edit_without_a_language_keeps_it(self, app: Flask, as_supervisor: Web) -> None:
        smith = add_officer(app)
        form = officer(badge="4711", phone="+12065550177", language="es")
        assert as_supervisor.post(f"/people/officers/{smith.id}", form).status_code == 302
        form["language"] = ""
        assert as_supervisor.post(f"/people/officers/{smith.id}", form).status_code == 302
        assert self.language_of(app, "4711") == "es"
        assert 'value="es" lang="es" selected' in as_supervisor.text(f"/people/officers/{smith.id}")

    def test_the_edit_form_offers_no_programs_language_that_would_change_nothing(
        self, app: Flask, as_supervisor: Web
    ) -> None:
        smith = add_officer(app)
        as_supervisor.post(f"/people/officers/{smith.id}", officer(badge="4711", language="es"))
        page = as_supervisor.text(f"/people/officers/{smith.id}")
        choices = re.findall(r"<option value=\"(\w*)\"", page.split('id="language"')[1])[:3]
        assert choices[:2] == ["en", "es"] and "The program's" not in page


def test_the_same_roster_imported_twice_at_once_adds_each_officer_once(
    app: Flask, supervisor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two supervisors (two workers) import one file at once: each officer is added once.

    On SQLite the second import's first write used to fail on the first's commit (503).
    """
    browsers = [Web(app.test_client()), Web(app.test_client())]
    for browser in browsers:
        browser.login(supervisor)
    read = roster_import.roster_now
    both_read = threading.Barrier(2, timeout=10)

    def read_together(session: Any) -> Any:
        roster = read(session)
        both_read.wait()  # both find the roster without these officers before either writes
        return roster

    monkeypatch.setattr(roster_import, "roster_now", read_together)
    text = (
        "name,badge,agency,phone\n"
        "Olive Smith,4711,SPD,206-555-0141\n"
        "Pat Jones,4714,KCSO,206-555-0144\n"
    )
    answers: list[int] = []

    def run(browser: Web) -> None:
        answers.append(upload(browser, text).status_code)

    threads = [threading.Thread(target=run, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # One adds both officers; the other, its batch refused, says so row by row (not a 503).
    assert sorted(answers) == [200, 422], answers
    assert [(name, badge) for name, badge, _, _ in roster(app)] == [
        ("Olive Smith", "4711"),
        ("Pat Jones", "4714"),
    ]


def test_a_later_web_language_says_an_imports_counts_and_a_persons_labels_in_its_own_words(
    app: Flask, as_supervisor: Web, bracketed_words: None
) -> None:
    # The person and officer pages labelled their boxes with English literals, and the
    # import's "officers"/"rows" were "officer"/"row" with an English "s" added.
    page = upload(as_supervisor, ROSTER).get_data(as_text=True)
    assert "[[Imported]] 2 [[officers]][[; refused]] 4 [[rows]]</h3>" in page
    smith = roster_ids(app)[0]
    officer_page = as_supervisor.text(f"/people/officers/{smith}")
    for label in ("Name", "Agency", "Phone"):
        assert f">[[{label}]]</label>" in officer_page, label
    user = as_supervisor.user
    assert user is not None
    person_page = as_supervisor.text(f"/people/users/{user.id}")
    for label in ("Name", "Email", "Phone"):
        assert f">[[{label}]]</label>" in person_page, label


def roster_ids(app: Flask) -> list[int]:
    with session_scope(app) as session:
        return list(session.scalars(select(Officer.id).order_by(Officer.id)))
