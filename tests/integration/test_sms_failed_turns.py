"""No text lost when a turn fails: the provider is asked to send it again (Kannel a 503, Jasmin no
`ACK/Jasmin`), its retry is answered once the fault is gone, and exactly one reply goes out, even
when the failed turn had already moved the conversation on."""

from __future__ import annotations

import uuid

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
