"""`pishkhan serve --workers N`: refused without Redis; with it, N processes on one port, and a
worker killed with SIGKILL is replaced while the others keep answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from redis_server import RedisServer, free_port, redis_server  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


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
    done = subprocess.run([sys.executable, "-m", "gateway", "serve", "--workers", "2", "--port", str(free_port())],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=20)
    assert done.returncode == 1
    assert "--workers 2 needs Redis" in done.stderr and "PISHKHAN_REDIS_URL" in done.stderr


def test_two_workers_share_the_port_and_a_killed_one_is_replaced(tmp_path: Path, redis_server: RedisServer) -> None:  # noqa: F811
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PISHKHAN_STORE_PATH": str(tmp_path / "s.sqlite3"), "PISHKHAN_REDIS_URL": redis_server.url,
           "PISHKHAN_SERVER_LOG_LEVEL": "WARNING"}
    parent = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--workers", "2", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while listeners(port) < 2:  # both workers have bound the port
            assert parent.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.05)
        first = children(parent.pid)
        session = uuid.uuid4().hex
        assert "Language" in hop(url, session, "")
        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)
        while listeners(port) > 1:  # its socket is closed once it is dead
            time.sleep(0.01)
        assert "Government services" in hop(url, session, "2")  # the other worker carries on
        while len(children(parent.pid) - first) < 1 or listeners(port) < 2:  # a replacement is listening
            assert time.monotonic() < deadline + 5, "the killed worker was not replaced"
            time.sleep(0.05)
        assert "Services" in hop(url, session, "2*1")
    finally:
        parent.terminate()
        assert parent.wait(10) == 0  # SIGTERM stops the workers and the supervisor cleanly

