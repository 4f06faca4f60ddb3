"""The USSD hop budget (gateway.hop_budget): one timer for every hop, with asyncio.timeout's care."""

from __future__ import annotations

import asyncio

import pytest

from gateway.hop_budget import HopBudget

BUDGET = 0.05


async def _stuck(budget: HopBudget, entered: asyncio.Event | None = None) -> str:
    """A hop that never finishes by itself: it waits on an event nobody sets."""
    with budget.within():
        if entered is not None:
            entered.set()
        await asyncio.Event().wait()
    return "page"


async def _quick(budget: HopBudget) -> str:
    with budget.within():
        await asyncio.sleep(0)
    return "page"


async def test_a_hop_past_its_budget_sees_timeout_and_its_cancel_count_is_restored() -> None:
    budget = HopBudget(BUDGET)

    async def hop() -> tuple[str, int]:
        try:
            await _stuck(budget)
        except TimeoutError:
            return "sorry", asyncio.current_task().cancelling()  # type: ignore[union-attr]
        return "page", -1

    assert await hop() == ("sorry", 0)


async def test_hops_in_time_are_answered_and_left_alone_afterwards() -> None:
    budget = HopBudget(BUDGET)
    assert [await _quick(budget) for _ in range(3)] == ["page"] * 3
    # Past the first hop's deadline the timer fires over no hop: nothing left to cancel.
    after = asyncio.Event()
    asyncio.get_running_loop().call_later(BUDGET * 2, after.set)
    await after.wait()
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_many_hops_each_cut_at_its_own_deadline_the_quick_ones_answered() -> None:
    budget = HopBudget(BUDGET)
    stuck = [asyncio.create_task(_stuck(budget)) for _ in range(3)]
    quick = [asyncio.create_task(_quick(budget)) for _ in range(3)]
    results = await asyncio.gather(*stuck, *quick, return_exceptions=True)
    assert [type(r) for r in results[:3]] == [TimeoutError] * 3
    assert results[3:] == ["page"] * 3
    # The budget starts again from an idle state: a later stuck hop is cut too.
    with pytest.raises(TimeoutError):
        await _stuck(budget)


async def test_a_cancellation_from_elsewhere_is_not_taken_for_the_budget() -> None:
    budget = HopBudget(60.0)
    entered = asyncio.Event()
    task = asyncio.create_task(_stuck(budget, entered))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not budget._running  # left the budget: its timer holds no finished hop


async def test_a_cancellation_pending_when_the_budget_runs_out_stays_a_cancellation() -> None:
    budget = HopBudget(BUDGET)
    entered = asyncio.Event()
    caught: list[BaseException] = []

    async def hop() -> None:
        try:
            with budget.within():
                entered.set()
                try:
                    await asyncio.Event().wait()
                except asyncio.CancelledError:  # the budget's; hold on until the shutdown's comes too
                    asyncio.current_task().cancel()  # type: ignore[union-attr]
                    raise
        except BaseException as exc:
            caught.append(exc)
            raise

    task = asyncio.create_task(hop())
    await entered.wait()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [type(e) for e in caught] == [asyncio.CancelledError]
