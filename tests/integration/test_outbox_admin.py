"""`/api/v1/outbox` and `pishkhan outbox`: operators find dead-lettered messages and send them again."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from api_tokens import role_headers
from fakes.sms_gateway import ALI, SmsRig
from redis.asyncio import Redis
from redis_server import RedisServer
from waiting import eventually

from flows.errors import ProviderError
from gateway.app import GATEWAY
from gateway.cli import main
from gateway.outbox import Outbox, OutboxMessage, OutboxSettings, SendResult
from gateway.outbox.admin import OutboxAdmin
from gateway.outbox.stream import OutboxStream, StreamDispatcher, StreamOutbox
from gateway.store.url import database_at

CONFIG = str(Path(__file__).resolve().parents[2] / "config")
SECRET_TEXT = "Pay here: https://gw.example/pay/tok_s3cret-link"


async def sent_message(client, text: str = SECRET_TEXT) -> int:  # type: ignore[no-untyped-def]
    """A payment-link SMS, sent by the default (logging) sender."""
    gateway = client.app[GATEWAY]
    message_id = await gateway.outbox.enqueue("sms", f"tel:{ALI}", text, kind="payment_link", meta={"url": text.split()[-1]})
    await eventually(lambda: _state_is(gateway, message_id, "sent"))
    return message_id


async def _state_is(gateway, message_id: int, state: str) -> bool:  # type: ignore[no-untyped-def]
    return (await gateway.outbox.get(message_id))["state"] == state


async def dead_message(client, text: str = SECRET_TEXT) -> int:  # type: ignore[no-untyped-def]
    """A message the dispatcher gave up on (set in the store: the provider journey is tested with Kannel below)."""
    message_id = await sent_message(client, text)
    await client.app[GATEWAY].db.execute("UPDATE outbox SET state = 'dead', attempts = 6, last_error = 'HTTP 503' WHERE id = ?", (message_id,))
    return message_id


async def test_a_message_dead_lettered_by_kannel_is_found_retried_and_delivered(rig: SmsRig) -> None:
    tokens = await role_headers(rig.gateway.db)
    attempts = rig.gateway.outbox.settings.max_attempts
    rig.kannel.fail_next = [503] * attempts
    await rig.text("hi")
    for attempt in range(1, attempts):
        await eventually(lambda attempt=attempt: rig.outbox(state="pending", attempts=attempt))
        await rig.make_due()
    [row] = await eventually(lambda: rig.outbox(state="dead"))
    menu = rig.sent_text(row["id"])

    response = await rig.client.get("/api/v1/outbox?state=dead", headers=tokens["viewer"])
    raw = await response.text()
    [item] = json.loads(raw)["items"]
    assert response.status == 200 and item["id"] == row["id"] and item["attempts"] == attempts
    assert item["channel"] == "sms" and item["kind"] == "reply" and item["address"] == "tel:+98912****567"
    assert "HTTP 503" in item["last_error"] and item["updated_at"].endswith("+00:00")
    assert "text" not in item and "meta" not in item and ALI not in raw
    assert menu[:20] not in json.dumps(json.loads(raw), ensure_ascii=False)

    url = f"/api/v1/outbox/{row['id']}/retry"
    assert (await rig.client.post(url)).status == 401
    refused = await rig.client.post(url, headers=tokens["viewer"])
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "forbidden"
    assert len(rig.kannel.calls) == attempts

    response = await rig.client.post(url, headers=tokens["operator"])
    body = await response.json()
    assert response.status == 200 and body["state"] == "pending" and body["previous_state"] == "dead" and "HTTP 503" in body["last_error"]
    [row] = await eventually(lambda: rig.outbox(state="sent"))
    assert row["attempts"] == 1 and row["provider"] == "kannel" and row["last_error"] is None
    assert len(rig.kannel.calls) == attempts + 1 and rig.kannel.calls[-1]["to"] == ALI and rig.kannel.calls[-1]["text"] == menu
    assert (await (await rig.client.get("/api/v1/outbox?state=dead", headers=tokens["viewer"])).json())["items"] == []


async def test_a_sent_or_opted_out_message_is_never_retried(client, tokens) -> None:  # type: ignore[no-untyped-def]
    sent = await sent_message(client)
    response = await client.post(f"/api/v1/outbox/{sent}/retry", headers=tokens["operator"])
    error = (await response.json())["error"]
    assert response.status == 409 and error["code"] == "not_retryable"
    assert error["message"] == f"outbox message {sent} is sent: it was sent; it is never sent twice; only dead or failed messages can be retried"
    suppressed = await client.app[GATEWAY].outbox.enqueue("sms", f"tel:{ALI}", "status", delay=3600)
    await client.app[GATEWAY].outbox.mark_suppressed(suppressed, "not sent: the number opted out of notifications")
    response = await client.post(f"/api/v1/outbox/{suppressed}/retry", headers=tokens["operator"])
    assert response.status == 409 and "opted out" in (await response.json())["error"]["message"]
    for missing, status in (("999", 404), ("x1", 422), ("1" * 40, 422)):
        assert (await client.post(f"/api/v1/outbox/{missing}/retry", headers=tokens["operator"])).status == status
    assert (await client.app[GATEWAY].outbox.get(sent))["attempts"] == 1


async def test_two_retries_at_once_make_one(client, tokens) -> None:  # type: ignore[no-untyped-def]
    dead = await dead_message(client)
    url = f"/api/v1/outbox/{dead}/retry"
    responses = await asyncio.gather(*(client.post(url, headers=tokens["operator"]) for _ in range(2)))
    assert sorted(r.status for r in responses) == [200, 409]
    await eventually(lambda: _state_is(client.app[GATEWAY], dead, "sent"))
    assert (await client.app[GATEWAY].outbox.get(dead))["attempts"] == 1


async def test_text_and_meta_only_for_operators_and_never_in_lists(client, tokens) -> None:  # type: ignore[no-untyped-def]
    message_id = await sent_message(client)
    for role in ("viewer", "operator"):
        raw = await (await client.get("/api/v1/outbox", headers=tokens[role])).text()
        assert "tok_s3cret" not in raw and ALI not in raw and str(message_id) in raw
    seen = await (await client.get(f"/api/v1/outbox/{message_id}", headers=tokens["viewer"])).json()
    assert seen["address"] == "tel:+98912****567" and "text" not in seen and "meta" not in seen and seen["provider"] == "log"
    full = await (await client.get(f"/api/v1/outbox/{message_id}", headers=tokens["operator"])).json()
    assert full["text"] == SECRET_TEXT and full["meta"]["url"].endswith("tok_s3cret-link") and full["address"] == f"tel:{ALI}"
    assert {k: v for k, v in full.items() if k not in ("text", "meta", "address")} == {k: v for k, v in seen.items() if k != "address"}
    assert (await client.get("/api/v1/outbox/424242", headers=tokens["viewer"])).status == 404
    assert (await client.get("/api/v1/outbox")).status == 401


async def test_filters_pages_and_bad_parameters(client, tokens) -> None:  # type: ignore[no-untyped-def]
    outbox = client.app[GATEWAY].outbox
    ids = [await outbox.enqueue(channel, f"tel:{ALI}", "later", kind=kind, delay=3600)
           for channel, kind in (("sms", "receipt"), ("telegram", "notification"), ("sms", "notification"))]

    async def listed(query: str) -> dict:  # type: ignore[type-arg]
        response = await client.get(f"/api/v1/outbox?{query}", headers=tokens["viewer"])
        assert response.status == 200
        return await response.json()

    assert [i["id"] for i in (await listed("state=pending"))["items"]] == ids[::-1]
    assert [i["id"] for i in (await listed("channel=sms&kind=notification"))["items"]] == [ids[2]]
    first = await listed("state=pending&limit=2")
    assert [i["id"] for i in first["items"]] == [ids[2], ids[1]] and first["next_before_id"] == ids[1]
    rest = await listed(f"state=pending&limit=2&before_id={first['next_before_id']}")
    assert [i["id"] for i in rest["items"]] == [ids[0]] and rest["next_before_id"] is None
    for query, field in (("state=lost", "state"), ("channel=SMS!", "channel"), ("kind=" + "a" * 40, "kind"),
                         ("limit=0", "limit"), ("limit=201", "limit"), ("before_id=x", "before_id"), ("before_id=0", "before_id")):
        response = await client.get(f"/api/v1/outbox?{query}", headers=tokens["viewer"])
        assert response.status == 422 and (await response.json())["error"]["field"] == field, query


def test_the_cli_lists_and_retries(store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    store = store_url
    monkeypatch.setenv("PISHKHAN_STORE_URL", store)

    async def prepare() -> list[int]:
        db = await database_at(store).open()
        try:
            outbox = Outbox(db, OutboxSettings(max_attempts=1))  # the first retryable failure dead-letters
            ids = [await outbox.enqueue("sms", f"tel:{ALI}", SECRET_TEXT, idempotency_key=f"m{n}") for n in range(3)]
            for message in await outbox.claim_due(2):
                await outbox.mark_error(message, ProviderError("kannel answered HTTP 503", retryable=True))
            return [i for i in ids if i is not None]
        finally:
            await db.close()

    first, second, third = asyncio.run(prepare())
    assert main(["--config", CONFIG, "outbox", "list", "--state", "dead"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"{second}\tdead\tsms\tnotification\ttel:+98912****567\t1\t")
    assert out.splitlines()[0].endswith("kannel answered HTTP 503") and out.strip().endswith("2 messages")
    assert "tok_s3cret" not in out and ALI not in out
    assert main(["--config", CONFIG, "outbox", "list", "--json", "--limit", "1"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert item["id"] == third and item["state"] == "pending" and "text" not in item

    assert main(["--config", CONFIG, "outbox", "retry", str(first)]) == 0
    assert capsys.readouterr().out == f"retried {first} (was dead: kannel answered HTTP 503)\n"
    assert main(["--config", CONFIG, "outbox", "retry", str(first), "424242"]) == 1
    err = capsys.readouterr().err
    assert f"outbox message {first} is pending: it is already waiting to be sent" in err and "no outbox message has id 424242" in err
    assert main(["--config", CONFIG, "outbox", "retry", "--all-dead"]) == 0
    assert capsys.readouterr().out.endswith(f"retried {second} (was dead: kannel answered HTTP 503)\n1 dead messages retried\n")

    async def states() -> list[tuple[str, int, float]]:
        db = await database_at(store).open()
        try:
            rows = await db.fetchall("SELECT state, attempts, next_attempt_at FROM outbox ORDER BY id")
            return [(r["state"], r["attempts"], r["next_attempt_at"]) for r in rows]
        finally:
            await db.close()

    rows = asyncio.run(states())
    assert [(s, a) for s, a, _ in rows] == [("pending", 0)] * 3 and all(due <= time.time() for _, _, due in rows)


class BusyThenOk:
    """An SMS provider that refuses the first message with a 503, then takes everything."""

    channel = "sms"

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def send(self, message: OutboxMessage) -> SendResult:
        self.seen.append(message.id)
        if len(self.seen) == 1:
            raise ProviderError("kannel answered HTTP 503", retryable=True)
        return SendResult(provider="fake")


async def test_with_redis_a_row_retried_in_the_store_is_published_and_sent(store_url: str, redis_server: RedisServer) -> None:
    worker_db, cli_db = await database_at(store_url).open(), await database_at(store_url).open()
    client = Redis.from_url(redis_server.url, socket_timeout=1.0)
    sender = BusyThenOk()
    outbox = StreamOutbox(worker_db, OutboxStream(client, "t:"), OutboxSettings(max_attempts=1, poll_interval=0.05))
    dispatcher = StreamDispatcher(outbox, {"sms": sender}, consumer="a", block=0.05, reconcile_interval=0.05)
    try:
        await dispatcher.reconcile()
        message_id = await outbox.enqueue("sms", f"tel:{ALI}", "Receipt")
        assert message_id is not None
        await dispatcher.run_once()
        assert (await outbox.get(message_id))["state"] == "dead"  # type: ignore[index]
        await OutboxAdmin(Outbox(cli_db)).retry(message_id, "test")  # as `pishkhan outbox retry` does: the store only

        async def published() -> bool:
            await dispatcher.run_once()  # reconciles every 0.05 s, then reads the stream
            return (await outbox.get(message_id))["state"] == "sent"  # type: ignore[index]

        await eventually(published, what="the retried row was never published")
        assert sender.seen == [message_id, message_id]
    finally:
        await client.aclose()
        await worker_db.close()
        await cli_db.close()
