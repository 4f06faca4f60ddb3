"""Instructions per USSD hop, counted by callgrind: deterministic, unlike CPU time on a shared machine.

`pishkhan serve` of a checkout runs alone under `valgrind --tool=callgrind` (a scratch SQLite file,
in-process sessions). After a warm-up walk the counters are zeroed (`callgrind_control -z`), the
bench walk of `bench/ussd_load.py` runs for N hops and the counters are dumped; then they are zeroed
again and the server is left idle for as long as the walk took, and dumped again. The figure is
**hop − idle**, ÷ N: the background loops (content check, analytics flush, the outbox poll) cost
instructions per second of wall time whatever the hops do, and under valgrind the walk's wall time
moves with the machine's load, so they are counted apart and taken out. Start-up under valgrind
takes a minute or more.

    python bench/ussd_instructions.py                          # this checkout, 700 hops
    python bench/ussd_instructions.py --checkout /tmp/base --hops 1400
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ussd_load import DEFAULT_PATH, Walker, free_port, hop, wait_healthy  # noqa: E402

START_TIMEOUT_S = 1200.0
"""Seconds for the server to start under valgrind (minutes on a loaded machine)."""
WARM_UP_SESSIONS = 15
"""Sessions walked before counting: first-use costs (imports, caches, the store's first writes)."""


async def walk(base: str, sessions: int, concurrency: int, prefix: str) -> None:
    """`sessions` walks of the bench path, `concurrency` at a time; SystemExit on any bad page."""
    walker = Walker(DEFAULT_PATH.split(","), prefix=prefix)
    texts, left = walker.texts(), sessions
    async with ClientSession(connector=TCPConnector(limit=concurrency + 5), timeout=ClientTimeout(total=600)) as http:
        async def citizen() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                sid, phone = walker.new_session()
                for text in texts:
                    if not await hop(http, base, sid, phone, text):
                        raise SystemExit(f"a hop failed: {sid} text={text!r}")
        await asyncio.gather(*(citizen() for _ in range(concurrency)))


def control(*args: str) -> None:
    """`callgrind_control` on the server, checked."""
    subprocess.run(["callgrind_control", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def total(dump: Path) -> int:
    """The instructions a callgrind dump counted."""
    found = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(errors="replace"), re.M)
    if found is None:
        raise SystemExit(f"no total in {dump}")
    return int(found.group(1))


async def count(checkout: Path, sessions: int, concurrency: int) -> tuple[int, int, float]:
    """(instructions of the walk, instructions of as long idle, the walk's seconds)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pishkhan-ir-") as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PISHKHAN_STORE_PATH": f"{tmp}/store.sqlite3", "PISHKHAN_REDIS_URL": "", "PYTHONHASHSEED": "0",
               "PISHKHAN_SERVER_LOG_LEVEL": "WARNING"}
        python = checkout / ".venv" / "bin" / "python"
        interpreter = str(python if python.exists() else sys.executable)
        with open(f"{tmp}/log", "wb") as log:
            proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", interpreter,
                                     "-m", "gateway", "serve", "--config", "config", "--port", str(port)],
                                    cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            pid = str(proc.pid)
            try:
                await wait_healthy(base, proc, "the server under valgrind", START_TIMEOUT_S)
                await walk(base, WARM_UP_SESSIONS, concurrency, "warm")
                control("-z", pid)
                started = time.perf_counter()
                await walk(base, sessions, concurrency, "hop")
                seconds = time.perf_counter() - started
                control("-d", pid)
                control("-z", pid)
                await asyncio.sleep(seconds)
                control("-d", pid)
                proc.send_signal(2)
                proc.wait(timeout=600)
            finally:
                if proc.poll() is None:
                    proc.kill()
        return total(Path(f"{out}.1")), total(Path(f"{out}.2")), seconds


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Instructions per USSD hop (callgrind, hop − idle).")
    p.add_argument("--checkout", type=Path, default=Path(__file__).resolve().parent.parent, help="the checkout to count (its .venv)")
    p.add_argument("--hops", type=int, default=700, help="hops counted (whole walks of the bench path)")
    p.add_argument("--concurrency", type=int, default=10, help="sessions walking at a time")
    args = p.parse_args(argv)
    per_walk = len(DEFAULT_PATH.split(",")) + 1
    if args.hops < per_walk or args.concurrency < 1:
        p.error(f"--hops must be at least {per_walk} and --concurrency positive")
    sessions = args.hops // per_walk
    walked, idle, seconds = asyncio.run(count(args.checkout, sessions, args.concurrency))
    hops = sessions * per_walk
    print(f"{args.checkout}: {(walked - idle) / hops:,.0f} instructions per hop, hop − idle "
          f"({hops} hops in {seconds:.1f} s; raw {walked / hops:,.0f}, idle {idle / hops:,.0f} a hop)")


if __name__ == "__main__":
    main()
