"""SMS through a fake Kannel: texts in by sms-service get-url, replies out by sendsms from the
outbox, delivery reports back to our dlr-url; failures of every kind on the way."""

from __future__ import annotations

import pytest
from fakes.sms_gateway import ALI, KANNEL_SECRET, SmsRig, start_rig
from waiting import eventually


async def test_a_text_is_acknowledged_at_once_and_the_menu_goes_out_by_sendsms(rig: SmsRig) -> None:
    status, body = await rig.text("سلام")
    assert (status, body) == (200, "")   # Kannel would send a non-empty body to the citizen itself
    await eventually(lambda: rig.kannel.calls)
    [call] = rig.kannel.calls
    assert call["to"] == ALI and call["from"] == "4000" and call["coding"] == "2" and call["charset"] == "UTF-8"
    assert call["dlr-mask"] == "31" and "/sms/dlr/kannel?ref=" in call["dlr-url"] and "%d" in call["dlr-url"]
    assert "پیشخوان دولت" in call["text"] and "۱. خدمات" in call["text"]
    [row] = await eventually(lambda: rig.outbox(kind="reply", state="sent"))  # recorded once Kannel has answered
    assert row["provider"] == "kannel"


async def test_delivery_reports_move_the_state_forward_only_and_repeats_change_nothing(rig: SmsRig) -> None:
    await rig.reply_to("hi")
    [call] = rig.kannel.calls
    await eventually(lambda: rig.outbox(state="sent"))
    assert await rig.kannel.report(call, 8) == [200]
    [row] = await rig.outbox()
    assert row["delivery"] == "sent_to_smsc"
    assert await rig.kannel.report(call, 1, 1, 8, 4) == [200] * 4    # delivered, a duplicate, then late ones
    [row] = await rig.outbox()
    assert row["delivery"] == "delivered"
    record = await rig.gateway.sms.deliveries.get("kannel", row["provider_message_id"])
    assert record["state"] == "delivered" and record["reports"] == 5 and record["segments"] == 1


async def test_an_expired_message_is_recorded_as_expired(rig: SmsRig) -> None:
    await rig.reply_to("hi")
    [call] = rig.kannel.calls
    await eventually(lambda: rig.outbox(state="sent"))
    url = call["dlr-url"].replace("%d", "2").replace("%A", "stat%3AEXPIRED")
    assert (await rig.client.get(url[len(rig.base):])).status == 200
    [row] = await rig.outbox()
    assert row["delivery"] == "expired"


async def test_the_same_provider_message_id_twice_gets_one_reply(rig: SmsRig) -> None:
    for _ in range(2):
        assert (await rig.text("1", message_id="kannel-777"))[0] == 200
    await eventually(lambda: rig.kannel.calls)
    assert len(await rig.outbox(kind="reply")) == 1


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_sent(rig: SmsRig) -> None:
    for url in (rig.kannel_get_url("wrong"), rig.kannel_get_url("")):
        status, _ = await rig.kannel.mo(url, sender=ALI, receiver="4000", text="hi", message_id="x1")
        assert status == 401
    dlr = await rig.client.get("/sms/dlr/kannel?ref=1&status=1&secret=nope")
    assert dlr.status == 401
    assert await rig.outbox() == []


async def test_the_secret_may_come_in_a_header(rig: SmsRig) -> None:
    response = await rig.client.get("/sms/inbound/kannel", params={"id": "h1", "sender": ALI, "receiver": "4000", "text": "hi"},
                                    headers={"X-Pishkhan-Secret": KANNEL_SECRET})
    assert response.status == 200


async def test_an_oversized_body_is_refused(rig: SmsRig) -> None:
    response = await rig.client.post(f"/sms/inbound/kannel?secret={KANNEL_SECRET}", data=b"id=1&sender=1&text=" + b"a" * 9000,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 413
    assert await rig.outbox() == []


async def test_a_malformed_text_says_what_is_missing(rig: SmsRig) -> None:
    response = await rig.client.get(f"/sms/inbound/kannel?secret={KANNEL_SECRET}&text=hi")
    assert response.status == 400 and "id, sender" in await response.text()
    response = await rig.client.get(f"/sms/inbound/nosuch?secret={KANNEL_SECRET}")
    assert response.status == 404


async def test_5xx_is_retried_with_backoff_until_kannel_recovers(rig: SmsRig) -> None:
    rig.kannel.fail_next = [503, 503]
    await rig.text("hi")
    for attempt in (1, 2):
        [row] = await eventually(lambda attempt=attempt: rig.outbox(state="pending", attempts=attempt))
        assert "HTTP 503" in row["last_error"] and row["next_attempt_at"] - row["updated_at"] == pytest.approx(2.0 * 2 ** (attempt - 1), abs=0.1)
        await rig.make_due()
    [row] = await eventually(lambda: rig.outbox(state="sent"))
    assert row["attempts"] == 3 and len(rig.kannel.calls) == 3


async def test_a_4xx_refusal_is_not_retried(rig: SmsRig) -> None:
    rig.kannel.fail_next = [400]
    await rig.text("hi")
    [row] = await eventually(lambda: rig.outbox(state="failed"))
    assert "refused with HTTP 400" in row["last_error"] and row["attempts"] == 1
    await rig.make_due()
    assert len(rig.kannel.calls) == 1


async def test_wrong_credentials_fail_without_leaking_the_password(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    from fakes.sms_gateway import start_rig
    bad = await start_rig(aiohttp_server, aiohttp_client, settings, providers={"kannel": {"password": "wrong-pass"}})
    await bad.text("hi")
    [row] = await eventually(lambda: bad.outbox(state="failed"))
    assert "403" in row["last_error"] and "wrong-pass" not in row["last_error"]


async def test_a_slow_kannel_times_out_and_is_retried(rig: SmsRig) -> None:
    rig.kannel.delay = 1.0   # the provider timeout is 0.5 s
    await rig.text("hi")
    [row] = await eventually(lambda: rig.outbox(state="pending", attempts=1))
    assert "no answer within 0.5 s" in row["last_error"]
    rig.kannel.delay = 0
    await rig.make_due()
    await eventually(lambda: rig.outbox(state="sent"))


async def test_kannel_down_is_retried_then_dead_lettered(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    from aiohttp.test_utils import unused_port
    from fakes.sms_gateway import start_rig
    down = await start_rig(aiohttp_server, aiohttp_client, settings,
                           providers={"kannel": {"base_url": f"http://127.0.0.1:{unused_port()}"}})
    await down.text("hi")
    attempts = down.gateway.outbox.settings.max_attempts
    for attempt in range(1, attempts):
        [row] = await eventually(lambda attempt=attempt: down.outbox(state="pending", attempts=attempt))
        assert "cannot connect" in row["last_error"]
        await down.make_due()
    [row] = await eventually(lambda: down.outbox(state="dead"))
    assert row["attempts"] == attempts


async def test_a_text_from_outside_allow_ips_is_refused_and_the_log_says_why(aiohttp_server, aiohttp_client, settings, caplog) -> None:  # type: ignore[no-untyped-def]
    rig = await start_rig(aiohttp_server, aiohttp_client, settings, providers={"kannel": {"secret": "", "allow_ips": ["10.9.8.0/24"]}})
    status, _ = await rig.kannel.mo(rig.kannel_get_url(""), sender=ALI, receiver="4000", text="hi", message_id="ip-1")
    assert status == 401 and await rig.outbox() == []
    assert "SMS webhook for kannel refused: address 127.0.0.1 is not in allow_ips" in caplog.text
