"""/readyz reports each bot: not ready while its Bot API was unreachable at start, ready once it
answers (retried in the background, without webhook traffic), and a probe never calls the Bot API."""

from __future__ import annotations

from fakes.bot_api import Citizen, base_url_of, post_update, with_bot
from waiting import eventually

from gateway.app import create_app


async def readyz(client) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    response = await client.get("/readyz")
    return response.status, (await response.json())["checks"]


async def test_a_bot_api_down_is_reported_without_taking_ussd_out_of_the_load_balancer(aiohttp_client, settings, bot_api) -> None:  # type: ignore[no-untyped-def]
    bot_api.down = True
    client = await aiohttp_client(await create_app(with_bot(settings, base_url_of(bot_api), ready_retry=60)))
    status, checks = await readyz(client)
    assert status == 200 and checks["bot:main"] is False  # by default a bot only reports
    page = await client.post("/ussd/africastalking", data={"sessionId": "r1", "serviceCode": "*4#", "phoneNumber": "+989125550103", "text": ""})
    assert (await page.text()).startswith("CON ")


async def test_a_bot_api_down_at_start_makes_the_gateway_not_ready_and_probes_do_not_call_it(aiohttp_client, settings, bot_api) -> None:  # type: ignore[no-untyped-def]
    bot_api.down = True
    client = await aiohttp_client(await create_app(with_bot(settings, base_url_of(bot_api), ready_retry=60, gates_readiness=True)))
    status, checks = await readyz(client)
    assert status == 503 and checks["bot:main"] is False
    assert all(ok for name, ok in checks.items() if name != "bot:main")       # only the bot is named
    tries = len(bot_api.calls)
    for _ in range(20):
        assert (await readyz(client))[0] == 503
    assert len(bot_api.calls) == tries == 1                                    # the getMe at start, none per probe
    assert await post_update(client, Citizen(5550003).text("/start")) == 503   # the webhook agrees


async def test_a_bot_becomes_ready_once_its_bot_api_answers(aiohttp_client, settings, bot_api) -> None:  # type: ignore[no-untyped-def]
    bot_api.down = True
    client = await aiohttp_client(await create_app(with_bot(settings, base_url_of(bot_api), ready_retry=0.1, gates_readiness=True)))
    assert (await readyz(client))[0] == 503
    bot_api.down = False

    async def ready() -> tuple[int, dict] | None:
        found = await readyz(client)
        return found if found[0] == 200 else None

    found = await eventually(ready, what="the bot never became ready", interval=0.05)
    assert found[1]["bot:main"] is True
    tries = len(bot_api.calls)
    await readyz(client)
    assert len(bot_api.calls) == tries                                         # ready: probes stay off the Bot API
    assert await post_update(client, Citizen(5550003).text("/start")) == 200
    assert bot_api.menu(5550003).buttons                                       # and the bot answers
