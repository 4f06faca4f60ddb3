"""Instructions per bot update along the whole path, counted by callgrind (deterministic: the machine's
other load does not move it, unlike CPU time).

`pishkhan serve` of a checkout runs under `valgrind --tool=callgrind` twice, side by side, each with
its own fake Bot API outside valgrind (bench/bot_load.py's): one driven through `--base` walks, the
other through `--base` + `--walks`; each walk is bench/bot_load.py's 5 updates (8 Bot API calls).
Once every reply has reached the fake the server is stopped, and (Ir_more − Ir_base) ÷ updates is
what an update costs with its replies: webhook, parse, conversation, paced sends on aiohttp.
A gateway under valgrind takes minutes to start; a run takes 10-20 minutes.

    python bench/bot_instructions.py                       # this checkout, 100 walks (500 updates)
    python bench/bot_instructions.py --root /tmp/other-checkout
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, ClientTimeout, TCPConnector  # noqa: E402

from bench.bot_load import BOT, SECRET, Walks, scratch_config  # noqa: E402
from bench.ussd_load import free_port  # noqa: E402

START_LIMIT = 900.0
QUIET = 8.0
"""Seconds without a new Bot API call after which every reply counts as sent."""


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bytes(response.read())


async def drive(url: str, walks: int, concurrency: int, first_chat: int) -> None:
    """Post `walks` walks' updates, `concurrency` clients at a time, each update answered 200."""
    maker = Walks()
    maker.chat = first_chat
    todo = [maker.next_walk() for _ in range(walks)]
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with ClientSession(connector=TCPConnector(limit=concurrency + 2), timeout=ClientTimeout(total=600)) as http:
        async def client() -> None:
            while todo:
                for update in todo.pop():
                    async with http.post(f"{url}/telegram/{BOT}", data=json.dumps(update), headers=headers) as response:
                        body = await response.read()
                        if response.status != 200:
                            raise SystemExit(f"update answered {response.status}: {body[:200]!r}")
        await asyncio.gather(*(client() for _ in range(concurrency)))


def measure(root: Path, walks: int, concurrency: int, scratch: Path) -> tuple[int, int]:
    """(instructions of the whole server run, Bot API calls made) for `walks` walks."""
    directory = Path(tempfile.mkdtemp(dir=scratch))
    fake_port = free_port()
    fake = f"http://127.0.0.1:{fake_port}"
    fake_proc = subprocess.Popen([sys.executable, str(root / "bench/bot_load.py"), "--serve-fake", "--port", str(fake_port)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = directory / "callgrind.out"
    env = {**os.environ, "PISHKHAN_STORE_PATH": str(directory / "store.sqlite3"), "PYTHONHASHSEED": "0", "PISHKHAN_REDIS_URL": "",
           "PISHKHAN_SERVER_LOG_LEVEL": "WARNING", "PISHKHAN_TELEGRAM_PER_SECOND": "200", "PYTHONPATH": str(root)}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(directory / "log", "wb") as log:
        server = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", f"{root}/.venv/bin/python", "-m", "gateway",
                                   "serve", "--port", str(port), "--config", str(scratch_config(directory, root, fake))],
                                  cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        while True:
            try:
                get(url + "/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() - started > START_LIMIT:
                    raise SystemExit(f"the gateway did not start: {directory / 'log'}") from None
                time.sleep(1)
        asyncio.new_event_loop().run_until_complete(drive(url, walks, concurrency, 10_000_000 * (walks + 1)))
        calls, changed = -1, time.monotonic()
        while time.monotonic() - changed < QUIET:
            now = len(json.loads(get(f"{fake}/calls")))
            if now != calls:
                calls, changed = now, time.monotonic()
            time.sleep(1)
        server.send_signal(signal.SIGINT)
        server.wait(timeout=600)
    finally:
        fake_proc.terminate()
        if server.poll() is None:
            server.kill()
    found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
    if found is None:
        raise SystemExit(f"no totals in {out}")
    return int(found.group(1)), calls


def main() -> None:
    parser = argparse.ArgumentParser(description="Instructions per bot update (callgrind).")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent, help="the checkout to measure")
    parser.add_argument("--walks", type=int, default=100, help="walks counted (5 updates each)")
    parser.add_argument("--base", type=int, default=4, help="walks of the run subtracted (start-up, first-use costs)")
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    root = args.root.resolve()
    with tempfile.TemporaryDirectory(prefix="pishkhan-botir-") as scratch, ThreadPoolExecutor(2) as pool:
        base = pool.submit(measure, root, args.base, args.concurrency, Path(scratch))
        more = pool.submit(measure, root, args.base + args.walks, args.concurrency, Path(scratch))
        (ir_base, calls_base), (ir_more, calls_more) = base.result(), more.result()
    updates = 5 * args.walks
    print(f"{root}: {(ir_more - ir_base) / updates:,.0f} instructions per update ({updates} updates, "
          f"{(calls_more - calls_base) / args.walks:.2f} Bot API calls per walk)")


if __name__ == "__main__":
    main()
