"""Content versions over the operator API: list, export, publish, roll back; refused versions are never
served; a change prepared on an old version is refused; card edits and imports are versions with a diff."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from postgres_server import query
from ussd_citizen import ussd_hops

from gateway.assembly import open_gateway
from gateway.cli import main
from gateway.runtime import GATEWAY
from gateway.store.url import database_at


async def live_content(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    listed = await (await client.get("/api/v1/flows", headers=headers)).json()
    return (await (await client.get(f"/api/v1/flows/{listed['live']}", headers=headers)).json())["content"]


def with_home_title(content: dict[str, Any], title: str) -> dict[str, Any]:
    changed = copy.deepcopy(content)
    changed["flows"]["main.yaml"]["nodes"]["home"]["text"]["en"] = title
    return changed


async def test_publish_serves_at_once_and_rollback_undoes(client, tokens) -> None:  # type: ignore[no-untyped-def]
    admin = tokens["admin"]
    content = await live_content(client, admin)
    published = await client.post("/api/v1/flows", json={**with_home_title(content, "State services"), "note": "new title"}, headers=admin)
    body = await published.json()
    assert published.status == 201 and body["version"]["version"] == 2 and body["version"]["author"] == "token 3 (test admin)"
    assert body["summary"] == "1 node changed"
    assert (await ussd_hops(client, "+989120001111", ["", "2"]))[-1].startswith("CON State services")
    assert (await (await client.get("/readyz")).json())["content_version"] == 2
    again = await client.post("/api/v1/flows", json=with_home_title(content, "State services"), headers=admin)
    assert again.status == 200 and (await again.json())["unchanged"] is True          # the live content: no new version
    listed = await (await client.get("/api/v1/flows", headers=admin)).json()
    assert [v["version"] for v in listed["items"]] == [2, 1] and listed["live"] == listed["served"] == 2
    back = await client.post("/api/v1/flows/rollback", json={}, headers=admin)
    assert back.status == 200 and (await back.json())["version"]["version"] == 1
    assert (await ussd_hops(client, "+989120002222", ["", "2"]))[-1].startswith("CON Government services")
    exported = await (await client.get("/api/v1/flows/1", headers=admin)).json()
    assert exported["content"] == content                                               # an export publishes to the same digest


async def test_a_broken_version_is_refused_with_every_problem_and_never_served(client, tokens) -> None:  # type: ignore[no-untyped-def]
    admin = tokens["admin"]
    broken = copy.deepcopy(await live_content(client, admin))
    home = broken["flows"]["main.yaml"]["nodes"]["home"]
    home["options"][1]["goto"] = "trak"
    broken["flows"]["main.yaml"]["nodes"]["track"]["retires"] = 2
    broken["catalogue"]["services"][0]["fees"] = 160000
    refused = await client.post("/api/v1/flows", json=broken, headers=admin)
    error = (await refused.json())["error"]
    assert refused.status == 422 and error["code"] == "invalid"
    found = {(d["file"], d["node"], d["message"], d["hint"]) for d in error["details"]}
    assert ("flows/main.yaml", "track", "unknown key `retires`", "did you mean `retries`?") in found
    assert ("catalogue.yaml", "service 121095000", "unknown key `fees`", "did you mean `fee`?") in found
    listed = await (await client.get("/api/v1/flows", headers=admin)).json()
    assert listed["total"] == 1 and listed["served"] == 1                               # nothing stored, nothing served
    assert (await ussd_hops(client, "+989120003333", ["", "2", "2*2"]))[-1].startswith("CON Enter your tracking code")


async def test_a_change_prepared_on_an_old_version_is_refused(client, tokens) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    before = gateway.content.served
    content = await live_content(client, tokens["admin"])
    assert (await client.post("/api/v1/flows", json=with_home_title(content, "One"), headers=tokens["admin"])).status == 201
    change = await gateway.publisher.prepare(gateway.builder.with_catalogue(before, before.catalogue), (before.version, before.checked))
    try:
        await gateway.publisher.publish(change, author="late", note="prepared on version 1")
    except Exception as exc:  # noqa: BLE001 - the type is what is asserted
        assert type(exc).__name__ == "StaleVersion" and "prepared on version 1" in str(exc)
    else:
        raise AssertionError("a change prepared on version 1 was published over version 2")


async def test_retire_and_categories(client, tokens) -> None:  # type: ignore[no-untyped-def]
    categories = await (await client.get("/api/v1/categories", headers=tokens["viewer"])).json()
    identity = next(c for c in categories["items"] if c["id"] == "identity")
    retired = await client.delete("/api/v1/services/121095000", headers=tokens["admin"])
    assert retired.status == 200 and (await retired.json())["active"] is False
    after = await (await client.get("/api/v1/categories", headers=tokens["viewer"])).json()
    assert next(c for c in after["items"] if c["id"] == "identity")["services"] == identity["services"] - 1
    assert (await client.delete("/api/v1/services/121095000", headers=tokens["operator"])).status == 403
    assert (await client.delete("/api/v1/services/999999999", headers=tokens["admin"])).status == 404
    audit = await (await client.get("/api/v1/audit?action=service.retired", headers=tokens["admin"])).json()
    [entry] = audit["items"]
    assert entry["subject"] == "121095000" and entry["actor"] == "token 3 (test admin)" and "retired" in entry["detail"]["summary"]


async def test_an_import_after_an_api_edit_is_a_version_whose_diff_shows_what_it_overwrote(  # type: ignore[no-untyped-def]
        client, tokens, settings, capsys, monkeypatch) -> None:
    edited = await client.patch("/api/v1/services/121095100", json={"fee": 350000}, headers=tokens["admin"])
    assert edited.status == 200 and edited.headers["Pishkhan-Content-Version"] == "2"
    monkeypatch.setenv("PISHKHAN_STORE_URL", settings.store_url())
    assert await asyncio.to_thread(main, ["--config", str(settings.config_dir), "catalogue", "import"]) == 0  # as from a shell
    assert "version 3 published (was 2)" in capsys.readouterr().out
    audit = await (await client.get("/api/v1/audit?subject=version 3", headers=tokens["admin"])).json()
    [entry] = audit["items"]
    assert entry["actor"].startswith("cli") and any("fee: 350000 → 300000" in line for line in entry["detail"]["diff"])
    assert await asyncio.to_thread(query, settings.store_url(), "SELECT fee FROM services WHERE id = '121095100'") == [{"fee": 300000}]


async def test_a_live_version_this_build_refuses_never_keeps_the_gateway_down(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    first = await open_gateway(settings)                                  # version 1: config/ as shipped
    await first.close()
    db = await database_at(settings.store_url()).open()                  # version 2, stored by a build with looser checks
    try:
        stored = await db.fetchone("SELECT content FROM content_versions WHERE number = 1")
        content = json.loads(stored["content"])  # type: ignore[index]
        content["catalogue"]["services"][0]["title"]["fa"] = "ت" * 40
        await db.execute("INSERT INTO content_versions (number, digest, content, author, created_at, note) VALUES (2, 'x', ?, 'old build', 0, '')",
                         (json.dumps(content, ensure_ascii=False),))
        await db.execute("UPDATE content_live SET number = 2")
    finally:
        await db.close()
    gateway = await open_gateway(settings)
    try:
        assert gateway.content.number == 1 and "this build refuses the live version 2; serving version 1" in caplog.text
        assert "`title.fa` is 40 characters; at most 28" in caplog.text
        assert await gateway.readiness.checks["content"]() is False and "content" in gateway.readiness.advisory
    finally:
        await gateway.close()
