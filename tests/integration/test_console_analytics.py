"""The console's analytics page as staff see it: the period's drop-offs, volumes and service figures
in their language with the charts inline, a filter they mistype named on the page with what they
typed kept, the rows as CSV, and the flows page's map coloured by drop-offs."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from clock import ManualClock
from console_pages import make_user, post_form, sign_in
from ussd_citizen import ussd_hops

from gateway.app import GATEWAY, create_app
from gateway.settings import Settings


async def test_the_analytics_page_and_the_coloured_flow_map(aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    client: Any = await aiohttp_client(await create_app(settings, clock=clock))
    gateway = client.app[GATEWAY]
    await ussd_hops(client, "+989121234567", ["", "2", "2*1"])       # a citizen leaves at the services menu ...
    clock.advance(gateway.settings.sessions.ussd_ttl + 1)            # ... and the line is long gone
    await gateway.analytics.flush()

    await make_user(client, "sara", "viewer")
    await make_user(client, "john", "viewer", language="en")
    await sign_in(client, "sara")
    answer = await client.get("/console/analytics")
    page = await answer.text()
    assert answer.status == 200 and '<html lang="fa" dir="rtl">' in page and "رهاشدن در هر گره" in page
    assert page.count('<svg class="chart"') == 4 and "<script" not in page.split("</header>")[-1]
    assert re.search(r"services:ussd_categories</span></td><td>۱</td><td>۰</td><td>۱</td><td>۱۰۰%</td>", page)
    assert "style=" not in page                                      # the CSP allows no inline style

    refused = await client.get("/console/analytics", params={"since": "1403/13/40", "channel": "ussd"})
    shown = await refused.text()
    assert refused.status == 400 and "«از روز»: روز را مانند" in shown and 'value="1403/13/40"' in shown
    assert 'aria-invalid="true"' in shown and '<option value="ussd" selected>' in shown

    exported = await client.get("/console/analytics/nodes.csv", params={"channel": "ussd"})
    rows = list(csv.DictReader(io.StringIO((await exported.text()).lstrip("\ufeff"))))
    assert exported.status == 200 and {"node": "services:ussd_categories", "visits": "1", "exits": "0", "drops": "1", "drop_rate": "1.0"} in rows

    plain = await (await client.get("/console/flows")).text()
    coloured = await (await client.get("/console/flows", params={"drops": "30"})).text()
    assert "node-heat-on" not in plain
    assert re.search(r'class="node [^"]*node-heat-on[^"]*" data-ref="services:ussd_categories"', coloured), coloured[:3000]
    assert '<option value="30" selected>' in coloured
    refused = await client.get("/console/flows", params={"drops": "45"})
    assert refused.status == 400 and "drops: one of 7, 30, 90" in await refused.text()

    assert (await post_form(client, "/console/logout", {})).status == 303
    await sign_in(client, "john")
    english = await (await client.get("/console/analytics", params={"since": "7d", "channel": "sms"})).text()
    assert '<html lang="en" dir="ltr">' in english and "Drop-offs per node" in english and "Nothing was recorded in this period." in english
