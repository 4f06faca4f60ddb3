"""The protocol every state backend implements (the aiogram-storage shape)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol


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
