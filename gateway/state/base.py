"""The protocol every state backend implements (the aiogram-storage shape)."""

from __future__ import annotations

from typing import Any, Protocol


class StateStore(Protocol):
    """Keyed JSON values with expiry, set-once claims and sliding-window rate limits."""

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

    async def ping(self) -> bool:
        """Whether the backend answers (for /readyz)."""

    async def close(self) -> None:
        """Release connections."""
