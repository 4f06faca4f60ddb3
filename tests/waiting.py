"""Waiting for what happens in the background (the dispatcher, a bot's retry, a server starting)
without fixed sleeps: poll a condition until it holds, fail naming what never happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

Why = str | Callable[[], str]
"""What was awaited, for the failure message; a callable is asked only on failure (it may show state)."""


def _give_up(what: Why, timeout: float) -> AssertionError:
    return AssertionError(f"{what() if callable(what) else what}: not within {timeout} s")


async def eventually(check: Callable[[], Any], timeout: float = 5.0, what: Why = "condition not met", interval: float = 0.01) -> Any:
    """Poll until `check()` (a value or an awaitable) is truthy and return it; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise _give_up(what, timeout)
        await asyncio.sleep(interval)


def eventually_blocking(check: Callable[[], Any], timeout: float = 5.0, what: Why = "condition not met", interval: float = 0.01) -> Any:
    """`eventually` for code outside an event loop (a subprocess starting): same contract, blocking sleeps."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise _give_up(what, timeout)
        time.sleep(interval)
    return result
