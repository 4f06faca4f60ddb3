"""SMS through a fake Jasmin: pushed texts answered exactly `ACK/Jasmin`, replies by POST /send
with UCS-2 content, delivery reports at level 1 and 2 in any order."""

from __future__ import annotations

from fakes.jasmin import ACK
from fakes.sms_gateway import ALI, SmsRig
from waiting import eventually

from flows.tracking import verhoeff_check_digit


async def _reply(rig: SmsRig, text: str, message_id: str | None = None) -> dict[str, str]:
    before = len(rig.jasmin.calls)
    assert await rig.jasmin.mo(rig.jasmin_url(), sender=ALI.lstrip("+"), receiver="4001", text=text, message_id=message_id) == (200, ACK)
    await eventually(lambda: len(rig.jasmin.calls) > before)
    return rig.jasmin.calls[-1]


async def test_a_pushed_text_gets_ack_jasmin_and_a_ucs2_reply_from_the_short_numbers_flow(rig: SmsRig) -> None:
    call = await _reply(rig, "سلام")
    assert call["coding"] == "8" and call["to"] == ALI.lstrip("+") and call["from"] == "4001"
    assert call["dlr"] == "yes" and call["dlr-level"] == "3" and call["dlr-method"] == "POST"
    assert "کد پیگیری را وارد کنید" in call["content"]      # 4001 opens main:track
    assert rig.jasmin.acks == [True]


async def test_persian_keywords_pushed_with_jasmins_raw_coding_octet_are_understood(rig: SmsRig) -> None:
    """The fake posts `coding` as the octet 0x08, as Jasmin 0.11's thrower does: read as "8" it was
    not, and `راهنما` came out garbled and opened the menu instead of help."""
    assert (await _reply(rig, "راهنما"))["content"].startswith("پیشخوان ۴۰۰۱: هر پیامی بفرستید")
    assert (await _reply(rig, "لغو"))["content"].startswith("اطلاع‌رسانی پیشخوان به این شماره قطع شد.")
    assert (await _reply(rig, "STATUS"))["content"] == "Send STATUS followed by your tracking code, e.g. STATUS 12345678901"


async def test_a_tracking_code_texted_first_is_looked_up_at_once(rig: SmsRig) -> None:
    code = "7194366871" + verhoeff_check_digit("7194366871")
    call = await _reply(rig, code)
    assert call["content"].startswith("درخواستی با این کد پیدا نشد.")    # the flow's answer, not its prompt


async def test_reports_are_recorded_by_jasmins_message_id_in_any_order(rig: SmsRig) -> None:
    await _reply(rig, "hi")
    [row] = await eventually(lambda: rig.outbox(state="sent"))
    message_id = row["provider_message_id"]
    assert message_id in rig.jasmin.sent
    assert await rig.jasmin.report(message_id, "DELIVRD", level=2) == (200, ACK)
    assert await rig.jasmin.report(message_id, "ESME_ROK", level=1) == (200, ACK)   # the level-1 report comes late
    assert await rig.jasmin.report(message_id, "DELIVRD", level=2) == (200, ACK)    # and Jasmin repeats one
    [row] = await rig.outbox()
    assert row["delivery"] == "delivered"
    assert all(rig.jasmin.acks)


async def test_a_report_before_the_send_is_recorded_is_kept(rig: SmsRig) -> None:
    gateway = rig.gateway
    change = await gateway.sms.deliveries.report("jasmin", "early-id", "sent_to_smsc", "level 1 ESME_ROK")
    assert change.outbox_id is None
    message_id = await gateway.outbox.enqueue("telegram", "telegram:x:1", "placeholder")  # any row to link to
    await gateway.sms.deliveries.submitted("jasmin", "early-id", message_id, coding="gsm7", segments=1)
    assert (await gateway.outbox.get(message_id))["delivery"] == "sent_to_smsc"


async def test_a_failed_submit_is_a_failed_delivery(rig: SmsRig) -> None:
    await _reply(rig, "hi")
    [row] = await eventually(lambda: rig.outbox(state="sent"))
    assert await rig.jasmin.report(row["provider_message_id"], "ESME_RINVDSTADR", level=1) == (200, ACK)
    assert await rig.jasmin.report(row["provider_message_id"], "DELIVRD", level=2) == (200, ACK)   # a final state stays
    [row] = await rig.outbox()
    assert row["delivery"] == "failed"


async def test_a_repeated_push_is_acknowledged_and_answered_once(rig: SmsRig) -> None:
    await _reply(rig, "hi", message_id="16fd2706-8baf-433b-82eb-8c7fada847da")
    assert await rig.jasmin.mo(rig.jasmin_url(), sender=ALI, receiver="4001", text="hi",
                               message_id="16fd2706-8baf-433b-82eb-8c7fada847da") == (200, ACK)
    assert len(await rig.outbox(kind="reply")) == 1


async def test_a_wrong_secret_gets_no_ack(rig: SmsRig) -> None:
    status, body = await rig.jasmin.mo(rig.jasmin_url("guess"), sender=ALI, receiver="4001", text="hi")
    assert status == 401 and body != ACK
    assert await rig.outbox() == []


async def test_jasmin_500_then_recovery(rig: SmsRig) -> None:
    rig.jasmin.fail_next = [500]
    await rig.jasmin.mo(rig.jasmin_url(), sender=ALI, receiver="4001", text="hi")
    [row] = await eventually(lambda: rig.outbox(state="pending", attempts=1))
    assert "HTTP 500" in row["last_error"]
    await rig.make_due()
    [row] = await eventually(lambda: rig.outbox(state="sent"))
    assert row["provider_message_id"] in rig.jasmin.sent
