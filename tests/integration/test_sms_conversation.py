"""A citizen over SMS: the menu over several texts, keywords at any time, a request submitted and
tracked with STATUS, a status change reaching them through Kannel with its delivery report, and
opt-out that stops notifications but not receipts."""

from __future__ import annotations

import re

from fakes.payer import apply_by_ussd
from fakes.sms_gateway import ALI, APPLY_FA, SmsRig, start_rig
from waiting import eventually

from flows.gsm7 import sms_encoding
from flows.normalise import normalise_input
from flows.tracking import verhoeff_check_digit


async def _apply(rig: SmsRig) -> str:
    await rig.reply_to("سلام")
    for text in APPLY_FA:
        shown = await rig.reply_to(text)
    match = re.search(r"کد پیگیری:\s*([0-9]{11})", normalise_input(shown))
    assert match, shown
    return match.group(1)


async def test_a_request_made_by_sms_is_answered_by_a_later_status_text(rig: SmsRig) -> None:
    code = await _apply(rig)
    assert await rig.gateway.requests.get(code) is not None
    shown = normalise_input(await rig.reply_to(f"STATUS {code}"))
    assert f"Request {code}" in shown and "Status: submitted" in shown and "First issue" in shown
    shown = normalise_input(await rig.reply_to(f"پیگیری {'-'.join([code[:4], code[4:]])}"))   # Persian keyword, a dash typed
    assert "وضعیت: ثبت شده" in shown


async def test_a_status_change_reaches_the_citizen_through_kannel_with_its_delivery_report(rig: SmsRig) -> None:
    code = await _apply(rig)
    await rig.gateway.requests.transition(code, "in_review", actor="desk 3", reason=None)
    await rig.gateway.requests.transition(code, "needs_info", actor="desk 3", reason="عکس ناخوانا است")
    async def both_sent() -> bool:
        return len(await rig.outbox(kind="notification", state="sent")) == 2
    await eventually(both_sent)
    call = [c for c in rig.kannel.calls if "عکس ناخوانا است" in c["text"]][0]
    assert call["to"] == ALI and call["from"] == "4000" and "نیاز به اطلاعات بیشتر" in call["text"]
    assert await rig.kannel.report(call, 8, 1) == [200, 200]
    note = [n for n in await rig.outbox(kind="notification") if f"ref={n['id']}&" in call["dlr-url"]][0]
    assert note["delivery"] == "delivered"


async def test_a_long_reason_is_shortened_to_fit_the_parts_an_aggregator_sends_and_stays_whole_in_status(rig: SmsRig) -> None:
    code = await _apply(rig)
    reason = "لطفاً " + "عکس پرسنلی جدید با زمینه سفید و کیفیت مناسب بارگذاری کنید. " * 8   # ~480 characters
    await rig.gateway.requests.transition(code, "in_review", actor="desk 3", reason=None)
    await rig.gateway.requests.transition(code, "needs_info", actor="desk 3", reason=reason)
    await eventually(lambda: len([c for c in rig.kannel.calls if "نیاز به اطلاعات بیشتر" in c["text"]]) == 1)
    sent = [c["text"] for c in rig.kannel.calls if "نیاز به اطلاعات بیشتر" in c["text"]]
    assert len(sent) == 1 and sms_encoding(sent[0]).segments <= 3     # Kannel's max-messages would cut a longer one
    assert "…" in sent[0] and "عکس پرسنلی جدید" in sent[0]
    shown = normalise_input(await rig.reply_to(f"STATUS {code}"))       # the whole reason, paged, a text away
    assert "عکس پرسنلی" in shown


async def test_a_wrong_check_digit_is_caught_before_any_lookup(rig: SmsRig) -> None:
    payload = "7194366871"
    wrong = payload + str((int(verhoeff_check_digit(payload)) + 1) % 10)
    shown = await rig.reply_to(f"status {wrong}")
    assert "is not a valid tracking code" in shown and "Check the digits" in shown
    shown = await rig.reply_to(f"STATUS {payload + verhoeff_check_digit(payload)}")
    assert "No request has tracking code" in shown


async def test_first_text_shows_the_menu_and_a_fitting_number_is_taken(rig: SmsRig) -> None:
    assert "۱. خدمات" in await rig.reply_to("سلام")
    assert "کد پیگیری را وارد کنید" in await rig.reply_to("2", sender="+989350000001")   # a first "2" is option 2
    assert "گزینه نامعتبر" not in await rig.reply_to("hello", sender="+989350000002")


async def test_menus_stay_within_the_segment_budget_and_page_with_more(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    tight = await start_rig(aiohttp_server, aiohttp_client, settings, max_segments=1)
    await tight.reply_to("سلام")
    first = await tight.reply_to("1")                       # the services menu: two segments of Persian
    second = await tight.reply_to("بیشتر")                  # MORE in Persian
    third = await tight.reply_to("۹۸")                       # 98 works too
    pages = [first, second, third]
    assert all(sms_encoding(p).segments == 1 for p in pages), [sms_encoding(p) for p in pages]
    assert "۹۸. بیشتر" in first and "۱. ثبت احوال و هویت" in first
    shown = "\n".join(pages)
    for option in ("ثبت احوال و هویت", "خودرو و رانندگی", "مالیات و کسب‌وکار", "رفاه و سلامت", "خدمات شهری و قبوض"):
        assert shown.count(option) == 1, option          # every option once, none cut


async def test_stop_ends_notifications_but_receipts_still_come_and_start_brings_them_back(rig: SmsRig) -> None:
    assert "notifications to this number are off" in await rig.reply_to("Stop.")
    code = await apply_by_ussd(rig.client)        # the same number applies over USSD: the receipt comes by SMS
    [receipt] = await eventually(lambda: rig.outbox(kind="receipt", state="sent"))
    assert code in rig.kannel.calls[-1]["text"] or any(code in c["text"] for c in rig.kannel.calls)
    await rig.gateway.requests.transition(code, "in_review", actor="desk 3", reason=None)
    [note] = await eventually(lambda: rig.outbox(kind="notification", state="suppressed"))   # not a failure
    assert "opted out" in note["last_error"] and not any("in review" in c["text"] for c in rig.kannel.calls)
    assert await rig.outbox(state="failed") == []
    assert "notifications to this number are on" in await rig.reply_to("start")
    await rig.gateway.requests.transition(code, "approved", actor="desk 3", reason=None)
    await eventually(lambda: any("approved" in c["text"] for c in rig.kannel.calls))


async def test_eleven_is_opt_out_unless_the_screen_takes_it(rig: SmsRig) -> None:
    assert "قطع شد" in await rig.reply_to("۱۱")
    assert await rig.gateway.sms.optouts.is_opted_out(f"tel:{ALI}")
    await rig.reply_to("سلام")
    await rig.reply_to("1")
    await rig.reply_to("1")
    await rig.reply_to("1")
    await rig.reply_to("1")
    await rig.reply_to("1")                       # the national code question takes any text
    shown = await rig.reply_to("12")
    assert "وصل شد" not in shown and "کد ملی" in shown    # 12 was an (invalid) answer, not START
    assert await rig.gateway.sms.optouts.is_opted_out(f"tel:{ALI}")
