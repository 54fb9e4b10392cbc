"""Query strings as clients write them: offsets with a bare '+', empty values (SPEC §8)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import Api

AT = datetime(2026, 1, 1, 12, tzinfo=UTC).isoformat()  # 2026-01-01T12:00:00+00:00


@pytest.mark.parametrize(
    "path",
    [
        f"/oncall?at={AT}",
        f"/referrals?since={AT}",
        f"/calls?since={AT}",
        f"/messages?since={AT}",
        f"/schedule?start={AT}&end=2026-01-03T00:00:00-08:00",
    ],
)
def test_an_instant_with_an_unescaped_plus_offset_is_read_as_written(
    supervisor_api: Api, path: str
) -> None:
    # A '+' left unescaped in a URL arrives as a space; an offset is what it can only mean.
    answer = supervisor_api.get(path)
    assert answer.status_code == 200, answer.json


def test_the_plus_offset_is_the_instant_written_not_another(supervisor_api: Api) -> None:
    answer = supervisor_api.get("/oncall?at=2026-01-01T12:00:00+05:30")
    read = datetime.fromisoformat(answer.json["at"].replace("Z", "+00:00"))
    assert read == datetime(2026, 1, 1, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "path",
    [
        "/referrals?status=&since=",
        "/oncall?at=",
        "/schedule?start=&end=&tier=",
        "/messages?phone=&since=&after_id=",
        "/calls?since=",
    ],
)
def test_an_empty_query_value_means_not_given(supervisor_api: Api, path: str) -> None:
    answer = supervisor_api.get(path)
    assert answer.status_code == 200, answer.json


def test_no_token_is_401_whatever_the_id_in_the_path(client: FlaskClient) -> None:
    assert client.get("/api/v1/users/99999999999").status_code == 401
    assert client.get("/api/v1/users/1").status_code == 401


@pytest.mark.parametrize("written", ["20261210", "1765324800", "-1", "1765324800.5"])
@pytest.mark.parametrize(
    ("path", "field"),
    [("/oncall?at=", "at"), ("/referrals?since=", "since"), ("/schedule?start=", "start")],
)
def test_a_number_is_no_instant_and_is_refused_not_read_as_seconds_since_1970(
    supervisor_api: Api, path: str, field: str, written: str
) -> None:
    # "20261210" (a date without its dashes) was read as seconds: 1970-08-23, answered 200.
    answer = supervisor_api.get(path + written)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == field


@pytest.mark.parametrize("written", ["1.0", "1.5", "1_0", "1e0"])
@pytest.mark.parametrize(
    ("path", "field"),
    [("/messages?after_id=", "after_id"), ("/schedule?tier=", "tier"), ("feed?user=", "user")],
)
def test_a_whole_number_in_the_query_is_written_with_digits_alone(
    supervisor_api: Api, path: str, field: str, written: str
) -> None:
    # `after_id=1.0` was read as 1 and `1_0` as 10: a client's float or typo paged from
    # another message than it meant, without a word. Such a value is now a bad query.
    if path.startswith("feed"):
        feed = supervisor_api.get("/calendar").json["url"].split("/api/v1", 1)[1]
        path = path.replace("feed", feed, 1)
    answer = supervisor_api.get(path + written)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == "bad_query"
    assert answer.json["error"]["field"] == field
    assert supervisor_api.get(path + "1").status_code == 200


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/users?role=supervisor", "role"),
        ("/officers?badge=4711", "badge"),
        ("/rotations?tier=2", "tier"),
        ("/overrides?user_id=1", "user_id"),
        ("/providers?need=housing", "need"),
    ],
)
def test_a_filter_a_list_does_not_take_is_400_not_the_whole_list(
    supervisor_api: Api, path: str, field: str
) -> None:
    # `/users?role=supervisor` answered every user, as if filtered: a script read it so.
    answer = supervisor_api.get(path)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == "bad_query"
    assert answer.json["error"]["field"] == field


def test_a_write_with_a_query_parameter_it_does_not_take_changes_nothing(
    supervisor_api: Api,
) -> None:
    body = {"name": "Ana Diaz", "email": "ana@example.org", "phone": "2065550142"}
    answer = supervisor_api.post("/users?dry_run=1", json=body | {"role": "coordinator"})
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "dry_run"
    emails = [user["email"] for user in supervisor_api.get("/users").json["items"]]
    assert "ana@example.org" not in emails


def test_a_query_parameter_given_twice_is_400_not_its_first_value(supervisor_api: Api) -> None:
    # `?status=received&status=notified` answered the received ones only, as if both.
    answer = supervisor_api.get("/referrals?status=received&status=notified")
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == "bad_query"
    assert answer.json["error"]["field"] == "status"
    assert supervisor_api.get("/referrals?status=received&status=").status_code == 200
