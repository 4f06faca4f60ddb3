"""The real `pishkhan serve` as a subprocess, for tests that need the whole server: a scratch SQLite
file, a free port (or a given one, to restart on the same address) and extra environment settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0


@contextmanager
def serve(store: Path, *, port: int | None = None, env: Mapping[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A running gateway and its base URL; killed (by its own pid) when the block ends."""
    port = port or free_port()
    environ = {**os.environ, "PISHKHAN_STORE_PATH": str(store), "PISHKHAN_SERVER_LOG_LEVEL": "WARNING", **(env or {})}
    process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port)], cwd=ROOT, env=environ,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the gateway did not start: {process.stderr.read().decode()[-2000:]}") from None  # type: ignore[union-attr]
                time.sleep(0.05)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        process.stderr.close()  # type: ignore[union-attr]
