"""`pishkhan payments reconcile --repair` and `POST /api/v1/payments/reconcile`: payments whose
callback never came are settled with the provider (Zarinpal fake, sandbox), dead links expire, a
provider that is down leaves everything as it was, and a second run changes nothing."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from api_tokens import role_headers
from fakes.payer import decide_at_sandbox, outbox, payment_state, start_payment
from fakes.zarinpal import MERCHANT
from ussd_citizen import apply_by_ussd
from waiting import eventually

from gateway.app import GATEWAY
from gateway.cli import main
from gateway.settings import Settings

CONFIG = str(Path(__file__).resolve().parents[2] / "config")
PAID, TAMPERED, IDLE, BROWSING = "+989121111111", "+989122222222", "+989123333333", "+989124444444"


@pytest.fixture
def cli_env(settings: Settings, fake, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The command line sees the test's store and pays through the fake Zarinpal, like the test's app."""
    for name, value in (("STORE_URL", settings.store_url()), ("PAYMENTS_PROVIDER", "zarinpal"),
                        ("PAYMENTS_ZARINPAL_BASE_URL", fake[1]), ("PAYMENTS_ZARINPAL_MERCHANT_ID", MERCHANT)):
        monkeypatch.setenv(f"PISHKHAN_{name}", value)


async def repair_cli(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str]:
    """Run the command in its own thread and event loop (the fake bank keeps serving on this one)."""
    code = await asyncio.to_thread(main, ["--config", CONFIG, "payments", "reconcile", "--repair", *flags])
    return code, capsys.readouterr().out


async def outbox_idle(client: Any) -> bool:
    """Nothing left for the dispatcher to send."""
    return not await client.app[GATEWAY].db.fetchall("SELECT id FROM outbox WHERE state IN ('pending', 'sending')")


