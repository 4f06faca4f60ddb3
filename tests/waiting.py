"""Waiting for what happens in the background (the dispatcher, a bot's retry) without fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def eventually(check: Callable[[], Any], timeout: float = 3.0) -> Any:
    """Poll until `check()` (a value or an awaitable) is truthy and return it; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
