"""Under gunicorn as the Procfile runs it: calls during a stuck database all answer in time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hotline.simulator import sign
from tests.faults.stuck import silent_server, unused_loopback_port

REPOSITORY = Path(__file__).resolve().parents[2]
PUBLIC_URL = "https://hotline.example.org"
TOKEN = "gunicorn-test-token"
FALLBACK = "+12065550199"
SPEC_DEADLINE_S = 3.0


def post(base: str, path: str, params: dict[str, str]) -> tuple[int, bytes, float]:
    """Post a webhook signed for the public URL; return status, body and seconds taken."""
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(
        base + path,
        data=body,
        headers={"X-Twilio-Signature": sign(TOKEN, PUBLIC_URL + path, params)},
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read(), time.monotonic() - started


def wait_until_serving(base: str, server: subprocess.Popen[bytes], limit_s: float = 30) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            urllib.request.urlopen(base + "/login", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # any answer at all: the app is serving
        except OSError:
            time.sleep(0.05)
    pytest.fail("gunicorn did not start")


@pytest.mark.slow
def test_three_calls_and_the_fallback_url_all_answer_within_3_s(tmp_path: Path) -> None:
    with silent_server() as database_port:
        port = unused_loopback_port()
        environment = {
            **os.environ,
            "HOTLINE_ENV": "production",
            "SECRET_KEY": "k" * 40,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "HOTLINE_PUBLIC_URL": PUBLIC_URL,
            "HOTLINE_FALLBACK_NUMBERS": FALLBACK,
            "DATABASE_URL": f"postgresql+psycopg://hotline@127.0.0.1:{database_port}/hotline",
            "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",
        }
        environment.pop("WEB_CONCURRENCY", None)
        # The Procfile's command, from the repository root: gunicorn reads gunicorn.conf.py there.
        with (tmp_path / "gunicorn.log").open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "hotline:create_app()"],
                cwd=REPOSITORY,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base, server)
            requests = [
                ("/voice/incoming", {"CallSid": f"CA{n}", "From": "+12065550177", "To": "+1"})
                for n in range(3)
            ] + [("/voice/fallback", {"CallSid": "CA9", "From": "+12065550177", "To": "+1"})]
            with ThreadPoolExecutor(len(requests)) as pool:
                answers = list(pool.map(lambda r: post(base, *r), requests))
        finally:
            server.terminate()
            server.wait(timeout=30)
    for status, body, took in answers:
        assert status == 200 and took < SPEC_DEADLINE_S
        numbers = [(n.text or "").strip() for n in ET.fromstring(body).iter("Number")]
        assert numbers == [FALLBACK]
