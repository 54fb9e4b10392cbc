"""Races built on purpose: a second request started at the critical point of the first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from hotline.db import session_scope
from hotline.models import User
from hotline.services import referral_actions
from tests.conftest import is_sqlite

# How long the first request lets the second run before going on. The second either
# finishes well within it or waits on a row the first holds: then the first goes on.
HOLD_S = 0.5


class Meanwhile:
    """Run `action` once, in another thread, when the first request reaches a function."""

    def __init__(self, action: Callable[[], None], hold: float | None = HOLD_S) -> None:
        # hold=None: the second request ends before the first goes on (it commits first).
        self.action, self.hold = action, hold
        self.thread: threading.Thread | None = None

    def at(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        """Start `action` when `owner.name` is first called, before it runs."""
        real = getattr(owner, name)

        def hooked(*args: Any, **kwargs: Any) -> Any:
            if self.thread is None:
                self.thread = threading.Thread(target=self.action)
                self.thread.start()
                self.thread.join(timeout=self.hold)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, hooked)

    def join(self) -> None:
        """Wait for the second request to end; fail if the first never reached the point."""
        assert self.thread is not None, "the first request never reached the hooked function"
        self.thread.join()


def race_needs_postgresql(app_config: dict[str, Any], sides: str) -> None:
    """Skip a race on SQLite, which takes the writes of `sides` ("both webhooks") in turn."""
    if is_sqlite(app_config["DATABASE_URL"]):
        pytest.skip(f"SQLite takes {sides}' writes in turn: the race needs PostgreSQL")


def take_on_the_web(app: Flask, referral_id: int, user_id: int, told: list[object]) -> Meanwhile:
    """Return a "Take it" on the dashboard by `user_id`, what they are told kept in `told`."""

    def take() -> None:
        with session_scope(app) as session:
            user = session.get_one(User, user_id)
            now = datetime.now(UTC)
            told.append(referral_actions.acknowledge(session, referral_id, user, now, "web", None))

    return Meanwhile(take)


def at_once(*actions: Callable[[], Any]) -> list[Any]:
    """Run each action in a thread of its own, all started together; return their results.

    Each thread is another worker: its own app context and database connection. An
    action's exception is raised here, not lost in its thread.
    """
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)
    failures: list[BaseException] = []

    def side(index: int) -> None:
        barrier.wait()
        try:
            results[index] = actions[index]()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=side, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results
