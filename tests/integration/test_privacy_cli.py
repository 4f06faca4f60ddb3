"""`pishkhan privacy sweep`: the retention job once, now, on a store with requests and messages older and
younger than `privacy.retention_days` (365 in config/); `--dry-run` counts the same and changes nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from clock import ManualClock

from gateway.assembly import open_gateway
from gateway.cli import main
from gateway.settings import Settings

CONFIG = str(Path(__file__).resolve().parents[2] / "config")
DAY = 86400.0
ALI = "+989121234567"
SMART_ID = "121095100"


async def _seed(settings: Settings) -> tuple[str, str, str, int]:
    """(finished 400 days ago, still open, finished 10 days ago, messages sent 400 days ago)."""
    clock = ManualClock(time.time() - 400 * DAY)
    gateway = await open_gateway(settings, clock=clock)
    try:
        async def apply(code: str) -> str:
            record = await gateway.requests.submit(SMART_ID, {"national_code": code, "birth_date": "1375/06/21"}, channel="ussd",
                                                   address=f"tel:{ALI}", phone=ALI, lang="en")
            return record.tracking_code

        async def reject(tracking_code: str) -> None:
            await gateway.requests.transition(tracking_code, "in_review", actor="cli:test", reason=None)
            await gateway.requests.transition(tracking_code, "rejected", actor="cli:test", reason="the photo is missing")
            await gateway.db.execute("UPDATE outbox SET state = 'sent', updated_at = ? WHERE state = 'pending'", (clock(),))

        old, still_open = await apply("0499370899"), await apply("0067749828")
        await reject(old)
        [sent] = await gateway.db.fetchall("SELECT count(*) AS n FROM outbox")
        clock.advance(390 * DAY)
        young = await apply("0013542419")
        await reject(young)
        return old, still_open, young, int(sent["n"])
    finally:
        await gateway.close()


async def _national_codes(settings: Settings) -> dict[str, Any]:
    gateway = await open_gateway(settings)
    try:
        return {r["tracking_code"]: r["national_code"] for r in await gateway.db.fetchall("SELECT tracking_code, national_code FROM requests")}
    finally:
        await gateway.close()


def test_the_sweep_erases_what_is_past_the_period_and_the_dry_run_only_counts_it(  # type: ignore[no-untyped-def]
        settings: Settings, store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PISHKHAN_STORE_URL", store_url)
    old, still_open, young, sent = asyncio.run(_seed(settings))
    assert sent >= 1
    before = asyncio.run(_national_codes(settings))

    assert main(["--config", CONFIG, "privacy", "sweep", "--dry-run"]) == 0
    assert capsys.readouterr().out == (f"would erase the personal inputs of 1 requests and the texts of {sent} messages"
                                       " (finished or sent more than 365 days ago); nothing was changed\n")
    assert asyncio.run(_national_codes(settings)) == before

    assert main(["--config", CONFIG, "privacy", "sweep"]) == 0
    assert capsys.readouterr().out == (f"erased the personal inputs of 1 requests and the texts of {sent} messages"
                                       " (finished or sent more than 365 days ago)\n")
    assert asyncio.run(_national_codes(settings)) == {**before, old: None}
    assert before[still_open] == "0067749828" and before[young] == "0013542419"

    assert main(["privacy", "sweep", "--config", CONFIG]) == 0          # nothing is left to erase
    assert capsys.readouterr().out.startswith("erased the personal inputs of 0 requests and the texts of 0 messages")
