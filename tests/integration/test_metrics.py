"""`GET /metrics` through the real HTTP routes: it parses as Prometheus text, its hop counter and
latency histogram move with a USSD walk, its outbox gauges show what is queued, and scrapers the
`metrics:` settings do not allow are refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from ussd_citizen import ussd_hops

from gateway.app import GATEWAY, create_app
from gateway.settings import Settings


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition by (name, labels); fails the test when it does not parse."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: Any, **headers: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain"
    return samples(await response.text())


USSD = {"channel": "ussd", "dialect": "africastalking"}
DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "pishkhan.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exposed_names(text: str) -> set[str]:
    """Every series name an exposition offers, samples or not (a labelled counter nothing moved yet has none)."""
    return {family.name + suffix for family in text_string_to_metric_families(text) for suffix in SUFFIXES.get(family.type, ("",))}


async def test_a_ussd_walk_moves_the_hop_counter_and_the_latency_histogram(client: Any) -> None:
    before = await scrape(client)
    pages = await ussd_hops(client, "+989121110000", ["", "2", "2*1"])
    assert pages[-1].startswith("CON ") and "Services" in pages[-1]
    after = await scrape(client)
    continued = value(after, "pishkhan_hops_total", **USSD, outcome="continued") - value(before, "pishkhan_hops_total", **USSD, outcome="continued")
    assert continued == 3
    assert value(after, "pishkhan_hop_duration_seconds_count", **USSD) - value(before, "pishkhan_hop_duration_seconds_count", **USSD) == 3
    assert value(after, "pishkhan_hop_duration_seconds_sum", **USSD) > value(before, "pishkhan_hop_duration_seconds_sum", **USSD)
    assert value(after, "pishkhan_hop_duration_seconds_bucket", **USSD, le="+Inf") >= 3
    assert value(after, "pishkhan_up", check="store") == 1 and value(after, "pishkhan_up", check="state") == 1
    assert value(after, "pishkhan_content_version") == client.app[GATEWAY].content.number >= 1
    assert not any("+98" in shown for _, labels in after for _, shown in labels)   # no phone in any label


async def test_the_grafana_dashboard_asks_only_for_metrics_the_gateway_exposes(client: Any) -> None:
    exprs = [target["expr"] for panel in json.loads(DASHBOARD.read_text())["panels"] for target in panel["targets"]]
    asked = {name for expr in exprs for name in re.findall(r"pishkhan_[a-z_]+", expr)}
    exposed = exposed_names(await (await client.get("/metrics")).text())
    assert len(asked) >= 10 and asked <= exposed, asked - exposed


async def test_the_outbox_gauges_show_the_queued_rows(client: Any) -> None:
    outbox = client.app[GATEWAY].outbox
    await outbox.enqueue("sms", "tel:+989121110001", "later", kind="notification", idempotency_key="metrics-first", delay=3600)
    await outbox.enqueue("sms", "tel:+989121110002", "held", kind="notification", delay=-60, after="metrics-first")  # due a minute ago, waits
    found = await scrape(client)
    assert value(found, "pishkhan_outbox_depth", state="pending") == 2
    assert value(found, "pishkhan_outbox_depth", state="sending") == 0
    assert 60 <= value(found, "pishkhan_outbox_oldest_pending_age_seconds") < 120


async def test_scrapes_the_settings_do_not_allow_are_refused(client: Any, aiohttp_client: Any, settings: Settings) -> None:
    proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})   # nginx on this host: a loopback peer
    assert proxied.status == 403 and "proxy" in await proxied.text()

    elsewhere = await aiohttp_client(await create_app(settings.updated({"metrics": {"allow_ips": ["10.0.0.0/8"]}})))
    refused = await elsewhere.get("/metrics")
    assert refused.status == 403 and "allow_ips" in await refused.text()

    tokened = await aiohttp_client(await create_app(settings.updated({"metrics": {"token": "s3cret-token"}})))
    assert (await tokened.get("/metrics")).status == 401
    wrong = await tokened.get("/metrics", headers={"Authorization": "Bearer not-it"})
    assert wrong.status == 401 and "s3cret" not in await wrong.text()
    assert value(await scrape(tokened, Authorization="Bearer s3cret-token", **{"X-Forwarded-For": "203.0.113.9"}), "pishkhan_up",
                 check="store") == 1   # the token proves who scrapes, wherever it came from

    off = await aiohttp_client(await create_app(settings.updated({"metrics": {"enabled": False}})))
    assert (await off.get("/metrics")).status == 404
