"""The real `pishkhan serve` as a subprocess, for tests that need the whole server: a scratch SQLite
file, a free port (or a given one, to restart on the same address) and extra environment settings.
One launcher for every such test, so starting, waiting and killing are done (and fixed) in one place.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from redis_server import free_port
from waiting import eventually_blocking

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0


def serve_command(port: int, *args: str) -> list[str]:
    """`pishkhan serve` on this port, run by this interpreter (so the test's virtualenv is used)."""
    return [sys.executable, "-m", "gateway", "serve", "--port", str(port), *args]


def store_setting(store: Path | str) -> dict[str, str]:
    """The environment naming a store: a SQLite file, or a store URL (the `store_url` fixture's)."""
    return {"PISHKHAN_STORE_PATH": str(store)} if isinstance(store, Path) else {"PISHKHAN_STORE_URL": store}


def gateway_env(store: Path | str, **settings: str) -> dict[str, str]:
    """This environment with a scratch store, quiet logs and no Redis, plus PISHKHAN_* overrides."""
    return {**os.environ, **store_setting(store), "PISHKHAN_REDIS_URL": "", "PISHKHAN_SERVER_LOG_LEVEL": "WARNING", **settings}


class GatewayProcess:
    """One `pishkhan serve` we own: `start()` waits until it answers, `stop()` signals it by its own pid;
    start it again to restart on the same port."""

    def __init__(self, store: Path | str | None, *, port: int | None = None, env: Mapping[str, str] | None = None,
                 args: Sequence[str] = (), prefix: Sequence[str] = ()) -> None:
        """`store`: a scratch SQLite file or a store URL (with quiet logs); None when `env` is the whole environment.
        `prefix`: a command the server runs under (e.g. `unshare` for a private file system)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = tuple(args)
        self.prefix = tuple(prefix)
        base = os.environ if store is None else {**os.environ, **store_setting(store), "PISHKHAN_SERVER_LOG_LEVEL": "WARNING"}
        self.env = {**base, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def start(self, up: Callable[[], bool] | None = None) -> GatewayProcess:
        """Start and wait until `up()` (by default: /healthz answers); AssertionError with its stderr if it never does.
        Its stderr goes to a temporary file, not a pipe: a server logging under load (a traceback per
        failed hop while the store is down) would fill a pipe nobody reads and block on its next log line."""
        self._stderr = tempfile.TemporaryFile()
        process = self.process = subprocess.Popen([*self.prefix, *serve_command(self.port, *self.args)], cwd=ROOT, env=self.env,
                                                  stdout=subprocess.DEVNULL, stderr=self._stderr)

        def started() -> bool:
            assert process.poll() is None, f"the gateway exited: {self._stderr_tail()}"
            return (up or self._answers)()

        eventually_blocking(started, START_TIMEOUT, lambda: f"the gateway did not start: {self._stderr_tail()}", interval=0.05)
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGKILL) -> int | None:
        """Send `sig` (SIGKILL: no chance to clean up) and wait; the exit code, None if it was not running."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        code = self.process.wait(10)
        self.process = None
        if self._stderr is not None:
            self._stderr.close()
        return code

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                return True
        except OSError:
            return False

    def _stderr_tail(self) -> str:
        assert self.process is not None and self._stderr is not None
        if self.process.poll() is None:
            self.process.kill()  # it did not start: it goes, and writes no more to the file read here
            self.process.wait(10)
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]


@contextmanager
def serve(store: Path | str, *, port: int | None = None, env: Mapping[str, str] | None = None,
          args: Sequence[str] = ()) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A running gateway and its base URL; killed (by its own pid) when the block ends."""
    gateway = GatewayProcess(store, port=port, env=env, args=args).start()
    assert gateway.process is not None
    try:
        yield gateway.process, gateway.url
    finally:
        if gateway.process is not None:
            gateway.stop()


@dataclass(frozen=True)
class Served:
    """A running server: its process and the port it answers on."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(env: Mapping[str, str], *, args: Sequence[str] = (), prefix: Sequence[str] = (),
            port: int | None = None) -> Iterator[Served]:
    """`prefix` `pishkhan serve --port P` `args` in environment `env`, once /healthz answers; killed when the block ends."""
    gateway = GatewayProcess(None, port=port, env=env, args=args, prefix=prefix).start()
    assert gateway.process is not None
    try:
        yield Served(gateway.process, gateway.port)
    finally:
        gateway.stop()


def refused(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`pishkhan serve` run to its end (20 s at most: a hang fails the test), output captured."""
    return subprocess.run(serve_command(free_port(), *args), cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=20)
