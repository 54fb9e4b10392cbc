"""Races built on purpose: a second request started at the critical point of the first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

# How long the first request lets the second run before going on. The second either
# finishes well within it or waits on a row the first holds: then the first goes on.
HOLD_S = 0.5


class Meanwhile:
    """Run `action` once, in another thread, when the first request reaches a function."""

    def __init__(self, action: Callable[[], None]) -> None:
        self.action = action
        self.thread: threading.Thread | None = None

    def at(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        """Start `action` when `owner.name` is first called, before it runs."""
        real = getattr(owner, name)

        def hooked(*args: Any, **kwargs: Any) -> Any:
            if self.thread is None:
                self.thread = threading.Thread(target=self.action)
                self.thread.start()
                self.thread.join(timeout=HOLD_S)
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, hooked)

    def join(self) -> None:
        """Wait for the second request to end; fail if the first never reached the point."""
        assert self.thread is not None, "the first request never reached the hooked function"
        self.thread.join()
