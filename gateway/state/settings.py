"""`redis:` in settings.yaml: one Redis by `url`, or the primary that Redis Sentinel names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.settings_base import SettingsError, section, settings_section


@settings_section
@dataclass(frozen=True)
class RedisSettings:
    """The `redis:` section: where Redis is and how long the gateway waits for it."""

    url: str = ""
    sentinels: list[str] = field(default_factory=list)
    """Redis Sentinel's `host:port`s, instead of `url`: the gateway asks them which server is the
    primary of `service_name`, and asks again after a failover, without restarting."""
    service_name: str = ""
    """The name the sentinels monitor the primary under (`sentinel monitor <name> …`)."""
    password: str = ""
    """With `sentinels`: the password of the Redis servers they name (with `url`, it goes in the URL)."""
    sentinel_password: str = ""
    """With `sentinels`: the sentinels' own password (`requirepass` in sentinel.conf), if any."""
    tls: bool = False
    """With `sentinels`: TLS to the sentinels and to the servers (with `url`, write `rediss://`)."""
    prefix: str = "pishkhan:"
    """Prefixed to every key, so several deployments can share one Redis."""
    timeout: float = 1.0
    """Seconds one command may take, queueing in a busy worker included (shorter, and an overloaded
    worker mistakes its own lag for an outage); a hop does two and has 5 s."""
    connect_timeout: float = 0.5
    max_connections: int = 1024
    """Connections per worker at most (one per command in flight); past it a hop degrades."""
    retry_after: float = 1.0
    """Seconds after a failure during which calls fail at once instead of waiting on a dead Redis."""

    @property
    def enabled(self) -> bool:
        """Whether the gateway uses Redis at all (else everything lives in the one process)."""
        return bool(self.url or self.sentinels)

    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """`sentinels` as (host, port) pairs (checked by `redis_settings`)."""
        return [_address(entry) for entry in self.sentinels]


def _address(entry: str) -> tuple[str, int]:
    host, _, port = entry.strip().rpartition(":")
    return host.strip("[]"), int(port)


URL_SPELLINGS = {
    "password": "put the password in the URL (redis://:secret@host:6379/0)",
    "sentinel_password": "there are no sentinels",
    "tls": "write rediss:// for TLS",
}
"""The sentinel-only keys, and how a `url` says the same."""


def redis_settings(raw: Mapping[str, Any] | None, name: str = "redis") -> RedisSettings:
    """The `redis:` section, checked: `url` or `sentinels` (with `service_name`), never both."""
    redis = section(RedisSettings, raw, name)
    for index, entry in enumerate(redis.sentinels):
        host, _, port = entry.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"`{name}.sentinels[{index}]`: {entry!r} is not host:port (e.g. 10.0.0.5:26379)")
    if redis.url and redis.sentinels:
        raise SettingsError(f"`{name}.url` and `{name}.sentinels`: set one of them (one Redis, or the sentinels that name the primary)")
    if redis.sentinels and not redis.service_name:
        raise SettingsError(f"`{name}.service_name`: required with `{name}.sentinels` (the name in `sentinel monitor <name> …`)")
    if redis.service_name and not redis.sentinels:
        raise SettingsError(f"`{name}.service_name`: only with `{name}.sentinels`, which are not set")
    for key, instead in URL_SPELLINGS.items():
        if getattr(redis, key) and not redis.sentinels:
            raise SettingsError(f"`{name}.{key}`: only with `{name}.sentinels`; with `{name}.url`, {instead}")
    return redis
