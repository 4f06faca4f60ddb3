"""`redis:` in settings.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.settings_base import settings_section


@settings_section
@dataclass(frozen=True)
class RedisSettings:
    """The `redis:` section: where Redis is and how long the gateway waits for it."""

    url: str = ""
    prefix: str = "pishkhan:"
    """Prefixed to every key, so several deployments can share one Redis."""
    timeout: float = 1.0
    """Seconds one command may take, queueing in a busy worker included (shorter, and an overloaded
    worker mistakes its own lag for an outage); a hop does two or three and has 5 s."""
    connect_timeout: float = 0.5
    max_connections: int = 1024
    """Connections per worker at most (one per command in flight); past it a hop degrades."""
    retry_after: float = 1.0
    """Seconds after a failure during which calls fail at once instead of waiting on a dead Redis."""
