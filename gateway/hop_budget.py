"""A time budget shared by many short tasks: one timer for all of them instead of one per task.

`asyncio.timeout` arms a loop timer per use and cancels it on exit (~29k instructions a USSD hop even
under uvloop). Every hop has the same budget, so deadlines come in the order hops start: one timer,
armed for the oldest hop's deadline, cancels whichever hops are past theirs when it fires and is armed
again for the next oldest. A hop then costs a clock read and a dict entry. The care is
asyncio.timeout's own: a cancellation from elsewhere is not taken for the budget, the task's cancel
count is restored (`uncancel`), and only the CancelledError the budget caused becomes TimeoutError.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class HopBudget:
    """Seconds each task inside `within()` may take; past them it is cancelled and sees TimeoutError."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._running: dict[asyncio.Task[object], _Within] = {}  # insertion order is deadline order
        self._timer: asyncio.TimerHandle | None = None

    def within(self) -> _Within:
        """A context manager holding the current task to the budget. Not an async one: entering
        and leaving await nothing, and `async with` would make two coroutines a hop."""
        return _Within(self)

    def _enter(self, within: _Within) -> None:
        loop = asyncio.get_running_loop()
        within.deadline = loop.time() + self.seconds
        self._running[within.task] = within
        if self._timer is None:
            self._timer = loop.call_at(within.deadline, self._expire, loop)

    def _leave(self, within: _Within) -> None:
        if self._running.get(within.task) is within:
            del self._running[within.task]

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """Cancel every task past its deadline, then wait for the oldest one left (if any)."""
        self._timer = None
        now = loop.time()
        running = self._running
        while running:
            task, within = next(iter(running.items()))
            if within.deadline > now:
                self._timer = loop.call_at(within.deadline, self._expire, loop)
                return
            del running[task]
            within.expired = True
            task.cancel()


class _Within:
    """One task's stay inside the budget (what `asyncio.timeout`'s Timeout is for one use)."""

    __slots__ = ("budget", "task", "deadline", "expired", "cancelling")

    def __init__(self, budget: HopBudget) -> None:
        self.budget = budget
        self.deadline = 0.0
        self.expired = False

    def __enter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("HopBudget.within() must be used inside a task")
        self.task = task
        self.cancelling = task.cancelling()  # cancellations already asked for are not the budget's
        self.budget._enter(self)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self.expired:
            self.budget._leave(self)
            return
        # The budget cancelled this task: take back its request; only if no other is pending is the
        # CancelledError the budget's (as asyncio.timeout decides).
        if self.task.uncancel() <= self.cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc
