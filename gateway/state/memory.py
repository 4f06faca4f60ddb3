"""In-process state for a single gateway process: the embedded default."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import Any

from gateway.state.base import Delete, Get, Op, Pace, Put, Reservation, Take
from gateway.state.encoding import decode, encode

SWEEP_EVERY = 1024
"""Writes between sweeps of expired keys, so memory stays bounded without a timer task."""


class MemoryState:
    """StateStore kept in dictionaries; values are kept as JSON so callers never share them
    (and so the in-process store refuses exactly what Redis would)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[float, bytes]] = {}
        self._claims: dict[str, float] = {}
        self._events: dict[str, deque[float]] = {}
        self._slots: dict[str, tuple[int, int]] = {}
        """Per pace key: its theoretical arrival time and the end of any hold, in integer µs like the
        Redis script, so both backends give the same answers to the microsecond."""
        self._writes = 0

    async def get(self, key: str) -> dict[str, Any] | None:
        return self._get(key)

    async def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        self._set(key, value, ttl)

    async def values(self, prefix: str) -> AsyncIterator[dict[str, Any]]:
        now = self._clock()
        for key, (expires, raw) in list(self._values.items()):
            if key.startswith(prefix) and expires > now:
                yield decode(raw)

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def claim(self, key: str, ttl: float) -> bool:
        return self._claim(key, ttl)

    async def batch(self, ops: Sequence[Op]) -> list[Any]:
        # No await inside: the batch is one step of the event loop, atomic as well as in order.
        return [self._apply(op) for op in ops]

    def _apply(self, op: Op) -> Any:
        if isinstance(op, Get):
            return self._get(op.key)
        if isinstance(op, Put):
            return self._set(op.key, op.value, op.ttl)
        if isinstance(op, Take):
            return self._claim(op.key, op.ttl)
        assert isinstance(op, Delete)
        self._values.pop(op.key, None)
        return None

    def _get(self, key: str) -> dict[str, Any] | None:
        item = self._values.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self._clock():
            del self._values[key]
            return None
        return decode(value)

    def _set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        self._values[key] = (self._clock() + ttl, encode(value))
        self._tick()

    def _claim(self, key: str, ttl: float) -> bool:
        now = self._clock()
        expires = self._claims.get(key)
        if expires is not None and expires > now:
            return False
        self._claims[key] = now + ttl
        self._tick()
        return True

    async def allow(self, key: str, limit: int, window: float) -> bool:
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - window:
            events.popleft()
        if len(events) >= limit:
            return False
        events.append(now)
        self._tick()
        return True

    async def reserve(self, *paces: Pace) -> Reservation:
        # No await inside: the whole reservation is one step of the event loop, so it is atomic.
        now = micros(self._clock())
        for taken, pace in enumerate(paces, 1):
            interval = micros(pace.interval)
            tat, held = self._slots.get(pace.key, (now, 0))
            tat = max(tat, now)
            slot = max(now, tat - (pace.burst - 1) * interval, held)
            self._slots[pace.key] = (max(tat, slot) + interval, held)
            self._tick()
            if slot > now:
                return Reservation((slot - now) / 1e6, taken)
        return Reservation(0.0, len(paces))

    async def hold(self, key: str, seconds: float) -> None:
        now = micros(self._clock())
        tat, held = self._slots.get(key, (now, 0))
        self._slots[key] = (tat, max(held, now + micros(seconds)))
        self._tick()

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._values.clear()

    def _tick(self) -> None:
        self._writes += 1
        if self._writes % SWEEP_EVERY:
            return
        now = self._clock()
        self._values = {k: v for k, v in self._values.items() if v[0] > now}
        self._claims = {k: e for k, e in self._claims.items() if e > now}
        self._events = {k: e for k, e in self._events.items() if e and e[-1] > now - 3600}
        self._slots = {k: s for k, s in self._slots.items() if max(s) > micros(now)}


def micros(seconds: float) -> int:
    """Seconds as whole microseconds, the unit both backends schedule in."""
    return round(seconds * 1_000_000)
