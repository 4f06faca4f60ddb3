"""The real `pishkhan serve` as a subprocess on a free port, for tests of what only a real server shows:
connections, exit codes, the file system under the store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent
SERVE = [sys.executable, "-m", "gateway", "serve"]


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def gateway_env(store: Path, **settings: str) -> dict[str, str]:
    """This environment with a scratch store, quiet logs and no Redis, plus PISHKHAN_* overrides."""
    return {**os.environ, "PISHKHAN_STORE_PATH": str(store), "PISHKHAN_REDIS_URL": "",
            "PISHKHAN_SERVER_LOG_LEVEL": "WARNING", **settings}


@contextmanager
def serving(env: Mapping[str, str], *, args: Sequence[str] = (), prefix: Sequence[str] = (),
            port: int | None = None) -> Iterator[Served]:
    """`prefix` `pishkhan serve --port P` `args`, once /healthz answers; killed (by its pid) when the block ends.
    `port`: a given one, to restart on the same address; else a free one."""
    port = port or free_port()
    process = subprocess.Popen([*prefix, *SERVE, "--port", str(port), *args], cwd=ROOT, env=dict(env),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    served = Served(process, port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{served.base}/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the gateway did not start: {process.stderr.read().decode()[-2000:]}") from None  # type: ignore[union-attr]
                time.sleep(0.05)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        process.stderr.close()  # type: ignore[union-attr]


@contextmanager
def serve(store: Path, *, port: int | None = None, env: Mapping[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A running gateway on a scratch store and its base URL (`serving` for the common case)."""
    with serving(gateway_env(store, **(env or {})), port=port) as served:
        yield served.process, served.base


def refused(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`pishkhan serve` run to its end (20 s at most: a hang fails the test), output captured."""
    return subprocess.run([*SERVE, "--port", str(free_port()), *args], cwd=ROOT, env=dict(env),
                          capture_output=True, text=True, timeout=20)
