"""A card's `channels` decide where its service is offered: menus and direct dial show a service
only on the channels its card lists (numbered 1..n, empty categories left out), requests are taken
only there, and a request's status can be looked up on every channel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ussd_citizen import PHONE, apply_by_ussd

from flows.engine import Engine
from flows.errors import FlowError
from flows.loader import parse_flow
from flows.model import FlowSet
from flows.paging import Surface
from gateway.app import GATEWAY
from gateway.catalogue import parse_catalogue
from gateway.catalogue.flows import catalogue_flow
from gateway.requests import UnknownService
from gateway.transcripts import run_transcript

ROOT = Path(__file__).resolve().parents[2]
BUILDING_PERMIT = ["2", "1", "5", "2", "1", "0499370899", "1234567890", "3", "1"]
"""English, services, utilities, building permit (web, app, ussd, counter), apply, ..., confirm."""


def card(ident: str, category: str, title: str, channels: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": ident, "category": category, "type": "G2C", "title": {"fa": title, "en": title}, "channels": channels, **extra}


def services_engine(cards: list[dict[str, Any]]) -> Engine:
    errors: list[FlowError] = []
    catalogue = parse_catalogue({"categories": [{"id": c, "title": {"fa": c, "en": c}} for c in ("alpha", "beta", "gamma")],
                                 "services": cards}, "catalogue.yaml", errors)
    flow = parse_flow(catalogue_flow(catalogue, ("fa", "en")), "<catalogue>", errors)
    assert flow is not None and not errors, errors
    return Engine(FlowSet({"services": flow}, entry="services", home="services"), {})


async def menu_on(engine: Engine, channel: str, *choices: str) -> str:
    session = engine.new_session(channel, "tel:+989120000000", lang="en")
    reply = await engine.open(session, Surface(channel))
    for choice in choices:
        reply = await engine.handle(session, choice, Surface(channel))
    return reply.body + "".join(f"\n{c.key}. {c.label}" for c in reply.choices if not c.nav)


async def test_each_channel_numbers_only_its_services_and_hides_empty_categories() -> None:
    engine = services_engine([
        card("111111000", "alpha", "Everywhere", ["ussd", "sms", "telegram"]),
        card("222222000", "beta", "Web only", ["web", "email"]),
        card("333333000", "gamma", "Counter", ["counter", "ussd"]),
        card("333333100", "gamma", "Child by bot", ["telegram"], parent="333333000"),
        card("333334000", "gamma", "Bot and SMS", ["telegram", "sms"]),
    ])
    assert await menu_on(engine, "ussd") == "Services:\n1. alpha\n2. gamma"
    assert await menu_on(engine, "ussd", "2") == "gamma\n1. Counter"
    assert await menu_on(engine, "ussd", "2", "1") == "Counter\n1. Service card"   # its sub-service is the bot's only
    assert await menu_on(engine, "sms", "2") == "gamma\n1. Bot and SMS"
    assert await menu_on(engine, "telegram", "2") == "gamma\n1. Bot and SMS"      # the child's parent is not on the bot
    engine = services_engine([card("222222000", "beta", "Web only", ["web", "email"])])
    assert await menu_on(engine, "ussd") == "No services are offered on this channel."


async def test_a_request_is_refused_on_a_channel_its_card_does_not_list(client) -> None:  # type: ignore[no-untyped-def]
    requests = client.app[GATEWAY].requests
    answers = {"national_code": "0499370899", "letter_number": "12/345"}
    with pytest.raises(UnknownService, match="141041000 is not offered on ussd"):
        await requests.submit("141041000", answers, channel="ussd", address=f"tel:{PHONE}", phone=PHONE, lang="en")
    assert await client.app[GATEWAY].db.fetchone("SELECT count(*) AS n FROM requests") == {"n": 0}


async def test_a_status_is_found_on_every_channel_even_where_the_service_is_not_offered(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code = await apply_by_ussd(client, BUILDING_PERMIT)
    for channel in ("sms", "telegram"):
        steps = [{"send": "hello"}, {"send": "4"}, {"send": "2"}] if channel == "sms" else [{"send": "/start"}, {"send": "2"}]
        transcript = tmp_path / f"{channel}.yaml"
        transcript.write_text(yaml.safe_dump({"name": f"status on {channel}", "channel": channel, "short_number": "4000",
                                              "msisdn": PHONE, "steps": [*steps, {"send": "2"},
                                                                         {"send": code, "expect": ["Status: submitted", "Building permit"]}]}))
        assert await run_transcript(client.app[GATEWAY], transcript) == []


def test_validate_warns_about_a_service_with_inputs_no_citizen_channel_offers() -> None:
    run = subprocess.run([sys.executable, "-m", "gateway", "flows", "validate"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.startswith("ok: ")
    [warning] = run.stderr.splitlines()
    assert warning.startswith("warning: ") and "catalogue.yaml: service 141041000 (Tax clearance check) takes requests" in warning
    assert "(channels: web, email)" in warning and "add one of ussd, sms, telegram to its `channels`" in warning
