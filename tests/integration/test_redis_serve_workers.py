"""`pishkhan serve --workers N`: refused without Redis; with it, N processes on one port, and a
worker killed with SIGKILL is replaced while the others keep answering."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from gateway_process import ROOT, GatewayProcess, serve_command
from redis_server import RedisServer, free_port
from waiting import eventually_blocking


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def listeners(port: int) -> int:
    """Sockets listening on this TCP port (each worker binds its own, SO_REUSEPORT)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A")


def hop(url: str, session: str, text: str) -> str:
    form = urllib.parse.urlencode({"sessionId": session, "serviceCode": "*4#", "phoneNumber": "+989121112233", "text": text})
    with urllib.request.urlopen(f"{url}/ussd/africastalking", data=form.encode(), timeout=5) as response:
        return response.read().decode()


def test_several_workers_without_redis_are_refused_with_the_fix(tmp_path: Path) -> None:
    env = {**os.environ, "PISHKHAN_STORE_PATH": str(tmp_path / "s.sqlite3"), "PISHKHAN_REDIS_URL": ""}
    done = subprocess.run(serve_command(free_port(), "--workers", "2"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=20)
    assert done.returncode == 1
    assert "--workers 2 needs Redis" in done.stderr and "PISHKHAN_REDIS_URL" in done.stderr


def test_two_workers_share_the_port_and_a_killed_one_is_replaced(tmp_path: Path, redis_server: RedisServer) -> None:
    gateway = GatewayProcess(tmp_path / "s.sqlite3", env={"PISHKHAN_REDIS_URL": redis_server.url}, args=("--workers", "2"))
    port, url = gateway.port, gateway.url
    gateway.start(up=lambda: listeners(port) >= 2)  # both workers have bound the port
    try:
        assert gateway.process is not None
        parent = gateway.process.pid
        first = children(parent)
        session = uuid.uuid4().hex
        assert "Language" in hop(url, session, "")
        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)
        eventually_blocking(lambda: listeners(port) <= 1, what="the killed worker's socket closed")
        assert "Government services" in hop(url, session, "2")  # the other worker carries on
        eventually_blocking(lambda: len(children(parent) - first) >= 1 and listeners(port) >= 2, 25, "the killed worker replaced")
        assert "Services" in hop(url, session, "2*1")
    finally:
        assert gateway.stop(signal.SIGTERM) == 0  # SIGTERM stops the workers and the supervisor cleanly


def ready(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
        return json.loads(response.read())


def test_a_replacement_that_cannot_start_never_stops_the_healthy_worker(tmp_path: Path, redis_server: RedisServer) -> None:
    store = tmp_path / "s.sqlite3"
    gateway = GatewayProcess(store, env={"PISHKHAN_REDIS_URL": redis_server.url}, args=("--workers", "2"))
    port, url = gateway.port, gateway.url
    gateway.start(up=lambda: listeners(port) >= 2)
    try:
        assert gateway.process is not None
        store.rename(tmp_path / "moved.sqlite3")                         # the store moved away, a directory in its place:
        store.mkdir()                                                    # a new worker cannot open it (the running ones keep theirs)
        os.kill(sorted(children(gateway.process.pid))[0], signal.SIGKILL)  # and one worker crashes
        eventually_blocking(lambda: listeners(port) <= 1, what="the killed worker's socket closed")  # else the kernel may still route to it
        eventually_blocking(lambda: ready(url)["checks"].get("workers") is False, 20, "the failed restart reported")
        assert ready(url)["status"] == "ready"                          # reported, not taking the healthy worker out
        time.sleep(12)   # longer than the old supervisor took to give up and stop everything (5 quick deaths)
        assert gateway.alive and "Language" in hop(url, uuid.uuid4().hex, "")
        assert listeners(port) == 1 and ready(url)["checks"]["workers"] is False  # replacements keep failing, reported
        store.rmdir()                                                    # fixed: the next try starts and stays up
        (tmp_path / "moved.sqlite3").rename(store)
        eventually_blocking(lambda: listeners(port) >= 2, 40, "a replacement started once the store was back")
        eventually_blocking(lambda: ready(url)["checks"].get("workers") is True, 20, "the report cleared")
    finally:
        assert gateway.stop(signal.SIGTERM) == 0


def test_workers_end_with_a_supervisor_killed_by_sigkill(tmp_path: Path, redis_server: RedisServer) -> None:
    # a supervisor killed by SIGKILL cannot remove the metrics directory it made: give it one that goes with tmp_path
    env = {"PISHKHAN_REDIS_URL": redis_server.url, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    gateway = GatewayProcess(tmp_path / "s.sqlite3", env=env, args=("--workers", "2"))
    port = gateway.port
    gateway.start(up=lambda: listeners(port) >= 2)
    assert gateway.process is not None
    workers = children(gateway.process.pid)
    assert len(workers) == 2
    gateway.stop(signal.SIGKILL)                        # no chance to stop them itself
    eventually_blocking(lambda: listeners(port) == 0 and not any(Path(f"/proc/{pid}").exists() for pid in workers), 10,
                        "no orphaned worker left answering on the port")
