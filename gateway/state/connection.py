"""A redis-py client for the Redis the settings name: one server by `url`, or whichever server the
sentinels name as `service_name`'s primary, found again on every new connection after a failover.

Every part of the gateway that talks to Redis (the state store, the outbox stream, the content
channel) connects through here, so a Sentinel deployment is one setting for all of them.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

from gateway.state.settings import RedisSettings


def redis_client(settings: RedisSettings, **options: Any) -> Redis:
    """A client on the primary; `options` are redis-py's connection options (timeouts, pool size).
    With sentinels, a connection asks them for the primary when it (re)connects: during a failover
    it fails (the caller degrades), and after it the promoted replica is found."""
    if not settings.sentinels:
        return Redis.from_url(settings.url, **options)
    sentinels = Sentinel(
        settings.sentinel_addresses(),
        sentinel_kwargs={
            "socket_timeout": settings.timeout, "socket_connect_timeout": settings.connect_timeout,
            "password": settings.sentinel_password or None, "ssl": settings.tls,
            "retry": Retry(NoBackoff(), 0),  # a sentinel that does not answer: ask the next one at once
        },
    )
    return sentinels.master_for(settings.service_name, password=settings.password or None, ssl=settings.tls, **options)
