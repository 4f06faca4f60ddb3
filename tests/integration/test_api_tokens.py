"""When an operator API token was last used: recorded on use, written at most once a minute, listed
by `pishkhan tokens list` so stale tokens can be found and revoked."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

import pytest

from gateway.app import GATEWAY
from gateway.cli import main
from gateway.settings import Settings
from gateway.tokens import TokenStore

CONFIG = str(Path(__file__).resolve().parents[2] / "config")


@pytest.mark.sqlite  # counts writes with SQLite's total_changes
async def test_last_use_is_written_once_a_minute_and_listed(client, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    db = client.app[GATEWAY].db
    tokens = TokenStore(db)
    token = await tokens.create("viewer", "night audit", actor="cli:test")
    headers = {"Authorization": f"Bearer {token}"}
    await tokens.create("operator", "old desk", actor="cli:test")

    async def last_used() -> float | None:
        row = await db.fetchone("SELECT last_used_at FROM api_tokens WHERE name = 'night audit'")
        return row["last_used_at"] if row else None

    assert await last_used() is None
    assert (await client.get("/api/v1/services", headers=headers)).status == 200
    first = await last_used()
    assert first is not None
    writes = db.conn.total_changes
    assert (await client.get("/api/v1/requests", headers=headers)).status == 200
    assert await last_used() == first and db.conn.total_changes == writes  # within the minute: no write at all

    await db.execute("UPDATE api_tokens SET last_used_at = ? WHERE name = 'night audit'", (first - 61,))
    writes = db.conn.total_changes
    assert all(await asyncio.gather(*(tokens.verify(token) for _ in range(5))))  # all five read the stale time first
    latest = await last_used()
    assert latest is not None and latest >= first and db.conn.total_changes == writes + 1  # one write: the SQL re-checks

    monkeypatch.setenv("PISHKHAN_STORE_URL", settings.store_url())
    assert await asyncio.to_thread(main, ["--config", CONFIG, "tokens", "list"]) == 0
    listed = capsys.readouterr().out
    stamp = datetime.datetime.fromtimestamp(latest).strftime("%Y-%m-%d %H:%M")
    assert f"viewer\tnight audit\tcreated {stamp[:10]}" in listed and f"\tlast used {stamp}\trevoked -" in listed
    assert "operator\told desk\t" in listed and "\tlast used never\t" in listed
