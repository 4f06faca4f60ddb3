"""The generic JSON dialect end to end, against a small aggregator speaking it."""

from __future__ import annotations

from aiohttp import web
from fakes.sms_gateway import ALI, start_rig
from waiting import eventually


async def test_generic_json_in_out_and_reports(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    posted: list[dict] = []

    async def send(request: web.Request) -> web.Response:
        posted.append(await request.json())
        return web.json_response({"id": f"g-{len(posted)}"})

    app = web.Application()
    app.router.add_post("/messages", send)
    aggregator = await aiohttp_server(app)
    generic = {"type": "generic", "base_url": str(aggregator.make_url("/messages")), "secret": "g-secret", "timeout": 0.5}
    rig = await start_rig(aiohttp_server, aiohttp_client, settings, providers={"kannel": generic})

    response = await rig.client.post("/sms/inbound/kannel", json={"id": "m1", "from": ALI, "to": "4000", "text": "HELP"},
                                     headers={"X-Pishkhan-Secret": "g-secret"})
    assert response.status == 200 and await response.json() == {"status": "ok"}
    await eventually(lambda: posted)
    assert posted[0]["to"] == ALI and posted[0]["from"] == "4000" and "STATUS <code>" in posted[0]["text"]
    assert posted[0]["dlr_url"].endswith("/sms/dlr/kannel?secret=g-secret")
    [row] = await eventually(lambda: rig.outbox(state="sent"))
    assert row["provider_message_id"] == "g-1"
    report = await rig.client.post("/sms/dlr/kannel?secret=g-secret", json={"id": "g-1", "status": "delivered"})
    assert report.status == 200
    assert (await rig.outbox())[0]["delivery"] == "delivered"
