"""Commands that concurrent hops send to Redis go together, as one pipeline per exchange.

Measured on redis-py's asyncio client, a command sent on its own costs ~150 µs of worker CPU (a
connection taken from the pool and given back, the command packed, the socket written and read,
each through several layers), while Redis itself spends a few µs on it; a pipeline of 200 commands
from 100 hops costs about a quarter of that per command. So each hop still makes one round trip to
read and one to write, but shares it with the other hops in flight: the busier the worker, the
fuller each pipeline (automatic pipelining, as in node-redis, Lettuce or coredis, which redis-py
lacks).

A pipeline here is not a transaction: another client's command may come between two of a caller's.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ResponseError

IN_FLIGHT = 1
"""Exchanges under way at once; what callers ask meanwhile waits for the next, so the busier the
worker the fuller each exchange (each costs a write and a read, whatever it carries). All exchanges
go over one kept connection (`Pipelining._exchange`): more than one at once would need one each."""

Command = tuple[Any, ...]
"""A Redis command and its arguments, as `execute_command` takes them: ("GET", key)."""


class Pipelining:
    """Queues each caller's commands and sends everything queued in one pipeline at the next turn of
    the loop, or when the exchange under way ends; each caller gets its own replies, or the error
    that any of them (or the exchange) met."""

    def __init__(self, client: Redis, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        """Seconds one exchange may take, connecting included."""
        self._queued: list[tuple[Sequence[Command], asyncio.Future[list[Any]]]] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._connection: AbstractConnection | None = None

    async def run(self, *commands: Command) -> list[Any]:
        """The replies to `commands`, in order; they reach Redis back to back in one round trip."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        if not self._queued and len(self._sending) < IN_FLIGHT:
            loop.call_soon(self._flush)  # else the exchange that ends next sends it
        self._queued.append((commands, future))
        return await future

    def _flush(self) -> None:
        if not self._queued or len(self._sending) >= IN_FLIGHT:
            return
        queued, self._queued = self._queued, []
        task = asyncio.ensure_future(self._send(queued))
        self._sending.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        self._flush()  # what was asked meanwhile

    async def _send(self, queued: list[tuple[Sequence[Command], asyncio.Future[list[Any]]]]) -> None:
        waiting = [(commands, future) for commands, future in queued if not future.done()]  # done: its caller gave up
        if not waiting:
            return
        try:
            async with asyncio.timeout(self.timeout):
                replies = await self._exchange([command for commands, _ in waiting for command in commands])
        except Exception as exc:  # the connection failed or timed out: every caller in the pipeline meets it
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for commands, future in waiting:
            mine = replies[start:start + len(commands)]
            start += len(commands)
            if future.done():
                continue
            error = next((reply for reply in mine if isinstance(reply, Exception)), None)
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(mine)

    async def _exchange(self, commands: list[Command]) -> list[Any]:
        """Write every command at once, then read each reply (an error reply in its place) on the
        exchanges' own connection. Lower than redis-py's Pipeline, whose per-command layers (a timeout
        per reply, response callbacks, observability hooks) cost more than the round trip: the whole
        exchange is bounded by one timeout instead, and replies come as Redis sent them. One exchange
        is under way at a time (IN_FLIGHT), so one connection, taken from the pool once and kept: the
        pool's per-checkout work (its lock, a health read on the socket, observability counters and
        events, in and out) cost more than the exchange itself, and the health read is not needed,
        since an exchange reads every reply or disconnects."""
        connection = self._connection
        if connection is None:
            connection = self._connection = await self.client.connection_pool.get_connection()
        try:
            await connection.connect()  # connected again after a failure (to a new master, with Sentinel)
            await connection.send_packed_command(connection.pack_commands(commands))
            replies: list[Any] = []
            for _ in commands:
                try:
                    replies.append(await connection.read_response(timeout=math.inf))
                except ResponseError as error:
                    replies.append(error)
            return replies
        except BaseException:
            await connection.disconnect()  # cut off mid-exchange: its unread replies must not meet the next exchange
            raise

    async def close(self) -> None:
        """Let the pipelines in flight end (their callers are owed an answer), then give the
        exchanges' connection back to the pool, which the client's close disconnects."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        connection, self._connection = self._connection, None
        if connection is not None:
            await self.client.connection_pool.release(connection)
