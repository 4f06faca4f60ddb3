"""The flow actions `submit_request` and `request_status` as the engine calls them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from flows.engine import ActionCall
from gateway.app import Gateway, open_gateway

ALI = "tel:+989121234567"
ANSWERS = {"national_code": "0499370899", "birth_date": "1996-09-11"}


@pytest.fixture
async def gateway(settings) -> AsyncIterator[Gateway]:  # type: ignore[no-untyped-def]
    opened = await open_gateway(settings)
    yield opened
    await opened.close()


def call(name: str, args: dict[str, str], *, vars: dict[str, str] | None = None, address: str = ALI, lang: str = "en") -> ActionCall:
    return ActionCall(name=name, args=args, channel="ussd", address=address, phone=address.removeprefix("tel:"), lang=lang, vars=vars or {})


async def test_submit_sets_the_receipt_variables(gateway: Gateway) -> None:
    result = await gateway.builder.actions["submit_request"](call("submit_request", {"service_id": "121095100"}, vars=ANSWERS))
    assert result.outcome == "ok"
    code = result.vars["tracking_code"]
    record = await gateway.requests.get(code)
    assert record is not None
    assert result.vars["due_date"]["en"] == record.due_date.isoformat()
    assert result.vars["due_date"]["fa"].startswith("۱۴")   # Jalali, Persian digits
    assert result.vars["fee_text"] == {"en": "To pay: 300,000 rials", "fa": "پرداختی: 300,000 ریال"}


async def test_a_replayed_confirm_makes_one_request(gateway: Gateway) -> None:
    submit = gateway.builder.actions["submit_request"]
    first = await submit(call("submit_request", {"service_id": "121095100"}, vars=ANSWERS))
    again = await submit(call("submit_request", {"service_id": "121095100"}, vars=ANSWERS))
    assert first.vars["tracking_code"] == again.vars["tracking_code"]
    assert len(await gateway.requests.list_for_phone("+989121234567")) == 1


async def test_submit_fails_politely(gateway: Gateway) -> None:
    submit = gateway.builder.actions["submit_request"]
    assert (await submit(call("submit_request", {"service_id": "999999999"}))).outcome == "error"
    assert (await submit(call("submit_request", {"service_id": "121095100"}, vars={"national_code": "0499370899"}))).outcome == "error"


async def test_status_lookups_are_found_missing_or_rate_limited(gateway: Gateway) -> None:
    code = (await gateway.builder.actions["submit_request"](call("submit_request", {"service_id": "121095100"}, vars=ANSWERS))).vars["tracking_code"]
    status = gateway.builder.actions["request_status"]
    found = await status(call("request_status", {"code": code}))
    assert found.outcome == "ok" and "Status: submitted" in found.vars["status_text"]
    assert (await status(call("request_status", {"code": "12345678902"}))).outcome == "not_found"
    prober = "tel:+989350000000"
    outcomes = [(await status(call("request_status", {"code": code}, address=prober))).outcome for _ in range(11)]
    assert outcomes == ["ok"] * 10 + ["rate_limited"]
    assert (await status(call("request_status", {"code": code}))).outcome == "ok"   # other citizens are not affected


async def test_the_lookup_limit_is_configurable(settings) -> None:  # type: ignore[no-untyped-def]
    gateway = await open_gateway(settings.updated({"requests": {"lookup_limit": 2, "lookup_window": 60}}))
    try:
        status = gateway.builder.actions["request_status"]
        outcomes = [(await status(call("request_status", {"code": "12345678902"}))).outcome for _ in range(3)]
    finally:
        await gateway.close()
    assert outcomes == ["not_found", "not_found", "rate_limited"]


async def test_a_mistyped_code_is_caught_by_its_check_digit_before_any_lookup(settings) -> None:  # type: ignore[no-untyped-def]
    gateway = await open_gateway(settings.updated({"requests": {"lookup_limit": 2, "lookup_window": 60}}))
    try:
        status = gateway.builder.actions["request_status"]
        mistyped = [(await status(call("request_status", {"code": "12345678901"}))).outcome for _ in range(5)]
        real = (await status(call("request_status", {"code": "۱۲۳ ۴۵۶ ۷۸۹ ۰۲"}))).outcome   # Persian digits, spaces
    finally:
        await gateway.close()
    assert mistyped == ["not_found"] * 5    # told at once, and no lookup was spent on them
    assert real == "not_found"              # a well-formed code is still looked up (none was filed)


async def test_the_flow_and_the_sms_keyword_share_one_lookup_budget(settings) -> None:  # type: ignore[no-untyped-def]
    from channels.inbound import Inbound

    gateway = await open_gateway(settings.updated({"requests": {"lookup_limit": 2, "lookup_window": 60}}))
    try:
        status = gateway.builder.actions["request_status"]
        by_flow = [(await status(call("request_status", {"code": "12345678902"}))).outcome for _ in range(2)]
        texted = await gateway.sms.answer(Inbound("sms", ALI, "STATUS 12345678902", "kannel", message_id="m1", phone=ALI[4:]), None)
    finally:
        await gateway.close()
    assert by_flow == ["not_found", "not_found"]
    assert texted.text == "Too many lookups. Please try again later."
