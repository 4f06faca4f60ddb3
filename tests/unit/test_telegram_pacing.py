"""Outbound pacing on a fake clock: one message a second per chat, `per_second` overall, 429 holds."""

from __future__ import annotations

import asyncio

from gateway.state import MemoryState
from gateway.state.throttle import Throttle
from gateway.telegram.pacing import Pacer


class Clock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def pacer_on(clock: Clock) -> Pacer:
    """Bot `main` paced on the in-process store, in fake time."""
    return Pacer(Throttle(MemoryState(clock), sleep=clock.sleep), "main", 1.0, 25)


async def sent_at(pacer: Pacer, clock: Clock, chats: list[int | None]) -> list[float]:
    times = []
    for chat in chats:
        await pacer.wait(chat)
        times.append(round(clock.now, 3))
    return times


async def test_one_chat_gets_one_message_a_second() -> None:
    clock = Clock()
    pacer = pacer_on(clock)
    assert await sent_at(pacer, clock, [7, 7, 7]) == [0.0, 1.0, 2.0]


async def test_many_chats_share_25_a_second() -> None:
    clock = Clock()
    pacer = pacer_on(clock)
    times = await sent_at(pacer, clock, list(range(50)))
    assert times[0] == 0.0 and times[25] == 1.0 and times[-1] == 1.96


async def test_concurrent_senders_queue_in_order() -> None:
    clock = Clock()
    pacer = pacer_on(clock)
    order: list[int] = []

    async def send(n: int) -> None:
        await pacer.wait(1)
        order.append(n)

    await asyncio.gather(*(send(n) for n in range(4)))
    assert order == [0, 1, 2, 3] and clock.now >= 3.0


async def test_a_429_holds_every_chat() -> None:
    clock = Clock()
    pacer = pacer_on(clock)
    await pacer.wait(1)
    await pacer.hold(5)
    await pacer.wait(2)
    assert clock.now == 5.0
