"""Polling a condition with a deadline (the agents, servers and indexers under test run on their
own threads and processes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout_s: float = 60.0, every_s: float = 0.2,
             what: str = "condition") -> T:
    """``condition()``'s first truthy value, polled every ``every_s``; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
