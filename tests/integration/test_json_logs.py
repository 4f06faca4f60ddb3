"""JSON logs: the request id a USSD hop gets follows it into the outbox row it queues and into the
log lines of that row's send through the provider, and no phone number is written unmasked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fakes.sms_gateway import SmsRig
from ussd_citizen import PHONE, apply_by_ussd
from waiting import eventually

from gateway.observability.logs import configure
from gateway.observability.settings import LoggingSettings


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The root logger's lines as `logging.format: json` writes them, captured for the test."""
    root = logging.getLogger()
    kept_handlers, kept_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure(LoggingSettings(format="json"), "INFO", stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in kept_handlers:
        root.addHandler(handler)
    root.setLevel(kept_level)


async def test_a_hops_request_id_follows_it_into_the_outbox_and_the_send(rig: SmsRig, json_lines: io.StringIO) -> None:
    code = await apply_by_ussd(rig.client)
    [receipt] = await eventually(lambda: rig.outbox(kind="receipt", state="sent"))
    await eventually(lambda: any(f"outbox {receipt['id']} receipt" in line for line in json_lines.getvalue().splitlines()))
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]   # every line is one JSON object
    # the test servers' access logs (the fake Kannel's shows the number it was asked to text): `serve` runs without one
    lines = [line for line in lines if line["logger"] != "aiohttp.access"]
    text = json.dumps(lines, ensure_ascii=False)
    [submitted] = [line for line in lines if f"request {code} submitted" in line["message"]]
    request_id = submitted["request_id"]
    assert request_id and submitted["level"] == "INFO" and submitted["logger"] == "gateway.requests.service"
    assert json.loads(receipt["meta"])["request_id"] == request_id   # stored with the row
    [sent] = [line for line in lines if line["message"].startswith(f"outbox {receipt['id']} receipt")]
    assert sent["request_id"] == request_id and "sent by kannel" in sent["message"]
    assert PHONE not in text and PHONE[3:] not in text and "0499370899" not in text   # masked as in text logs
    assert "+98912****567" in sent["message"]
