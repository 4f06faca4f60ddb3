"""Resuming a USSD session the network dropped (no END): the next dial from the same number offers
to continue, on the in-process store and on Redis alike."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest
from clock import ManualClock

from flows.gsm7 import ussd_budget_used
from gateway.app import create_app
from gateway.settings import Settings

Client = Callable[..., Awaitable[object]]


class Dial:
    """One Africa's Talking session: every hop resends all inputs joined by `*`."""

    def __init__(self, client, phone: str) -> None:  # type: ignore[no-untyped-def]
        self.client, self.phone, self.inputs = client, phone, []
        self.session_id = uuid.uuid4().hex

    async def send(self, text: str | None = None) -> str:
        if text is not None:
            self.inputs.append(text)
        form = {"sessionId": self.session_id, "serviceCode": "*4#", "phoneNumber": self.phone, "text": "*".join(self.inputs)}
        response = await self.client.post("/ussd/africastalking", data=form)
        assert response.status == 200
        page = await response.text()
        used, limit = ussd_budget_used(page)
        assert used <= limit, page
        return page


@pytest.fixture(params=["memory", "redis"])
def open_client(request: pytest.FixtureRequest, aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    """Builds a gateway client with a given resume window, on each state backend."""
    redis = {"url": request.getfixturevalue("shared_redis").url, "prefix": f"t{uuid.uuid4().hex}:"} if request.param == "redis" else {}

    async def build(window: float = 300, clock: ManualClock | None = None):  # type: ignore[no-untyped-def]
        app = await create_app(settings.updated({"redis": redis, "resume": {"window": window}}), clock=clock or ManualClock())
        return await aiohttp_client(app)
    return build


def phone() -> str:
    return f"+98912{uuid.uuid4().int % 10_000_000:07d}"


async def walk_and_drop(client, number: str, *inputs: str) -> str:  # type: ignore[no-untyped-def]
    """Dial, walk the menus, and let the network drop the session: the last page seen."""
    dial = Dial(client, number)
    page = await dial.send()
    for text in inputs:
        page = await dial.send(text)
    return page


async def test_a_dropped_session_is_offered_and_continues_where_it_was(open_client) -> None:  # type: ignore[no-untyped-def]
    client, number = await open_client(), phone()
    before = await walk_and_drop(client, number, "2", "1", "1")
    dial = Dial(client, number)
    assert await dial.send() == "CON Continue where you left off?\n1. Yes\n2. Start over"
    assert await dial.send("1") == before
    fresh = Dial(client, phone())
    await fresh.send()
    for text in ("2", "1", "1", "1"):
        expected = await fresh.send(text)
    assert await dial.send("1") == expected  # and it goes on as if it had never dropped


async def test_start_over_goes_home_in_the_remembered_language(open_client) -> None:  # type: ignore[no-untyped-def]
    client, number = await open_client(), phone()
    await walk_and_drop(client, number, "2", "1", "1")
    dial = Dial(client, number)
    assert "Continue where you left off?" in await dial.send()
    page = await dial.send("2")
    assert "Government services" in page and "Continue" not in page
    assert "Services" in await dial.send("1")


async def test_an_invalid_answer_asks_again(open_client) -> None:  # type: ignore[no-untyped-def]
    client, number = await open_client(), phone()
    await walk_and_drop(client, number, "2", "1")
    dial = Dial(client, number)
    await dial.send()
    assert await dial.send("7") == "CON Invalid choice.\nContinue where you left off?\n1. Yes\n2. Start over"
    assert "Services" in await dial.send("1")


async def test_the_offer_is_in_persian_for_a_persian_speaker(open_client) -> None:  # type: ignore[no-untyped-def]
    client, number = await open_client(), phone()
    await walk_and_drop(client, number, "1", "1")
    page = await Dial(client, number).send()
    assert page.startswith("CON از جایی که ماندید ادامه می‌دهید؟") and "۱. بله" in page and "۲. شروع دوباره" in page


async def test_after_the_window_a_dial_starts_plainly(open_client) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    client, number = await open_client(window=300, clock=clock), phone()
    await walk_and_drop(client, number, "2", "1", "1")
    clock.advance(300.5)
    assert "Government services" in await Dial(client, number).send()


async def test_no_offer_after_a_finished_session_or_on_the_first_screen(open_client) -> None:  # type: ignore[no-untyped-def]
    client, number = await open_client(), phone()
    await walk_and_drop(client, number, "2")  # dropped on home, which is where a dial starts anyway
    assert "Government services" in await Dial(client, number).send()
    finished = Dial(client, number)
    await finished.send()
    for text in ("1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"):
        page = await finished.send(text)
    assert page.startswith("END ")
    assert "Government services" in await Dial(client, number).send()


async def test_a_direct_dial_is_not_interrupted_by_the_offer(open_client) -> None:  # type: ignore[no-untyped-def]
    client, number = await open_client(), phone()
    await walk_and_drop(client, number, "2", "1", "1")
    direct = Dial(client, number)
    direct.inputs = ["1"]  # `*4*1#`: the aggregator sends the dialled choices in the first hop
    assert "Continue" not in await direct.send()
