"""What `store.synchronous` costs: request submissions (the request row, its event and its receipt in
the outbox, one transaction) on a real SQLite file, per synchronous mode, in one run.

The USSD load bench only walks menus and never commits, so it cannot see this cost. A submission
is what a citizen waits on at "confirm": FULL syncs the WAL at every commit so that an acknowledged
request survives power loss; NORMAL syncs only at checkpoints.

    python bench/store_sync.py                       # 2,000 submissions per mode, in a temp dir
    python bench/store_sync.py --dir /var/lib/pishkhan --count 500 --json
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.calendar import CalendarSettings, build_calendar  # noqa: E402
from gateway.catalogue.store import CatalogueStore  # noqa: E402
from gateway.flowfiles import read_catalogue  # noqa: E402
from gateway.outbox import Outbox  # noqa: E402
from gateway.requests import RequestService, SqlRequestStore  # noqa: E402
from gateway.settings import load_settings  # noqa: E402
from gateway.store import Database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "121095100"
INPUTS = {"national_code": "0499370899", "birth_date": "1375/06/21"}
CONCURRENCY = 50


async def submissions(path: Path, synchronous: str, count: int) -> dict[str, float]:
    """Submit `count` requests one after another (latency), then `count` from 50 citizens at once (rate)."""
    settings = load_settings(ROOT / "config", environ={})
    catalogue = read_catalogue(settings, [])
    db = await Database(path, synchronous=synchronous).open()
    await CatalogueStore(db).import_catalogue(catalogue)
    service = RequestService(SqlRequestStore(db), Outbox(db), build_calendar(CalendarSettings()), lambda: catalogue)

    async def submit(n: int) -> float:
        started = time.perf_counter()
        await service.submit(SERVICE, INPUTS, channel="ussd", address=f"tel:+98912{n:07d}", phone=f"+98912{n:07d}",
                             lang="en", idempotency_key=None)
        return time.perf_counter() - started

    latencies = sorted([await submit(n) for n in range(count)])
    started = time.perf_counter()
    for batch in range(0, count, CONCURRENCY):
        await asyncio.gather(*(submit(count + n) for n in range(batch, min(batch + CONCURRENCY, count))))
    rate = count / (time.perf_counter() - started)
    await db.close()
    return {"p50_ms": statistics.median(latencies) * 1000, "p99_ms": latencies[int(0.99 * (count - 1))] * 1000,
            "per_s_concurrent": rate}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", help="where to put the scratch databases (default: a temp dir); use the store's disk")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="pishkhan-bench-") as scratch:
        results = {mode: await submissions(Path(scratch) / f"{mode}.sqlite3", mode, args.count) for mode in ("NORMAL", "FULL")}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for mode, numbers in results.items():
        print(f"{mode:7} one at a time: p50 {numbers['p50_ms']:.2f} ms, p99 {numbers['p99_ms']:.2f} ms;"
              f" {CONCURRENCY} at once: {numbers['per_s_concurrent']:.0f} submissions/s")


if __name__ == "__main__":
    asyncio.run(main())
