"""Shared state in Redis, so several gateway processes (on one machine or many) see the same
sessions, duplicate ids, rate limits and send slots. Same behaviour as MemoryState; values are
JSON strings.

Every call is one round trip, shared with the calls of other hops made at the same time (see
`gateway.state.pipelining`): a hop reads in one batch and writes in another.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.state.base import Delete, Get, Op, Pace, Put, Reservation, Take
from gateway.state.connection import redis_client
from gateway.state.encoding import decode, encode
from gateway.state.memory import micros
from gateway.state.pipelining import Command, Pipelining
from gateway.state.resilient import ResilientState
from gateway.state.settings import RedisSettings

# Sliding window: drop events older than the window, count, add this one if under the limit.
# Redis's own clock (TIME) keeps every worker on the same time line whatever the hosts' clocks say.
SCAN_BATCH = 500
"""Keys per SCAN step and MGET."""

ALLOW = """
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], t, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""

# GCRA (virtual scheduling) over the paces a send must pass, in µs on Redis's clock: a hash per key
# holds the theoretical arrival time `tat` and the end of a hold `until`. Walks the keys in order,
# taking each one's next slot, and stops at the first slot in the future (the caller sleeps, then
# reserves the rest). ARGV: interval and burst tolerance (µs) per key. Returns {wait µs, keys taken}.
# Numbers are written with %d: Lua's default formatting would round them to 14 digits.
RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local stored = redis.call('HMGET', key, 'tat', 'until')
  local tat = math.max(tonumber(stored[1]) or now, now)
  local held = tonumber(stored[2]) or 0
  local slot = math.max(now, tat - tonumber(ARGV[2 * i]), held)
  tat = math.max(tat, slot) + interval
  redis.call('HSET', key, 'tat', string.format('%d', tat))
  redis.call('PEXPIREAT', key, math.floor(math.max(tat, held) / 1000) + 1)
  if slot > now then
    return {slot - now, i}
  end
end
return {0, #KEYS}
"""

# A hold: no slot of KEYS[1] before ARGV[1] µs from now (a later hold only extends it).
HOLD = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local stored = redis.call('HMGET', KEYS[1], 'tat', 'until')
local held = math.max(tonumber(stored[2]) or 0, now + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'until', string.format('%d', held))
redis.call('PEXPIREAT', KEYS[1], math.floor(math.max(tonumber(stored[1]) or 0, held) / 1000) + 1)
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisState:
    """StateStore on redis.asyncio: JSON values with PX expiry, SET NX claims, sorted-set windows,
    GCRA send slots in hashes."""

    def __init__(self, settings: RedisSettings) -> None:
        self.prefix = settings.prefix
        # No client-side retries: a failure must surface at once so the caller can degrade within
        # its budget; reconnecting happens on the next call.
        # redis-py's blocking pool wakes every waiter on each release, which collapses under a few
        # hundred concurrent hops; a plain pool sized for the worst burst costs Redis little.
        self.client = redis_client(
            settings,
            max_connections=settings.max_connections,
            socket_timeout=settings.timeout,
            socket_connect_timeout=settings.connect_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self.pipelining = Pipelining(self.client, settings.timeout)
        self._members = itertools.count()
        self._origin = f"{os.getpid()}-{id(self):x}"

    def _key(self, key: str) -> str:
        return self.prefix + key

    async def get(self, key: str) -> dict[str, Any] | None:
        value: dict[str, Any] | None = (await self.batch([Get(key)]))[0]
        return value

    async def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        await self.batch([Put(key, value, ttl)])

    async def batch(self, ops: Sequence[Op]) -> list[Any]:
        if len(ops) > 1 and all(isinstance(op, Get) for op in ops):  # a hop's read: one MGET, not a GET per key
            (values,) = await self.pipelining.run(("MGET", *(self._key(op.key) for op in ops)))
            return [_result(op, value) for op, value in zip(ops, values, strict=True)]
        replies = await self.pipelining.run(*(self._command(op) for op in ops))
        return [_result(op, reply) for op, reply in zip(ops, replies, strict=True)]

    def _command(self, op: Op) -> Command:
        key = self._key(op.key)
        if isinstance(op, Get):
            return ("GET", key)
        if isinstance(op, Put):
            return ("SET", key, encode(op.value), "PX", _ms(op.ttl))
        if isinstance(op, Take):
            return ("SET", key, b"1", "PX", _ms(op.ttl), "NX")
        return ("DEL", key)

    async def values(self, prefix: str) -> AsyncIterator[dict[str, Any]]:
        """SCAN in batches (never KEYS, which blocks Redis), one MGET per batch; `prefix` is ours, no glob."""
        batch: list[bytes] = []
        async for key in self.client.scan_iter(match=self._key(prefix) + "*", count=SCAN_BATCH):
            batch.append(key)
            if len(batch) == SCAN_BATCH:
                for value in await self._values_of(batch):
                    yield value
                batch = []
        for value in await self._values_of(batch):
            yield value

    async def _values_of(self, keys: list[bytes]) -> list[dict[str, Any]]:
        return [decode(raw) for raw in await self.client.mget(keys) if raw is not None] if keys else []

    async def delete(self, key: str) -> None:
        await self.batch([Delete(key)])

    async def claim(self, key: str, ttl: float) -> bool:
        taken: bool = (await self.batch([Take(key, ttl)]))[0]
        return taken

    async def allow(self, key: str, limit: int, window: float) -> bool:
        member = f"{self._origin}-{next(self._members)}"  # unique, so two events in one ms both count
        return bool(await self._eval(ALLOW, [key], [limit, _ms(window), member]))

    async def reserve(self, *paces: Pace) -> Reservation:
        args = [n for p in paces for n in (micros(p.interval), (p.burst - 1) * micros(p.interval))]
        wait, taken = await self._eval(RESERVE, [p.key for p in paces], args)
        return Reservation(int(wait) / 1e6, int(taken))

    async def hold(self, key: str, seconds: float) -> None:
        await self._eval(HOLD, [key], [micros(seconds)])

    async def _eval(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script on our keys. EVAL rather than EVALSHA: the script is short, Redis keeps it
        compiled, and a newly promoted or restarted Redis that never saw it needs no second try."""
        (reply,) = await self.pipelining.run(("EVAL", script, len(keys), *(self._key(k) for k in keys), *args))
        return reply

    async def ping(self) -> bool:
        (reply,) = await self.pipelining.run(("PING",))
        return bool(reply)

    async def close(self) -> None:
        await self.pipelining.close()
        await self.client.aclose()


def _result(op: Op, reply: Any) -> Any:
    """What the StateStore protocol returns for `op`, from Redis's reply."""
    if isinstance(op, Get):
        return None if reply is None else decode(reply)
    if isinstance(op, Take):
        return bool(reply)
    return None


def open_redis_state(settings: RedisSettings) -> ResilientState:
    """The shared store as the gateway uses it: Redis behind the fail-fast, self-healing wrapper.
    Connecting is lazy, so a gateway started while Redis is down starts (not ready) and recovers.
    Every call but the operators' scan is one pipeline exchange, bounded by `settings.timeout`."""
    return ResilientState(RedisState(settings), retry_after=settings.retry_after)