async def snapshot(client: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row a repair could change, once the app's dispatcher has sent what the repair queued
    (it polls for rows another connection wrote, so it sends them at a moment of its own)."""
    db = client.app[GATEWAY].db

    async def drained() -> bool:
        return await db.fetchone("SELECT 1 FROM outbox WHERE state IN ('pending', 'sending')") is None

    await eventually(drained)
    return {table: await db.fetchall(f"SELECT * FROM {table} ORDER BY id") for table in ("payments", "payment_events", "outbox", "requests")}


async def test_repair_settles_missed_callbacks_and_a_second_run_changes_nothing(zclient, fake, cli_env, capsys, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    bank, _ = fake
    paid, _, paid_authority = await start_payment(zclient, PAID)
    bank.pay(paid_authority)  # the citizen pays and closes the browser: no callback
    tampered, _, tampered_authority = await start_payment(zclient, TAMPERED)
    bank.pay(tampered_authority, amount=1000)
    idle = await apply_by_ussd(zclient, phone=IDLE)  # never opens the link
    gateway = zclient.app[GATEWAY]
    await gateway.db.execute("UPDATE payments SET link_expires_at = ? WHERE authority IS NULL", (time.time() - 60,))

    code, out = await repair_cli(capsys)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[-1] == "3 repaired, 0 unchanged, 0 provider_down, 0 needs_person"
    assert any(line.startswith("repaired\tpayment") and f"\t{paid}\tpending -> paid\tzarinpal code 100" in line
               and "receipt queued" in line for line in lines), out
    assert any(f"\t{tampered}\tpending -> failed\tamount mismatch: the provider did not confirm 300000 rials (code -50)" in line
               for line in lines), out
    assert any(f"\t{idle}\tpending -> expired\tlink expired" in line for line in lines), out
    assert [body["amount"] for kind, body in bank.calls if kind == "verify"] == [300000, 300000]  # our stored amount, not what was paid
    assert await payment_state(zclient, paid) == ("paid", "paid")
    assert await payment_state(zclient, tampered) == ("failed", "failed")
    assert await payment_state(zclient, idle) == ("expired", "pending")
    [receipt] = await outbox(zclient, "payment_receipt")
    assert receipt["meta"]["tracking_code"] == paid and str(bank.sessions[paid_authority].ref_id) in receipt["text"]

    await eventually(lambda: outbox_idle(zclient))  # the app's dispatcher sends what the repair queued
    before = await snapshot(zclient)
    code, out = await repair_cli(capsys)
    assert await snapshot(zclient) == before
    assert code == 1 and out.splitlines()[-1] == "0 repaired, 0 unchanged, 0 provider_down, 1 needs_person"  # the refund question stays
    assert "needs_person\tpayment" in out and "refund it at the provider" in out
    logged = caplog.text + out
    assert MERCHANT not in logged and not any(phone in logged for phone in (PAID, TAMPERED, IDLE))


async def test_a_provider_that_is_down_leaves_payments_pending_and_says_so(zclient, fake, cli_env, capsys) -> None:  # type: ignore[no-untyped-def]
    bank, _ = fake
    paid, _, authority = await start_payment(zclient, PAID)
    bank.pay(authority)
    browsing, _, _ = await start_payment(zclient, BROWSING)  # still on the bank's page
    bank.fail_with = 502

    code, out = await repair_cli(capsys)
    assert code == 1
    assert "provider_down" in out and "zarinpal did not answer (zarinpal /pg/v4/payment/verify.json: HTTP 502)" in out
    assert "not asked: zarinpal did not answer for payment" in out  # one failure is enough: the rest wait for the next run
    assert out.splitlines()[-1] == "0 repaired, 0 unchanged, 2 provider_down, 0 needs_person"
    assert await payment_state(zclient, paid) == ("pending", "pending") and await outbox(zclient, "payment_receipt") == []

    bank.fail_with = None
    code, out = await repair_cli(capsys, "--json")
    assert code == 0
    done = {item["tracking_code"]: item for item in json.loads(out)}
    assert (done[paid]["result"], done[paid]["before"], done[paid]["after"]) == ("repaired", "pending", "paid")
    assert done[browsing]["result"] == "unchanged" and "may still be paying" in done[browsing]["why"]  # unpaid, but only just started
    assert await payment_state(zclient, browsing) == ("pending", "pending")
    assert len(await outbox(zclient, "payment_receipt")) == 1


async def test_repair_over_the_api_needs_an_operator(client) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    headers = await role_headers(gateway.db)
    paid, _, authority = await start_payment(client, PAID)
    await decide_at_sandbox(client, gateway.payments.provider.redirect_url(authority))  # paid; the browser never comes back
    orphan = await apply_by_ussd(client, phone=IDLE)
    record = await gateway.requests.get(orphan)
    await gateway.db.execute("DELETE FROM payment_events WHERE payment_id IN (SELECT id FROM payments WHERE request_id = ?)", (record.id,))
    await gateway.db.execute("DELETE FROM payments WHERE request_id = ?", (record.id,))  # as if the submit stopped before its payment

    assert (await client.post("/api/v1/payments/reconcile")).status == 401
    refused = await client.post("/api/v1/payments/reconcile", headers=headers["viewer"])
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "forbidden"
    assert await payment_state(client, paid) == ("pending", "pending")

    response = await client.post("/api/v1/payments/reconcile", headers=headers["operator"])
    body = await response.json()
    assert response.status == 200 and body["left"] == 0 and body["counts"]["repaired"] == 2
    done = {item["tracking_code"]: item for item in body["items"]}
    assert (done[paid]["problem"], done[paid]["after"]) == ("at_provider", "paid")
    assert done[orphan]["problem"] == "no_payment" and done[orphan]["after"] == "pending"
    assert await payment_state(client, paid) == ("paid", "paid") and await payment_state(client, orphan) == ("pending", "pending")
    assert len([r for r in await outbox(client, "payment_link") if r["meta"]["tracking_code"] == orphan]) == 2  # the new link went out

    again = await (await client.post("/api/v1/payments/reconcile", headers=headers["admin"])).json()
    assert again["counts"]["repaired"] == 0 and len(await outbox(client, "payment_receipt")) == 1
