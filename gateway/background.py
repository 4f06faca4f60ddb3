"""Stopping background loops reliably."""

from __future__ import annotations

import asyncio

RECANCEL_EVERY = 1.0
"""Seconds to wait for a cancelled task before cancelling it again."""


async def cancel_and_wait(task: asyncio.Task[None]) -> None:
    """Cancel `task` and return once it has ended, whatever it raised.

    A library can swallow a cancellation that lands at an awkward moment (redis-py was seen to,
    during a blocking read), leaving the loop running and a shutdown waiting forever; so the task is
    cancelled again until it ends."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_EVERY)
    if not task.cancelled():
        task.exception()  # retrieved: a loop that died of an error was logged where it died
