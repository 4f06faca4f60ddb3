"""The protocol every state backend implements (the aiogram-storage shape)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeAlias


@dataclass(frozen=True)
class Pace:
    """A shared send schedule: one slot every `interval` seconds under `key`, and up to `burst`
    slots at once after a quiet spell (a provider's `rate`/`burst`, a bot's 25 a second)."""

    key: str
    interval: float
    burst: int = 1


@dataclass(frozen=True)
class Reservation:
    """What `reserve` took: sleep `wait` seconds, then the first `taken` paces are passed."""

    wait: float
    taken: int


# The ops are named tuples, not frozen dataclasses: a hop builds four of them, and a tuple is made
# in half the time. Backends tell them apart by type (isinstance), never by comparing them: as tuples,
# Get("k") == Delete("k").


class Get(NamedTuple):
    """In a batch: the value under `key` (a dict), or None."""

    key: str


class Put(NamedTuple):
    """In a batch: store `value` under `key` for `ttl` seconds (result None)."""

    key: str
    value: dict[str, Any]
    ttl: float


class Delete(NamedTuple):
    """In a batch: forget `key` (result None)."""

    key: str


class Take(NamedTuple):
    """In a batch: claim `key` for `ttl` seconds (result: True the first time, as `claim`)."""

    key: str
    ttl: float


Op: TypeAlias = Get | Put | Delete | Take
"""One step of a batch: what a hop reads together, or writes together."""


class StateStore(Protocol):
    """Keyed JSON values with expiry, set-once claims, sliding-window rate limits and send slots."""

    async def get(self, key: str) -> dict[str, Any] | None:
        """The value under `key`, or None when absent or expired."""

    async def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Store `value` under `key` for `ttl` seconds."""

    async def delete(self, key: str) -> None:
        """Forget `key`."""

    async def claim(self, key: str, ttl: float) -> bool:
        """True the first time `key` is claimed within `ttl`; how duplicate provider ids are dropped."""

    async def batch(self, ops: Sequence[Op]) -> list[Any]:
        """Each op's result, in order, for one round trip to the backend: a hop reads its session,
        language (and claim) in one batch and writes them in another, since with Redis a round trip,
        not the work in Redis, is what a hop costs. In order but not atomic (another client's
        command may run between two ops)."""

    async def allow(self, key: str, limit: int, window: float) -> bool:
        """Count one event for `key`; False when more than `limit` fell within the last `window` seconds."""

    async def reserve(self, *paces: Pace) -> Reservation:
        """Take the next slot of each pace in turn (GCRA), as a send must pass them all, in one atomic
        step; stops after the first slot that lies in the future, so a busy first pace (one chat)
        does not book the second (the whole bot) ahead of others: reserve the rest after the wait."""

    async def hold(self, key: str, seconds: float) -> None:
        """No slot of `key` before `seconds` from now, for every holder of the store (a 429's retry_after)."""

    def values(self, prefix: str) -> AsyncIterator[dict[str, Any]]:
        """Every live value whose key starts with `prefix`, in no order (rare, operator-side scans:
        how many sessions sit on the nodes a publish removes)."""

    async def ping(self) -> bool:
        """Whether the backend answers (for /readyz)."""

    async def close(self) -> None:
        """Release connections."""
