"""Group commit: small writes made at the same time share one transaction, and so one commit.

Under load most of a store's time goes to committing (SQLite: one fsync per commit with
`synchronous = FULL`, and one writer at a time), not to the statements. Texts arriving together
each queue a reply, the outbox records together what a batch of sends did: each such write is
handed here and waits for the transaction that carries it to commit, so its caller still learns
only then that the write is durable (a text is acknowledged after its reply is safely queued, as
before). One transaction runs at a time; whatever arrives meanwhile waits for the next, which
takes all of it. When a shared transaction fails, each of its writes is run again alone, so a
write fails only for a reason of its own (and the others' effects were rolled back with it).

A write must touch the store only through the transaction it is given: it may run twice (alone
after a failed group) and must not wait on anything else while the transaction is open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from gateway.store.base import Database, Transaction

T = TypeVar("T")
Write = Callable[["Transaction"], Awaitable[Any]]

MAX_GROUP = 500
"""Writes in one transaction at most: a huge group would hold the store's write lock long."""


class GroupCommit:
    """Runs writes handed to it in shared transactions, one transaction at a time."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[tuple[Write, asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def run(self, write: Callable[[Transaction], Awaitable[T]]) -> T:
        """`write`'s result once the transaction that ran it has committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)
        self._waiting.append((write, future))
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._commit_all())
        # A caller that stops waiting cancels only its future: its write stays queued or in the
        # transaction under way (a cancelled future is skipped when results are handed out), so no
        # asyncio.shield, whose extra future and callbacks were 5% of an outbox message's work.
        return await future

    async def _commit_all(self) -> None:
        while self._waiting:
            group: list[tuple[Write, asyncio.Future[Any]]] = []
            try:
                async with self.db.transaction() as tx:
                    # taken once the transaction holds the write lock: what came while it waited joins
                    group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                    results = [await write(tx) for write, _ in group]
            except asyncio.CancelledError:  # the loop is shutting down: nobody waits on in vain
                for _, future in group + self._waiting:
                    future.cancel()
                self._waiting = []
                raise
            except Exception:  # noqa: BLE001 - each write is tried alone below and its own error goes to its caller
                if not group:  # the transaction did not even begin: the store is down for everyone waiting
                    group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
                await self._one_by_one(group)
                continue
            for (_, future), result in zip(group, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _one_by_one(self, group: list[tuple[Write, asyncio.Future[Any]]]) -> None:
        for write, future in group:
            try:
                async with self.db.transaction() as tx:
                    result = await write(tx)
            except Exception as error:  # noqa: BLE001 - handed to the write's caller
                if not future.done():
                    future.set_exception(error)
            else:
                if not future.done():
                    future.set_result(result)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark a write's failure as seen: its caller may have stopped waiting (a stopping dispatcher),
    and asyncio would otherwise log the error as never retrieved; the caller that waits still gets it."""
    if not future.cancelled():
        future.exception()
