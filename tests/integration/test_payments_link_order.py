"""A USSD citizen's receipt (with the tracking code) reaches Kannel before the payment link that
names the code, even when Kannel refuses the receipt at first: the link waits for it."""

from __future__ import annotations

from fakes.sms_gateway import APPLY_FA, SmsRig
from ussd_citizen import apply_by_ussd
from waiting import eventually


def kinds(rig: SmsRig) -> list[str]:
    """What Kannel was asked to send, in order: receipt or link."""
    return ["link" if "/pay/" in call["text"] else "receipt" for call in rig.kannel.calls]


async def test_the_link_is_sent_only_after_kannel_took_the_receipt(rig: SmsRig) -> None:
    rig.kannel.fail_next = [503]   # the aggregator stumbles on the first message
    code = await apply_by_ussd(rig.client)
    [receipt] = await eventually(lambda: rig.outbox(kind="receipt", state="pending", attempts=1))
    assert code in receipt["text"]
    [link] = await rig.outbox(kind="payment_link")
    assert link["state"] == "pending" and link["attempts"] == 0   # held behind the receipt, not tried
    await rig.make_due()   # the receipt's retry comes round
    await eventually(lambda: rig.outbox(kind="payment_link", state="sent"))
    assert kinds(rig) == ["receipt", "receipt", "link"]
    assert code in rig.kannel.calls[1]["text"] and code in rig.kannel.calls[2]["text"]


async def test_an_sms_citizens_receipt_reply_goes_before_the_link_even_when_kannel_refuses_it_at_first(rig: SmsRig) -> None:
    await rig.reply_to("سلام")
    for text in APPLY_FA[:-1]:
        await rig.reply_to(text)
    sent_before = len(rig.kannel.calls)
    rig.kannel.fail_next = [503]                        # the confirm's reply (the receipt) stumbles
    assert (await rig.text(APPLY_FA[-1], message_id="k-confirm"))[0] == 200
    [receipt] = await eventually(lambda: rig.reply_row("k-confirm", state="pending", attempts=1))
    [link] = await eventually(lambda: rig.outbox(kind="payment_link"))
    assert receipt["idempotency_key"].startswith("receipt:") and link["attempts"] == 0   # held behind it
    await rig.make_due()
    await eventually(lambda: rig.outbox(kind="payment_link", state="sent"))
    assert kinds(rig)[sent_before:] == ["receipt", "receipt", "link"]
