"""What `pishkhan db copy` takes for a pilot of a given size: a scratch SQLite pilot of `--requests`
requests (each with its submission event, its receipt in the outbox, a payment and its creation
event: five rows a request), copied by the real command into `--to` (an empty store: a new
PostgreSQL database, or by default a SQLite file next to the pilot), then checked by it.

    python bench/db_copy.py                                              # 20,000 requests, SQLite to SQLite
    python bench/db_copy.py --to postgresql://postgres@127.0.0.1:5432/empty --requests 50000

Prints the command's own report (the copy's rows/s is on its last line) and the whole run's time,
check included (it reads every row of both stores back).
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.assembly import open_gateway  # noqa: E402
from gateway.settings import load_settings  # noqa: E402
from gateway.store.url import database_at  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


async def pilot(url: str, requests: int) -> None:
    """A pilot store: the gateway's own start (catalogue, content version 1), then `requests` requests."""
    await (await open_gateway(load_settings(ROOT / "config", environ={}).updated({"store": {"url": url}}))).close()
    db = await database_at(url).open()
    try:
        now = time.time()
        for first in range(1, requests + 1, BATCH):
            ids = range(first, min(first + BATCH, requests + 1))
            async with db.transaction() as tx:
                await tx.executemany(
                    "INSERT INTO requests (id, tracking_code, service_id, channel, address, phone, national_code, lang, inputs,"
                    " fee, payment_state, due_date, created_at, updated_at) VALUES (?, ?, '121095100', 'ussd', ?, ?, '0499370899',"
                    " 'fa', ?, 300000, 'pending', '2026-12-14', ?, ?)",
                    [(i, f"P{i:09d}", f"tel:+98912{i:07d}", f"+98912{i:07d}",
                      '{"national_code": "0499370899", "birth_date": "۱۳۷۵/۰۶/۲۱"}', now + i / 10, now + i / 10) for i in ids])
                await tx.executemany("INSERT INTO request_events (id, request_id, at, actor, to_status, notified)"
                                     " VALUES (?, ?, ?, 'citizen', 'submitted', 1)", [(i, i, now + i / 10) for i in ids])
                await tx.executemany(
                    "INSERT INTO outbox (id, channel, address, text, kind, meta, state, next_attempt_at, idempotency_key, created_at,"
                    " updated_at) VALUES (?, 'sms', ?, ?, 'receipt', '{\"lang\": \"fa\"}', 'sent', ?, ?, ?, ?)",
                    [(i, f"tel:+98912{i:07d}", f"درخواست شما ثبت شد. کد پیگیری: P{i:09d}", now, f"receipt:{i}", now, now) for i in ids])
                await tx.executemany(
                    "INSERT INTO payments (id, request_id, amount, provider, token_hash, csrf, link_expires_at, created_at, updated_at)"
                    " VALUES (?, ?, 300000, 'sandbox', ?, 'csrf', ?, ?, ?)", [(i, i, f"{i:064x}", now + 86400, now, now) for i in ids])
                await tx.executemany("INSERT INTO payment_events (id, payment_id, at, kind, to_state) VALUES (?, ?, ?, 'created', 'pending')",
                                     [(i, i, now) for i in ids])
    finally:
        await db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--to", help="an empty store's URL (default: a SQLite file in a temporary directory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pishkhan-copy-") as scratch:
        source = f"sqlite:///{Path(scratch) / 'pilot.sqlite3'}"
        started = time.monotonic()
        asyncio.run(pilot(source, args.requests))
        print(f"pilot of {args.requests:,} requests made in {time.monotonic() - started:.1f} s")
        target = args.to or f"sqlite:///{Path(scratch) / 'target.sqlite3'}"
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "gateway", "--config", str(ROOT / "config"), "db", "copy", "--from", source,
                               "--to", target], check=False)
        print(f"db copy exited {done.returncode} after {time.monotonic() - started:.1f} s, the check included")
        return done.returncode


if __name__ == "__main__":
    sys.exit(main())
