"""A citizen on a feature phone, for tests: dials and answers hop by hop as Africa's Talking sends them."""

from __future__ import annotations

import re
import uuid
from typing import Any

PHONE = "+989121234567"
FIRST_ID_CARD_EN = ["2", "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"]
"""English, services, civil registry, smart ID card, first issue, apply, national code, birth date, confirm (fee 300,000)."""

_CODE = re.compile(r"Tracking code:\s*([0-9]{11})")


async def ussd_hops(client: Any, phone: str, texts: list[str], session: str | None = None) -> list[str]:
    """One session's hops as Africa's Talking sends them, each `text` the inputs so far joined by `*`
    (the same text twice is the provider retrying a hop); the page answered to each. `session`: go on
    with a session already started (a new one by default)."""
    session, pages = session or uuid.uuid4().hex, []
    for text in texts:
        form = {"sessionId": session, "serviceCode": "*4#", "phoneNumber": phone, "text": text}
        pages.append(await (await client.post("/ussd/africastalking", data=form)).text())
    return pages


async def ussd(client: Any, phone: str, inputs: list[str]) -> str:
    """Dial and send `inputs` one hop at a time (every input so far joined by `*`); the last page."""
    return (await ussd_hops(client, phone, ["*".join(inputs[:hop]) for hop in range(len(inputs) + 1)]))[-1]


def tracking_code(page: str) -> str:
    """The tracking code on an English receipt page (fails the test when there is none)."""
    match = _CODE.search(page)
    assert match, page
    return match.group(1)


async def apply_by_ussd(client: Any, inputs: list[str] = FIRST_ID_CARD_EN, phone: str = PHONE) -> str:
    """Apply over USSD; the tracking code from the receipt page."""
    return tracking_code(await ussd(client, phone, inputs))
