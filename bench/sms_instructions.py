"""Instructions per SMS text, counted by callgrind: deterministic, unlike CPU time on a shared machine.

`pishkhan serve` of a checkout runs alone under `valgrind --tool=callgrind` (its scratch SQLite
file, in-process sessions, the Kannel provider's rate raised as in bench/sms_load.py); a fake Kannel
runs here, outside the count. Citizens walk sms_load's WALK through Kannel's get-url, and every
text's reply is awaited at the fake, so the count has the whole path: the text parsed, claimed and
answered, its reply queued, dispatched, sent by `sendsms` and recorded. The server runs twice, with
`--base` and with `--base` + N texts; the difference of the totals ÷ N is printed. Start-up under
valgrind takes minutes.

    python bench/sms_instructions.py                     # this checkout, 200 texts, 10 citizens
    python bench/sms_instructions.py --checkout /tmp/base --texts 400
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

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sms_load import PASSWORD, SECRET, USERNAME, WALK, Citizens, FakeKannel, get_url, send_text  # noqa: E402
from bench.ussd_load import free_port, wait_healthy  # noqa: E402

START_TIMEOUT_S = 1200.0
"""Seconds for the server to start under valgrind (minutes on a loaded machine)."""


async def drive(base: str, kannel: FakeKannel, texts: int, concurrency: int, prefix: str) -> None:
    """`texts` texts from `concurrency` citizens at a time, then wait for every reply at the fake."""
    citizens, left = Citizens(prefix), texts
    async with ClientSession(connector=TCPConnector(limit=concurrency + 5), timeout=ClientTimeout(total=600)) as http:
        async def citizen() -> None:
            nonlocal left
            while left > 0:
                phone = citizens.new()
                for body in WALK:
                    if left <= 0:
                        return
                    left -= 1
                    if not await send_text(http, get_url(base, phone, citizens.message_id(), body)):
                        raise SystemExit("a text was not acknowledged")
                    kannel.ack(phone, time.perf_counter())
        await asyncio.gather(*(citizen() for _ in range(concurrency)))
    while len(kannel.sent) < texts:
        await asyncio.sleep(0.05)


async def count(checkout: Path, texts: int, concurrency: int) -> int:
    """The server's total instructions after start-up, `texts` texts and a clean stop."""
    kannel = FakeKannel()
    app = web.Application()
    app.router.add_get("/cgi-bin/sendsms", kannel.sendsms)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    kannel_port, port = free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", kannel_port).start()
    with tempfile.TemporaryDirectory(prefix="pishkhan-ir-") as tmp:
        out = f"{tmp}/callgrind.out"
        env = {**os.environ, "PISHKHAN_STORE_PATH": f"{tmp}/store.sqlite3", "PISHKHAN_REDIS_URL": "", "PYTHONHASHSEED": "0",
               "PISHKHAN_SERVER_LOG_LEVEL": "WARNING", "PISHKHAN_SMS_PROVIDERS_KANNEL_BASE_URL": f"http://127.0.0.1:{kannel_port}",
               "PISHKHAN_SMS_PROVIDERS_KANNEL_USERNAME": USERNAME, "PISHKHAN_SMS_PROVIDERS_KANNEL_PASSWORD": PASSWORD,
               "PISHKHAN_SMS_PROVIDERS_KANNEL_SECRET": SECRET, "PISHKHAN_SMS_PROVIDERS_KANNEL_RATE": "10000",
               "PISHKHAN_SMS_PROVIDERS_KANNEL_BURST": "1000"}
        python = checkout / ".venv" / "bin" / "python"
        with open(f"{tmp}/log", "wb") as log:
            interpreter = str(python if python.exists() else sys.executable)
            proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", interpreter,
                                     "-m", "gateway", "serve", "--config", "config", "--port", str(port)],
                                    cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            try:
                await wait_healthy(base, proc, "the server under valgrind", START_TIMEOUT_S)
                await drive(base, kannel, texts, concurrency, f"t{texts}")
                await asyncio.sleep(2)  # the last sends' delivery records
                proc.send_signal(2)
                proc.wait(timeout=600)
            finally:
                if proc.poll() is None:
                    proc.kill()
                await runner.cleanup()
        found = re.search(r"^(?:summary|totals): (\d+)", Path(out).read_text(errors="replace"), re.M)
        if found is None:
            raise SystemExit(f"no total in {out}")
        return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Instructions per SMS text (callgrind, whole path).")
    p.add_argument("--checkout", type=Path, default=Path(__file__).resolve().parent.parent, help="the checkout to count (its .venv)")
    p.add_argument("--texts", type=int, default=200, help="texts counted (N)")
    p.add_argument("--base", type=int, default=16, help="texts of the run subtracted (start-up and first-use costs)")
    p.add_argument("--concurrency", type=int, default=10, help="citizens texting at a time")
    args = p.parse_args(argv)
    if min(args.texts, args.base, args.concurrency) < 1:
        p.error("--texts, --base and --concurrency must be positive")
    first = asyncio.run(count(args.checkout, args.base, args.concurrency))
    second = asyncio.run(count(args.checkout, args.base + args.texts, args.concurrency))
    print(f"{args.checkout}: {(second - first) / args.texts:,.0f} instructions per text ({args.texts} texts, {args.concurrency} citizens)")


if __name__ == "__main__":
    main()
