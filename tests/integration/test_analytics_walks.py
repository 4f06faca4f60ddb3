"""Flow analytics as an operator reads them: walks over USSD (the real HTTP route), SMS (through
Kannel) and a bot (the webhook) are counted per node and channel, a conversation abandoned mid-flow
is a drop-off at its node once its channel's lifetime has passed on the gateway's clock, and the API
answers the same rows as JSON and as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import unused_port
from api_tokens import role_headers
from clock import ManualClock
from fakes.bot_api import Citizen, base_url_of, post_update, with_bot
from fakes.jasmin import FakeJasmin
from fakes.kannel import FakeKannel
from fakes.sms_gateway import SmsRig, sms_settings
from ussd_citizen import FIRST_ID_CARD_EN, ussd, ussd_hops

from gateway.app import GATEWAY, Gateway, create_app
from gateway.settings import Settings

BOT_USER = Citizen(user_id=5550002)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def rig(aiohttp_server, aiohttp_client, settings: Settings, bot_api, clock: ManualClock) -> SmsRig:  # type: ignore[no-untyped-def]
    """One gateway on a clock the test moves, with SMS through a fake Kannel and a bot on the fake Bot API."""
    kannel, jasmin = FakeKannel(), FakeJasmin()
    kannel_server, jasmin_server = await aiohttp_server(kannel.app()), await aiohttp_server(jasmin.app())
    port = unused_port()
    base = f"http://127.0.0.1:{port}"
    configured = with_bot(sms_settings(settings, str(kannel_server.make_url("")).rstrip("/"), str(jasmin_server.make_url("")).rstrip("/"),
                                       base), base_url_of(bot_api))
    server = await aiohttp_server(await create_app(configured, clock=clock), port=port)
    return SmsRig(await aiohttp_client(server), kannel, jasmin, base)


def gateway_of(rig: SmsRig) -> Gateway:
    return rig.client.app[GATEWAY]


async def nodes(rig: SmsRig, headers: dict[str, str], **query: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(channel, node) -> (visits, exits, drops) as the API answers them, summed over the days."""
    answer = await rig.client.get("/api/v1/analytics/nodes", params=query, headers=headers)
    assert answer.status == 200, await answer.text()
    found: dict[tuple[str, str], tuple[int, int, int]] = {}
    for row in (await answer.json())["items"]:
        before = found.get((row["channel"], row["node"]), (0, 0, 0))
        found[(row["channel"], row["node"])] = (before[0] + row["visits"], before[1] + row["exits"], before[2] + row["drops"])
    return found


async def test_walks_on_three_channels_count_visits_exits_and_drop_offs_per_node(rig: SmsRig, bot_api: Any, clock: ManualClock) -> None:
    gateway = gateway_of(rig)
    viewer = (await role_headers(gateway.db))["viewer"]

    receipt = await ussd(rig.client, "+989121234567", FIRST_ID_CARD_EN)          # a request filed: an END on the receipt
    assert "Tracking code" in receipt
    pages = await ussd_hops(rig.client, "+989127654321", ["", "2", "2*1"])      # English, services, then the line drops
    assert "Services" in pages[1]
    assert (await rig.text("سلام"))[0] == 200                                   # an SMS conversation, left at its first screen
    assert await post_update(rig.client, BOT_USER.text("/start")) == 200        # a bot conversation ...
    menu = bot_api.menu(BOT_USER.user_id)
    assert await post_update(rig.client, BOT_USER.press(menu, menu.button("English")["callback_data"])) == 200  # ... left at home

    again = await ussd_hops(rig.client, "+989125550000", ["", "2", "2*1"])     # one more USSD citizen leaves at the menu ...
    clock.advance(5)
    restart = await ussd_hops(rig.client, "+989125550000", ["", "2"])          # ... dials again and starts over (a new session)
    assert "Services" in again[1] and "Continue where you left off" in restart[0] and "Services" in restart[1]

    await gateway.analytics.flush()
    counted = await nodes(rig, viewer)
    ussd_only = await nodes(rig, viewer, channel="ussd")
    assert counted[("ussd", "main:language")] == (3, 0, 0) and counted[("ussd", "main:home")] == (4, 0, 0)
    assert counted[("ussd", "services:ussd_categories")] == (3, 0, 1)           # the replaced session: dropped there
    assert counted[("ussd", "services:req_121095100_0")] == (1, 0, 0)
    assert counted[("ussd", "services:receipt")] == (1, 1, 0)                  # the request filed: an exit, no drop-off
    assert counted[("sms", "main:home")] == (1, 0, 0) and counted[("telegram", "main:home")] == (1, 0, 0)
    assert counted[("telegram", "main:language")] == (1, 0, 0)
    assert sum(drops for _, _, drops in counted.values()) == 1                 # nobody else has been quiet long enough yet
    assert set(ussd_only) == {key for key in counted if key[0] == "ussd"}

    clock.advance(gateway.settings.sessions.ussd_ttl + 1)                      # the line dropped past USSD's lifetime
    await gateway.analytics.flush()
    counted = await nodes(rig, viewer)
    assert counted[("ussd", "services:ussd_categories")] == (3, 0, 2) and counted[("ussd", "main:home")][2] == 1
    assert counted[("sms", "main:home")] == (1, 0, 0)
    clock.advance(gateway.settings.sessions.telegram_ttl)                       # past SMS's and the bot's lifetimes too
    await gateway.analytics.flush()
    counted = await nodes(rig, viewer)
    assert counted[("sms", "main:home")] == (1, 0, 1) and counted[("telegram", "main:home")] == (1, 0, 1)
    assert counted[("telegram", "main:language")] == (1, 0, 0)
    assert sum(drops for _, _, drops in counted.values()) == 5

    exported = await rig.client.get("/api/v1/analytics/nodes", params={"channel": "sms"}, headers={**viewer, "Accept": "text/csv"})
    assert exported.status == 200 and exported.content_type == "text/csv"
    assert 'filename="pishkhan-nodes-' in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO((await exported.text()).lstrip("\ufeff"))))
    assert [(r["channel"], r["node"], r["visits"], r["exits"], r["drops"]) for r in rows] == [("sms", "main:home", "1", "0", "1")]
    assert "+98912" not in await (await rig.client.get("/api/v1/analytics/nodes?format=csv", headers=viewer)).text()

    channels = await (await rig.client.get("/api/v1/analytics/channels", headers=viewer)).json()
    assert {r["channel"]: (r["sessions"], r["drops"]) for r in channels["items"]} == {"ussd": (4, 3), "sms": (1, 1), "telegram": (1, 1)}
    services = await (await rig.client.get("/api/v1/analytics/services", params={"channel": "ussd"}, headers=viewer)).json()
    [filed] = [r for r in services["items"] if r["service_id"] == "121095100"]
    assert (filed["started"], filed["submitted"], filed["completion_rate"]) == (1, 1, 1.0) and filed["avg_submit_seconds"] == 0.0


