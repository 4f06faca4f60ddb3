"""`/api/v1/payments` (list, filter, get, reconcile) and `pishkhan payments reconcile`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.payer import apply_by_ussd, outbox, pay_in_sandbox

from gateway.app import open_gateway
from gateway.cli import main
from gateway.settings import load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def viewer(tokens) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return tokens["viewer"]


async def test_list_filter_and_get_payments(client, viewer) -> None:  # type: ignore[no-untyped-def]
    paid_code = await apply_by_ussd(client)
    [link] = await outbox(client, "payment_link")
    await pay_in_sandbox(client, link["meta"]["url"])
    pending_code = await apply_by_ussd(client, phone="+989351112233")

    listed = await (await client.get("/api/v1/payments", headers=viewer)).json()
    assert listed["total"] == 2 and [p["tracking_code"] for p in listed["items"]] == [pending_code, paid_code]
    paid = await (await client.get("/api/v1/payments?state=paid", headers=viewer)).json()
    assert [p["tracking_code"] for p in paid["items"]] == [paid_code] and paid["items"][0]["ref_id"]
    by_request = await (await client.get(f"/api/v1/payments?request={pending_code}&limit=1", headers=viewer)).json()
    assert [p["state"] for p in by_request["items"]] == ["pending"] and by_request["limit"] == 1

    one = await (await client.get(f"/api/v1/payments/{paid['items'][0]['id']}", headers=viewer)).json()
    assert one["amount"] == 300000 and one["currency"] == "IRR" and one["provider"] == "sandbox"
    assert [e["kind"] for e in one["events"]] == ["created", "link_sent", "started", "verify", "paid"]
    assert "token" not in str(one) and "csrf" not in one

    report = await (await client.get("/api/v1/payments/reconcile", headers=viewer)).json()
    assert [(f["kind"], f["tracking_code"]) for f in report["items"]] == [("pending", pending_code)]


async def test_payments_api_errors(client, viewer) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/api/v1/payments")).status == 401
    for query, field in (("state=won", "state"), ("provider=paypal", "provider"), ("request=123", "request"), ("limit=0", "limit")):
        response = await client.get(f"/api/v1/payments?{query}", headers=viewer)
        assert response.status == 422 and (await response.json())["error"]["field"] == field
    assert (await client.get("/api/v1/payments/999", headers=viewer)).status == 404
    assert (await client.get("/api/v1/payments/x1", headers=viewer)).status == 422


def test_reconcile_lists_pending_mismatched_and_orphaned(store_url: str, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PISHKHAN_STORE_URL", store_url)

    async def prepare() -> None:
        gateway = await open_gateway(load_settings(CONFIG, environ={}).updated({"store": {"url": store_url}}))
        try:
            records = []
            for phone in ("tel:+989121111111", "tel:+989122222222", "tel:+989123333333"):
                records.append(await gateway.requests.submit("121095100", {"national_code": "0499370899", "birth_date": "1375/06/21"},
                                                             channel="ussd", address=phone, phone=phone[4:], lang="en"))
            await gateway.requests.set_payment_state(records[1].id, "paid")  # the request says paid; its payment does not
            await gateway.db.execute("DELETE FROM payment_events WHERE payment_id IN (SELECT id FROM payments WHERE request_id = ?)",
                                     (records[2].id,))
            await gateway.db.execute("DELETE FROM payments WHERE request_id = ?", (records[2].id,))  # a request with a fee and no link
        finally:
            await gateway.close()

    asyncio.run(prepare())
    assert main(["--config", str(CONFIG), "payments", "reconcile"]) == 1
    out = capsys.readouterr().out
    assert out.count("pending\tpayment") == 2
    assert "request shows payment paid, payments say pending" in out
    assert "fee 300000 but no payment link" in out
    assert out.strip().endswith("2 pending, 1 mismatched, 1 orphaned")
