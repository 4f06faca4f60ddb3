"""`/api/v1/agencies/{agency}/subscriptions` and `/api/v1/events/…`, and `pishkhan events`: who may
manage an agency's subscriptions, what a bad subscription is told, that the secret is shown once,
and that every change is audited."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from gateway.app import GATEWAY
from gateway.cli import main

CONFIG = str(Path(__file__).resolve().parents[2] / "config")
URL = "https://sabt.example/pishkhan/events"


def _agency(client: Any) -> str:
    service = client.app[GATEWAY].content.catalogue.get("121095100")
    assert service is not None and service.agency
    return str(service.agency)


async def _call(client: Any, method: str, path: str, headers: dict[str, str], body: Any = None) -> tuple[int, Any]:
    answer = await client.request(method, f"/api/v1{path}", headers=headers, json=body)
    return answer.status, (await answer.json() if answer.status != 204 else None)


async def test_a_subscription_is_made_read_rotated_disabled_and_deleted_with_its_secret_shown_twice_only(client, tokens) -> None:  # type: ignore[no-untyped-def]
    agency, admin = _agency(client), tokens["admin"]
    base = f"/agencies/{agency}/subscriptions"
    status, made = await _call(client, "POST", base, admin, {"url": URL, "types": ["payment.paid", "request.submitted"]})
    assert status == 201 and made["types"] == ["request.submitted", "payment.paid"] and made["personal"] is False
    assert made["secret"].startswith("whsec_") and len(base64.b64decode(made["secret"][6:])) == 32
    status, listed = await _call(client, "GET", base, tokens["viewer"])
    assert status == 403  # an unscoped viewer is the national desk's, not the agency's
    status, listed = await _call(client, "GET", base, admin)
    assert status == 200 and [s["id"] for s in listed["items"]] == [made["id"]] and "secret" not in str(listed)
    status, rotated = await _call(client, "POST", f"{base}/{made['id']}/rotate", admin)
    assert status == 200 and rotated["secret"] not in (made["secret"], None) and rotated["rotating_until"] is not None
    status, changed = await _call(client, "PATCH", f"{base}/{made['id']}", admin, {"state": "disabled"})
    assert status == 200 and changed["state"] == "disabled" and changed["disabled_reason"].startswith("by token ")
    assert (await _call(client, "DELETE", f"{base}/{made['id']}", admin))[0] == 204
    assert (await _call(client, "GET", f"{base}/{made['id']}", admin))[0] == 404
    stored = await client.app[GATEWAY].db.fetchall("SELECT action, detail FROM audit WHERE action LIKE 'event_subscription.%' ORDER BY id")
    assert [r["action"] for r in stored] == ["event_subscription.created", "event_subscription.rotated", "event_subscription.disabled",
                                             "event_subscription.deleted"]
    assert "whsec_" not in str(stored)


BAD = [
    ({"url": "http://sabt.example/x", "types": ["request.submitted"]}, "url"),
    ({"url": "https://127.0.0.1/x", "types": ["request.submitted"]}, "url"),
    ({"url": "https://10.1.2.3:8443/x", "types": ["request.submitted"]}, "url"),
    ({"url": "https://user:pw@sabt.example/x", "types": ["request.submitted"]}, "url"),
    ({"url": "https://sabt.example/" + "x" * 2000, "types": ["request.submitted"]}, "url"),
    ({"url": URL, "types": ["request.deleted"]}, "types"),
    ({"url": URL, "types": []}, "types"),
    ({"url": URL, "types": ["request.submitted"], "secret": "mine"}, "secret"),
]
"""Bodies refused, and the field each refusal names (one gateway for all: a test module shares one where it can)."""


async def test_a_bad_subscription_is_refused_naming_the_field(client, tokens) -> None:  # type: ignore[no-untyped-def]
    for body, field in BAD:
        status, answer = await _call(client, "POST", f"/agencies/{_agency(client)}/subscriptions", tokens["admin"], body)
        assert status == 422 and answer["error"]["code"] == "invalid", answer
        assert answer["error"].get("field") == field or field in answer["error"]["message"], (field, answer)
    assert await client.app[GATEWAY].db.fetchall("SELECT id FROM event_subscriptions") == []


async def test_who_may_not_touch_an_agencys_events(client, tokens) -> None:  # type: ignore[no-untyped-def]
    agency = _agency(client)
    assert (await _call(client, "GET", "/agencies/nosuchagency/subscriptions", tokens["admin"]))[0] == 404
    assert (await _call(client, "POST", f"/agencies/{agency}/subscriptions", tokens["operator"], {"url": URL, "types": ["payment.paid"]}))[0] == 403
    assert (await _call(client, "POST", "/events/replay", tokens["admin"], {"agency": agency}))[0] == 422  # neither an event nor a range
    status, answer = await _call(client, "POST", "/events/replay", tokens["admin"], {"agency": agency, "since": "2026-01-01"})
    assert status == 404 and "no event in that range" in answer["error"]["message"]
    status, answer = await _call(client, "GET", "/events/deliveries?agency=nosuch&limit=5", tokens["viewer"])
    assert status == 200 and answer == {"items": [], "limit": 5, "next_before_id": None}


def test_the_cli_subscribes_prints_the_secret_once_and_replays(empty_store_url: str, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PISHKHAN_STORE_URL", empty_store_url)
    assert main(["--config", CONFIG, "db", "migrate"]) == 0
    assert main(["--config", CONFIG, "catalogue", "import"]) == 0
    capsys.readouterr()
    assert main(["--config", CONFIG, "events", "subscribe", "sabt", URL, "--type", "payment.paid"]) == 0
    made = capsys.readouterr().out
    assert "1\tsabt\tenabled\t" + URL + "\tpayment.paid\t-" in made and "secret (shown once" in made and "whsec_" in made
    assert main(["--config", CONFIG, "events", "list", "sabt"]) == 0
    assert "whsec_" not in capsys.readouterr().out
    assert main(["--config", CONFIG, "events", "subscribe", "sabt", "http://sabt.example/x"]) == 1
    assert "url: must use https" in capsys.readouterr().err
    assert main(["--config", CONFIG, "events", "replay", "sabt", "--since", "2026-01-01"]) == 1
    assert "no event in that range" in capsys.readouterr().err
    assert main(["--config", CONFIG, "events", "disable", "sabt", "1"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert main(["--config", CONFIG, "events", "deliveries", "--agency", "sabt"]) == 0
    assert "0 attempts" in capsys.readouterr().out
