"""Background loops stop even when something inside swallows the cancellation."""

from __future__ import annotations

import asyncio

from gateway.background import cancel_and_wait


async def test_a_loop_that_swallows_a_cancellation_is_still_stopped() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:  # as redis-py was seen to do mid-read
                if swallowed:
                    raise
                swallowed += 1

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0.02)
    await asyncio.wait_for(cancel_and_wait(task), timeout=3)
    assert task.cancelled() and swallowed == 1


async def test_a_loop_that_already_died_of_an_error_is_waited_for_quietly() -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(broken())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert isinstance(task.exception(), RuntimeError)
