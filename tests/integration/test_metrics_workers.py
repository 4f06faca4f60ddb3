"""`pishkhan serve --workers 2`: /metrics, answered by either worker, counts the hops both served
(prometheus-client's multiprocess mode, its directory kept by the supervisor)."""

from __future__ import annotations

import os
import signal
import urllib.request
import uuid
from pathlib import Path

import pytest
from gateway_process import GatewayProcess, store_setting
from prometheus_client.multiprocess import MultiProcessCollector
from redis_server import RedisServer
from test_metrics import samples, value
from test_redis_serve_workers import hop, listeners
from waiting import eventually_blocking

from gateway.observability.multiprocess import ENV, MultiprocessDirectory

USSD = {"channel": "ussd", "dialect": "africastalking"}
HOPS = 24
"""New connections, which the kernel spreads between the two workers (SO_REUSEPORT hashes each one)."""


def scraped(url: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        return value(samples(response.read().decode()), "pishkhan_hops_total", **USSD, outcome="continued")


def hops_by_worker(directory: Path) -> dict[str, float]:
    """Each worker's own count, from its own file in the multiprocess directory."""
    counts = {}
    for file in directory.glob("counter_*.db"):
        found = [s.value for m in MultiProcessCollector.merge([str(file)], accumulate=False) for s in m.samples
                 if s.name == "pishkhan_hops_total" and s.labels == {**USSD, "outcome": "continued"}]
        counts[file.stem] = sum(found)
    return counts


def test_the_merged_metrics_count_the_hops_of_both_workers(tmp_path: Path, redis_server: RedisServer, store_url: str) -> None:
    environ = {key: val for key, val in os.environ.items() if key != ENV}   # the supervisor makes a directory of its own,
    gateway = GatewayProcess(None, env={**environ, **store_setting(store_url), "PISHKHAN_REDIS_URL": redis_server.url,  # in TMPDIR
                                        "PISHKHAN_SERVER_LOG_LEVEL": "WARNING", "TMPDIR": str(tmp_path)}, args=("--workers", "2"))
    port, url = gateway.port, gateway.url
    gateway.start(up=lambda: listeners(port) >= 2)
    try:
        [directory] = tmp_path.glob("pishkhan-metrics-*")
        for _ in range(HOPS):
            assert "Language" in hop(url, uuid.uuid4().hex, "")
        eventually_blocking(lambda: scraped(url) == HOPS, what="both workers' hops flushed (every second)")
        per_worker = hops_by_worker(directory)
        assert sorted(per_worker.values())[-2] > 0 and sum(per_worker.values()) == HOPS, per_worker   # both served some
        assert [scraped(url) for _ in range(6)] == [HOPS] * 6   # whichever worker answers the scrape
    finally:
        assert gateway.stop(signal.SIGTERM) == 0
    assert not directory.exists()   # removed with the run that made it


def test_an_operators_directory_is_emptied_of_an_earlier_runs_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "counter_4242.db").write_bytes(b"an earlier run's counts")
    (tmp_path / "notes.txt").write_text("not ours")
    monkeypatch.setenv(ENV, str(tmp_path))
    directory = MultiprocessDirectory()
    directory.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]   # its files gone, the directory and the rest kept
