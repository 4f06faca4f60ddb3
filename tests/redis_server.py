"""A real `redis-server` for tests: free port, no persistence, its own temporary directory.

Its fixtures reach every test through tests/conftest.py's `pytest_plugins`; the server can be
stopped and started again on the same port to test outages.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from waiting import eventually_blocking

START_TIMEOUT = 5.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process we own; `stop()` and `start()` again keep the port and URL."""

    def __init__(self, directory: Path, *args: str) -> None:
        """`args`: more of redis-server's options (`--replicaof host port`)."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: `apt-get install redis-server` (or run .ci/run, which does)")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start and wait until it answers PING."""
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log"), *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        process = self.process

        def started() -> bool:
            assert process.poll() is None, f"redis-server exited: {self._log_tail()}"
            return _answers(self.port)

        eventually_blocking(started, START_TIMEOUT, lambda: f"redis-server did not start on port {self.port}: {self._log_tail()}")
        return self

    def _log_tail(self) -> str:
        log = self.directory / "redis.log"
        return log.read_text()[-1000:] if log.exists() else "no log"

    def kill(self) -> None:
        """SIGKILL, as a crashed host: no shutdown, no goodbye to replicas or clients."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL) and wait until the port is closed."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server for one test (stop/start it freely)."""
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the whole run, for tests that only need keys (use a unique prefix)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()