async def test_bad_periods_and_unknown_parameters_are_refused_naming_the_field(client: Any, tokens: dict[str, dict[str, str]]) -> None:
    for query, field in (({"since": "2025-03-10", "until": "2025-03-01"}, "since"), ({"since": "2020-01-01", "until": "2025-01-01"}, "since"),
                         ({"channel": "fax"}, "channel"), ({"since": "yesterday"}, "since"), ({"format": "xml"}, "format"),
                         ({"phone": "+989121234567"}, "phone")):
        answer = await client.get("/api/v1/analytics/nodes", params=query, headers=tokens["viewer"])
        assert answer.status == 422 and (await answer.json())["error"]["field"] == field, query
    assert (await client.get("/api/v1/analytics/services")).status == 401


async def test_two_hosts_sharing_redis_count_each_hop_once_and_a_conversation_left_on_either_once(
        aiohttp_client, settings: Settings, shared_redis: Any) -> None:  # type: ignore[no-untyped-def]
    """Behind a round-robin load balancer each hop may reach either host: the host that saved a
    conversation last is the one that counts it abandoned; the other, finding it continued or
    ended elsewhere, does not."""
    clock = ManualClock()
    shared = settings.updated({"redis": {"url": shared_redis.url, "prefix": f"t{uuid.uuid4().hex}:"}})
    hosts = [await aiohttp_client(await create_app(shared, clock=clock)) for _ in range(2)]

    async def walk(phone: str, inputs: list[str]) -> str:
        session, page = uuid.uuid4().hex, ""
        for hop in range(len(inputs) + 1):
            clock.advance(2)
            form = {"sessionId": session, "serviceCode": "*4#", "phoneNumber": phone, "text": "*".join(inputs[:hop])}
            page = await (await hosts[hop % 2].post("/ussd/africastalking", data=form)).text()
        return page

    assert "Tracking code" in await walk("+989121234567", FIRST_ID_CARD_EN)   # ten hops, the END on host A
    assert "Civil registry" in await walk("+989127654321", ["2", "1"])        # left at the categories, last saved by host A
    assert (await walk("+989125550000", ["1"])).startswith("CON")            # and one left at home in Persian, last saved by host B
    clock.advance(settings.sessions.ussd_ttl + 1)
    for host in hosts:
        await host.app[GATEWAY].analytics.flush()

    viewer = (await role_headers(hosts[0].app[GATEWAY].db))["viewer"]
    answer = await (await hosts[1].get("/api/v1/analytics/nodes", headers=viewer)).json()
    counted = {row["node"]: (row["visits"], row["exits"], row["drops"]) for row in answer["items"]}
    assert counted["services:receipt"] == (1, 1, 0) and counted["services:req_121095100_0"] == (1, 0, 0)
    assert counted["services:ussd_categories"] == (2, 0, 1) and counted["main:home"] == (3, 0, 1) and counted["main:language"] == (3, 0, 0)
    assert sum(drops for _, _, drops in counted.values()) == 2
    [row] = [r for r in (await (await hosts[0].get("/api/v1/analytics/services", headers=viewer)).json())["items"]
             if r["service_id"] == "121095100"]
    assert (row["started"], row["submitted"], row["avg_submit_seconds"]) == (1, 1, 18.0)   # nine hops two seconds apart


async def test_counts_not_yet_flushed_are_written_when_the_gateway_stops(aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    first = await aiohttp_client(await create_app(settings))
    await ussd_hops(first, "+989121234567", ["", "2"])
    assert await first.app[GATEWAY].db.fetchall("SELECT * FROM analytics_nodes") == []   # counted in memory only, so far
    await first.close()                                                                  # the server stops: its last flush

    again = await aiohttp_client(await create_app(settings))
    viewer = (await role_headers(again.app[GATEWAY].db))["viewer"]
    answer = await (await again.get("/api/v1/analytics/nodes", params={"channel": "ussd"}, headers=viewer)).json()
    assert {(r["node"], r["visits"]) for r in answer["items"]} == {("main:language", 1), ("main:home", 1)}
