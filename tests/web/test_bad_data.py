"""The web refuses dates outside 1900–2200 and works around broken stored rows (SPEC §2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from hotline.db import session_scope
from hotline.models import Override, Rotation, User
from hotline.services.program_cache import bump_revision
from tests.factories import add_rotation
from tests.web.conftest import Web
from tests.web.test_overrides import override_form, saved
from tests.web.test_rotations import rotation_form


def rotation_count(app: Flask) -> int:
    with session_scope(app) as session:
        return len(session.query(Rotation).all())


class TestFormsRefuseFarDates:
    """The rotation editor, its preview and the override form answer 422 with the field's error."""

    @pytest.mark.parametrize("action", ["save", "preview"])
    @pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
    def test_rotation_start(
        self, app: Flask, as_supervisor: Web, ana: User, action: str, day: str
    ) -> None:
        form = rotation_form(ana, start_date=day, start_time="23:00", action=action)
        answer = as_supervisor.post("/rotations/new", data=form)
        assert answer.status_code == 422
        assert "between the years 1900 and 2200" in answer.get_data(as_text=True)
        assert rotation_count(app) == 0

    @pytest.mark.parametrize("action", ["save", "preview"])
    def test_override_start_and_end(
        self, app: Flask, as_supervisor: Web, ben: User, action: str
    ) -> None:
        for start, end in (
            ("9999-12-31T22:00", "9999-12-31T23:00"),
            ("0001-01-01T00:00", "2030-01-01T00:00"),
        ):
            form = override_form(ben, start, end, action=action)
            answer = as_supervisor.post("/overrides", data=form)
            assert answer.status_code == 422
            assert "Enter a date between the years 1900 and 2200." in answer.get_data(as_text=True)
        assert saved(app) == []


class TestStoredBrokenRowsStayLocal:
    """Every page still answers; the good rotation is on call; supervisors see what is broken."""

    @pytest.fixture(autouse=True)
    def broken(self, app: Flask, ana: User, ben: User) -> None:
        add_rotation(app, 1, ana)
        add_rotation(app, 1, ben, start=datetime(9999, 12, 31, 23), shift_hours=1)
        now = datetime.now(UTC)
        with session_scope(app) as session:
            session.add(
                Override(
                    user_id=ben.id,
                    tier=1,
                    start=datetime(1, 1, 1, tzinfo=UTC),
                    end=now + timedelta(days=3),
                    created_at=now,
                )
            )
            bump_revision(session)

    @pytest.mark.parametrize("path", ["/", "/schedule", "/schedule?days=28", "/overrides"])
    def test_pages_show_the_good_rotation(self, as_supervisor: Web, path: str) -> None:
        page = as_supervisor.text(path)
        assert "Ana Diaz" in page

    def test_dashboard_puts_the_good_rotation_on_call(self, as_supervisor: Web) -> None:
        page = as_supervisor.text("/")
        assert "Ana Diaz" in page and "Ben Okafor (override)" not in page

    def test_the_dashboard_tells_supervisors_what_is_left_out(
        self, as_supervisor: Web, as_coordinator: Web
    ) -> None:
        page = as_supervisor.text("/")
        assert "rotation “Tier 1”</a> is left out of on-call: start 9999-12-31T23:00" in page
        assert 'href="/rotations/2"' in page
        assert "override 1</a> is left out of on-call: start 0001-01-01T00:00" in page
        assert "is left out of on-call" not in as_coordinator.text("/")  # theirs to mend, not mine

    def test_rotations_and_overrides_are_marked_broken(self, as_supervisor: Web) -> None:
        listing = as_supervisor.text("/rotations")
        assert listing.count("broken: start 9999-12-31T23:00 is outside the years") == 1
        assert "9999-12-31 23:00" in listing
        page = as_supervisor.text("/rotations/2")
        assert 'id="broken"' in page and "broken: start 9999-12-31T23:00" in page
        assert 'id="broken"' not in as_supervisor.text("/rotations/1")
        overrides = as_supervisor.text("/overrides")
        assert "broken: start 0001-01-01T00:00 is outside the years" in overrides


SPOILED = {
    "year 1": {"start_local": datetime(1, 1, 1)},
    "unknown zone": {"timezone": "Mars/Olympus"},
    "no shift": {"shift_hours": 0},
    "odd window": {"windows": [{"days": ["mon"]}, "x"]},
}


@pytest.mark.parametrize("spoil", list(SPOILED))
def test_every_kind_of_broken_rotation_can_be_seen_and_mended(
    app: Flask, as_supervisor: Web, as_coordinator: Web, ana: User, spoil: str
) -> None:
    add_rotation(app, 1, ana)
    with session_scope(app) as session:
        row = session.get_one(Rotation, 1)
        for name, value in SPOILED[spoil].items():
            setattr(row, name, value)
        bump_revision(session)
    assert "broken: " in as_supervisor.text("/rotations")
    assert "broken: " in as_coordinator.text("/rotations/1")
    assert 'id="broken"' in as_supervisor.text("/rotations/1")
    dashboard = as_supervisor.text("/")
    on_call_now = dashboard[dashboard.index('id="oncall-heading"') : dashboard.index("Next 7 days")]
    assert "Ana Diaz" not in on_call_now and "No rotation yet" in on_call_now
    mended = as_supervisor.post("/rotations/1", data=rotation_form(ana))
    assert mended.status_code == 302
    assert "broken: " not in as_supervisor.text("/rotations")
    dashboard = as_supervisor.text("/")
    assert "Ana Diaz" in dashboard[dashboard.index('id="oncall-heading"') :]
