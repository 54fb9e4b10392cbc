"""Two web hosts on one PostgreSQL: a rotation edited through one routes the next call on the other.

Each host keeps the on-call program in memory per worker (services/program_cache);
every change bumps a revision in the database, read on every webhook, so the
bound is the next request. Here the hosts are two processes of their own
(`python -c`, each serving create_app over HTTP on loopback), as two machines'
gunicorns would be, sharing nothing but the database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from hotline.simulator.transport import sign
from tests.api.conftest import token_for
from tests.conftest import is_sqlite
from tests.factories import add_officer, add_rotation, add_user

PUBLIC_URL = "https://hotline.example.org"
TOKEN = "two-hosts-token"
SERVE = (
    "import sys; from werkzeug.serving import run_simple; from hotline import create_app; "
    "run_simple('127.0.0.1', int(sys.argv[1]), create_app(), threaded=True)"
)
DEADLINE_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def hosts(app: Flask, app_config: dict[str, Any]) -> Iterator[list[str]]:
    """Start two app processes on the test's PostgreSQL database; yield their base URLs."""
    if is_sqlite(app_config["DATABASE_URL"]):
        pytest.skip("two hosts share one PostgreSQL (set HOTLINE_TEST_DATABASE_URL)")
    env = {
        **os.environ,
        "HOTLINE_ENV": "production",
        "DATABASE_URL": app_config["DATABASE_URL"],
        "SECRET_KEY": "s" * 40,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "HOTLINE_TRANSPORT": "log",
    }
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        command = [sys.executable, "-c", SERVE, str(port)]
        processes.append(
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_until_up(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            if process.stderr:
                process.stderr.close()


def wait_until_up(url: str) -> None:
    """Poll /healthz until the host answers (any status), within the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)  # not listening yet: poll again
    raise AssertionError(f"{url} did not start within {DEADLINE_S} s")


def call_dials(base: str, call_sid: str, caller: str) -> str:
    """Post a signed /voice/incoming to one host; return the number its TwiML dials."""
    params = {"CallSid": call_sid, "From": caller, "To": "+12065550100", "AccountSid": "AC1"}
    headers = {"X-Twilio-Signature": sign(TOKEN, PUBLIC_URL + "/voice/incoming", params)}
    request = urllib.request.Request(
        base + "/voice/incoming", urllib.parse.urlencode(params).encode(), headers
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        document = ET.fromstring(answer.read())
    number = document.find("./Dial/Number")
    assert number is not None and number.text, ET.tostring(document)
    return number.text


def put_rotation(base: str, token: str, rotation_id: int, body: str) -> int:
    """PUT a rotation through one host's API; return the status."""
    request = urllib.request.Request(
        f"{base}/api/v1/rotations/{rotation_id}",
        body.encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def test_an_edit_on_one_host_routes_the_next_call_on_the_other(
    app: Flask, hosts: list[str]
) -> None:
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    sam = add_user(app, "Sam Reyes", "supervisor")
    officer = add_officer(app, "Officer Smith")
    rotation = add_rotation(app, 1, ana)
    first, second = hosts
    assert call_dials(second, "CA" + "1" * 32, officer.phone) == ana.phone  # B keeps Ana
    body = (
        '{"name": "Tier 1", "tier": 1, "timezone": "America/Los_Angeles", '
        f'"start": "2020-01-06T08:00", "shift_hours": 8760, "participants": [{ben.id}]}}'
    )
    assert put_rotation(first, token_for(app, sam.id), rotation.id, body) == 200  # through A
    # The very next call on B dials Ben: the revision read on every webhook moved.
    assert call_dials(second, "CA" + "2" * 32, officer.phone) == ben.phone
