"""Tokens limited to agencies, with an expiry, rotated with a grace period: made and listed by `pishkhan tokens`,
enforced by the operator API (a scoped token on a national route: 403; an expired one: 401 saying when)."""

from __future__ import annotations

import asyncio
import datetime
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.app import GATEWAY
from gateway.audit import AuditLog
from gateway.cli import main
from gateway.settings import Settings

CONFIG = str(Path(__file__).resolve().parents[2] / "config")


def _run(args: list[str]) -> int:
    try:
        return main(["--config", CONFIG, "tokens", *args])
    except SystemExit as exit:  # argparse refusing an argument
        return int(exit.code or 0)


async def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Exit code and output of `pishkhan tokens ...`, run as an operator runs it."""
    code = await asyncio.to_thread(_run, list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_scoped_expiring_tokens_rotated_with_a_grace_period(client: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    gateway = client.app[GATEWAY]
    db = gateway.db
    monkeypatch.setenv("PISHKHAN_STORE_URL", settings.store_url())
    first, second = (a.id for a in gateway.catalogue.agencies[:2])

    code, out = await _cli(capsys, "create", "--role", "operator", "--name", "registry desk", "--agency", first, "--agency", "nowhere")
    assert code == 1 and "agency: unknown nowhere" in out
    code, out = await _cli(capsys, "create", "--role", "operator", "--name", "registry desk", "--expires-in", "soon")
    assert code == 2 and "'soon' is neither a span such as 90d, 12h or 30m nor a day" in out
    code, out = await _cli(capsys, "create", "--role", "viewer", "--name", "old audit", "--expires-in", "1400/01/01")
    assert code == 1 and "expires: 2021-03-20T20:30:00+00:00 is already past" in out  # a Jalali day, from its midnight in Tehran
    code, out = await _cli(capsys, "create", "--role", "viewer", "--name", "next audit", "--expires-in", "2099-01-01")
    assert code == 0
    code, out = await _cli(capsys, "create", "--role", "operator", "--name", "registry desk", "--agency", second, "--agency", first,
                           "--expires-in", "90d")
    assert code == 0
    token = out.strip().splitlines()[-1]
    [row] = await db.fetchall("SELECT id, agencies, expires_at FROM api_tokens WHERE name = 'registry desk'")
    assert row["agencies"] == ",".join(sorted((first, second))) and abs(row["expires_at"] - (time.time() + 90 * 86400)) < 60

    # Scoped: its agencies' routes answer, a route every agency shares does not.
    assert (await client.get("/api/v1/requests", headers=_bearer(token))).status == 200
    shared = await client.get("/api/v1/analytics/nodes", headers=_bearer(token))
    assert shared.status == 403 and (await shared.json())["error"]["code"] == "national_only"

    code, out = await _cli(capsys, "list")
    tehran_midnight = datetime.datetime(2099, 1, 1, tzinfo=ZoneInfo("Asia/Tehran")).timestamp()
    shown = datetime.datetime.fromtimestamp(tehran_midnight).strftime("%Y-%m-%d %H:%M")  # the list says times in the shell's zone
    assert "\tnext audit\t" in out and f"\tagencies all\texpires {shown}" in out
    line = next(line for line in out.splitlines() if "registry desk" in line)
    assert f"\trevoked -\tagencies {row['agencies']}\texpires 20" in line

    # Rotation: a new secret, same name, role and scope; the old one works through the grace period, then stops.
    code, out = await _cli(capsys, "rotate", str(row["id"]), "--grace", "2h")
    assert code == 0 and f"replaces token {row['id']}" in out
    rotated = out.strip().splitlines()[-1]
    assert rotated != token
    [new] = await db.fetchall("SELECT id, name, role, agencies, expires_at FROM api_tokens WHERE replaced_by IS NULL AND name = 'registry desk'")
    assert (new["role"], new["agencies"], new["expires_at"]) == ("operator", row["agencies"], row["expires_at"])
    for secret in (token, rotated):
        assert (await client.get("/api/v1/requests", headers=_bearer(secret))).status == 200
    [old] = await db.fetchall("SELECT expires_at, replaced_by FROM api_tokens WHERE id = ?", (row["id"],))
    assert old["replaced_by"] == new["id"] and abs(old["expires_at"] - (time.time() + 7200)) < 60
    entries, _ = await AuditLog(db).list(action="token.rotated")
    assert [(e.subject, e.detail["replaced_by"], e.actor.startswith("cli:")) for e in entries] == [(f"token {row['id']}", new["id"], True)]
    code, out = await _cli(capsys, "rotate", str(row["id"]))
    assert code == 1 and f"token {row['id']} was rotated already: token {new['id']} replaces it" in out

    await db.execute("UPDATE api_tokens SET expires_at = ? WHERE id = ?", (time.time() - 1, row["id"]))  # the grace period is over
    refused = await client.get("/api/v1/requests", headers=_bearer(token))
    error = (await refused.json())["error"]
    assert refused.status == 401 and error["code"] == "token_expired"
    assert error["message"].startswith(f"token {row['id']} rotated (token {new['id']} replaces it): it stopped working at ")
    assert (await client.get("/api/v1/requests", headers=_bearer(rotated))).status == 200

    await db.execute("UPDATE api_tokens SET expires_at = ? WHERE id = ?", (time.time() - 1, new["id"]))  # its own 90 days are over
    refused = await client.get("/api/v1/requests", headers=_bearer(rotated))
    assert refused.status == 401 and (await refused.json())["error"]["message"].startswith(f"token {new['id']} expired: it stopped working at ")
    code, out = await _cli(capsys, "list")
    lines = [line for line in out.splitlines() if "registry desk" in line]
    assert "\texpired " in lines[0] and f"(rotated: token {new['id']})" in lines[0] and "\texpired " in lines[1]
    code, out = await _cli(capsys, "rotate", str(new["id"]))
    assert code == 1 and f"no active token has id {new['id']}" in out
