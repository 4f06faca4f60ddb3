"""No text lost when a turn fails: the provider is asked to send it again (Kannel a 503, Jasmin no
`ACK/Jasmin`), its retry is answered once the fault is gone, and exactly one reply goes out, even
when the failed turn had already moved the conversation on."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid

import pytest
from fakes.jasmin import ACK
from fakes.sms_gateway import ALI, SmsRig, start_rig
from redis_server import RedisServer
from waiting import eventually

from gateway.settings import Settings


async def _sent_reply(rig: SmsRig, provider: str, message_id: str) -> dict[str, object]:
    [row] = await eventually(lambda: rig.outbox(idempotency_key=f"sms-reply:{provider}:{message_id}", state="sent"))
    return row


async def test_a_reply_the_closed_store_refused_is_sent_on_the_retry_without_running_the_turn_again(rig: SmsRig) -> None:
    assert "۱. خدمات" in await rig.reply_to("سلام")
    await rig.gateway.db.close()                                  # the outbox cannot take the reply
    status, body = await rig.text("2", message_id="k-fail-1")    # home menu, option 2: track a request
    assert status == 503 and body                                 # non-2xx: Kannel's smsbox sends it again
    await rig.gateway.db.open()
    assert await rig.text("2", message_id="k-fail-1") == (200, "")
    row = await _sent_reply(rig, "kannel", "k-fail-1")
    shown = rig.sent_text(row["id"])                              # "2" was taken once, on the menu ...
    assert shown.startswith("کد پیگیری را وارد کنید") and "معتبر نیست" not in shown   # ... not again as a code
    assert await rig.text("2", message_id="k-fail-1") == (200, "")   # a later repeat is a plain duplicate
    assert len(rig.kannel.calls) == 2 and len(await rig.outbox(kind="reply")) == 2


async def test_a_stop_that_could_not_be_recorded_is_recorded_on_the_retry(rig: SmsRig) -> None:
    await rig.gateway.db.close()                                  # the opt-out itself cannot be written
    assert (await rig.text("STOP", message_id="k-fail-2"))[0] == 503
    await rig.gateway.db.open()
    assert not await rig.gateway.sms.optouts.is_opted_out(f"tel:{ALI}")
    assert await rig.text("STOP", message_id="k-fail-2") == (200, "")
    row = await _sent_reply(rig, "kannel", "k-fail-2")
    assert "notifications to this number are off" in rig.sent_text(row["id"])
    assert await rig.gateway.sms.optouts.is_opted_out(f"tel:{ALI}") and len(rig.kannel.calls) == 1


async def test_jasmin_gets_no_ack_while_redis_is_down_and_its_retry_is_answered_once(  # type: ignore[no-untyped-def]
        aiohttp_server, aiohttp_client, settings: Settings, redis_server: RedisServer) -> None:
    redis = {"url": redis_server.url, "prefix": f"t{uuid.uuid4().hex}:", "retry_after": 0.05}
    on_redis = await start_rig(aiohttp_server, aiohttp_client, settings.updated({"redis": redis}))
    push = {"url": on_redis.jasmin_url(), "sender": ALI.lstrip("+"), "receiver": "4001", "text": "سلام", "message_id": "16fd2706-fail"}
    redis_server.stop()
    status, body = await on_redis.jasmin.mo(**push)
    assert status == 503 and body != ACK                          # Jasmin retries after its retry_delay
    assert await on_redis.outbox() == []
    redis_server.start()
    assert await eventually(lambda: on_redis.gateway.state.ping())
    assert await on_redis.jasmin.mo(**push) == (200, ACK)
    row = await _sent_reply(on_redis, "jasmin", "16fd2706-fail")
    assert await on_redis.jasmin.mo(**push) == (200, ACK)         # and a repeat after that is a duplicate
    [call] = on_redis.jasmin.calls
    assert call["to"] == ALI.lstrip("+") and row["provider_message_id"] in on_redis.jasmin.sent


async def _lock_store(path: str, seconds: float) -> threading.Thread:
    """Another process's long write: the store's lock is held for `seconds` (longer than its busy timeout),
    from the moment this returns."""
    locked = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()
    thread = threading.Thread(target=hold)
    thread.start()
    assert await asyncio.to_thread(locked.wait, 5), "the store was never locked"
    return thread


@pytest.mark.sqlite  # locks the SQLite file from outside
async def test_a_text_answered_before_its_turn_failed_on_a_locked_store_is_still_replied_to(
        aiohttp_server, aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    rig = await start_rig(aiohttp_server, aiohttp_client, settings, reply_budget=0.2)
    assert "۱. خدمات" in await rig.reply_to("سلام")
    holder = await _lock_store(rig.gateway.db.path, 5.5)       # past the 5 s busy timeout: the turn's write fails
    assert await rig.text("3", message_id="k-locked-1") == (200, "")   # acknowledged: Kannel will not send it again
    await asyncio.to_thread(holder.join)
    row = await _sent_reply(rig, "kannel", "k-locked-1")         # yet the reply goes out once the store is free
    assert rig.sent_text(row["id"]).startswith("راهنما")         # option 3 of the home menu: help
    assert len(await rig.outbox(kind="reply")) == 2


@pytest.mark.sqlite  # locks the SQLite file from outside
async def test_with_the_default_budgets_a_text_on_a_locked_store_is_never_lost(rig: SmsRig) -> None:
    await rig.reply_to("سلام")
    holder = await _lock_store(rig.gateway.db.path, 5.5)
    status, _ = await rig.text("3", message_id="k-locked-2")
    if status == 503:   # the turn failed within the budget: Kannel sends the text again, as it is told to
        await asyncio.to_thread(holder.join)
        assert (await rig.text("3", message_id="k-locked-2"))[0] == 200
    await asyncio.to_thread(holder.join)
    await _sent_reply(rig, "kannel", "k-locked-2")
