"""Redis lost right after a request was committed: whatever the citizen was shown, dialling again and
submitting the same answers gives the request already made, not a second request and a second fee."""

from __future__ import annotations

import asyncio

from redis_server import RedisServer
from ussd_citizen import FIRST_ID_CARD_EN, PHONE, tracking_code, ussd
from waiting import eventually

from gateway.app import GATEWAY, create_app
from gateway.requests import RequestRecord
from gateway.settings import Settings

BUSY = "Busy now. Please try again later."


async def until_redis_answers(client) -> None:  # type: ignore[no-untyped-def]
    """Dial until the gateway has noticed Redis is back (it stops answering "busy")."""
    async def answers() -> bool:
        return BUSY not in await ussd(client, "+989350000001", [])

    await eventually(answers, 10, "the gateway never used Redis again", interval=0.05)


async def test_the_retry_after_redis_was_lost_at_the_commit_files_no_second_request(  # type: ignore[no-untyped-def]
        aiohttp_client, settings: Settings, redis_server: RedisServer) -> None:
    client = await aiohttp_client(await create_app(settings.updated({"redis": {"url": redis_server.url, "retry_after": 0.05}})))
    gateway = client.app[GATEWAY]

    async def lose_redis(record: RequestRecord) -> None:  # the instant between the commit and the session save
        if redis_server.process is not None:
            await asyncio.to_thread(redis_server.stop)

    gateway.requests.on_submitted.insert(0, lose_redis)
    receipt = await ussd(client, PHONE, FIRST_ID_CARD_EN)
    [first] = await gateway.requests.list_for_phone(PHONE)
    assert receipt.startswith("END ") and tracking_code(receipt) == first.tracking_code   # shown, not "busy, try again"

    await asyncio.to_thread(redis_server.start)
    await until_redis_answers(client)
    again = tracking_code(await ussd(client, PHONE, FIRST_ID_CARD_EN))   # the honest retry, in a new dial
    assert again == first.tracking_code
    assert [r.tracking_code for r in await gateway.requests.list_for_phone(PHONE)] == [first.tracking_code]
    assert await gateway.db.fetchone("SELECT count(*) AS n FROM payments") == {"n": 1}   # one fee
    assert await gateway.db.fetchone("SELECT count(*) AS n FROM outbox WHERE kind = 'receipt'") == {"n": 1}
