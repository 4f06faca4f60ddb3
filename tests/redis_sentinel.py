"""A real Redis Sentinel topology for tests: a primary, a replica (`--replicaof`) and three
sentinels (`redis-server sentinel.conf --sentinel`, so Debian's redis-sentinel package is not
needed), each in its own temporary directory, with a short `down-after-milliseconds` so a failover
takes seconds. A plugin like redis_server: tests name the fixture as a parameter.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis_server import RedisServer, free_port
from waiting import eventually_blocking

SERVICE = "pishkhan"
"""The name the sentinels monitor the primary under."""
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
SETTLE_TIMEOUT = 20.0
"""Seconds for the replica to sync and the sentinels to find it and each other (hellos every 2 s)."""

SENTINEL_CONF = """port {port}
bind 127.0.0.1
dir {dir}
logfile {dir}/sentinel.log
sentinel monitor {service} 127.0.0.1 {primary} 2
sentinel down-after-milliseconds {service} {down_after}
sentinel failover-timeout {service} {failover_timeout}
sentinel parallel-syncs {service} 1
"""


class SentinelTopology:
    """One primary, one replica and three sentinels (quorum 2), all ours; `kill_primary()` is the fault."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.primary = RedisServer(self._dir("primary"))
        self.replica = RedisServer(self._dir("replica"), "--replicaof", "127.0.0.1", str(self.primary.port))
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen[bytes]] = []

    def _dir(self, name: str) -> Path:
        path = self.directory / name
        path.mkdir(parents=True)
        return path

    @property
    def addresses(self) -> str:
        """The sentinels as `PISHKHAN_REDIS_SENTINELS` takes them."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def start(self) -> SentinelTopology:
        """Start everything and wait until a failover could happen: the replica in sync, every
        sentinel knowing the replica and the two other sentinels."""
        self.primary.start()
        self.replica.start()
        for index, port in enumerate(self.sentinel_ports):
            directory = self._dir(f"sentinel-{index}")
            conf = directory / "sentinel.conf"  # a sentinel rewrites its own conf: it must be writable
            conf.write_text(SENTINEL_CONF.format(port=port, dir=directory, service=SERVICE, primary=self.primary.port,
                                                 down_after=DOWN_AFTER_MS, failover_timeout=FAILOVER_TIMEOUT_MS))
            self.sentinels.append(subprocess.Popen([self.primary.binary, str(conf), "--sentinel"],
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        eventually_blocking(self._settled, SETTLE_TIMEOUT, "the replica and sentinels did not settle", interval=0.1)
        return self

    def _settled(self) -> bool:
        try:
            replica = redis.Redis(port=self.replica.port, socket_timeout=0.5)
            if replica.info("replication").get("master_link_status") != "up":
                return False
            for port in self.sentinel_ports:
                sentinel = redis.Redis(port=port, socket_timeout=0.5)
                if len(sentinel.sentinel_slaves(SERVICE)) < 1 or len(sentinel.sentinel_sentinels(SERVICE)) < 2:
                    return False
            return True
        except redis.RedisError:
            return False

    def primary_port(self) -> int | None:
        """The primary's port as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            try:
                address = redis.Redis(port=port, socket_timeout=0.5).sentinel_get_master_addr_by_name(SERVICE)
            except redis.RedisError:
                continue
            return int(address[1]) if address else None
        return None

    def kill_primary(self) -> None:
        """SIGKILL the primary: the sentinels see it down after DOWN_AFTER_MS and promote the replica."""
        self.primary.kill()

    def stop(self) -> None:
        for process in self.sentinels:
            process.kill()
            process.wait(5)
        self.replica.stop()
        self.primary.stop()


@pytest.fixture
def sentinel_topology(tmp_path: Path) -> Iterator[SentinelTopology]:
    """A fresh primary, replica and three sentinels for one test."""
    topology = SentinelTopology(tmp_path / "redis")
    try:
        yield topology.start()
    finally:
        topology.stop()
