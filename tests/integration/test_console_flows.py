"""The console's flow pages as staff use them: the live version's map links every node; a node's page
shows its texts and its pages with their counters; only admins edit, and an edit is checked, diffed
and published through the same Publisher as the API (problems shown at their node, the text kept, a
stale base refused), reaches citizens at once, can be rolled back, and is audited by name."""

from __future__ import annotations

import html
import re
from typing import Any

import yaml
from console_pages import make_user, post_form, sign_in
from ussd_citizen import ussd_hops

from gateway.audit import AuditLog
from gateway.runtime import GATEWAY

EDIT = "/console/flows/edit"
HOME_EN = "en: Government services"


async def signed_in_as(client: Any, name: str, role: str, language: str = "en") -> None:
    await make_user(client, name, role, language=language)
    assert (await sign_in(client, name)).status == 303


async def switch_to(client: Any, name: str) -> None:
    """Sign out whoever is signed in, and sign in as `name`."""
    assert (await post_form(client, "/console/logout", {})).status == 303
    assert (await sign_in(client, name)).status == 303


def textarea(page: str, name: str) -> str:
    """The text a textarea of the editor holds, as the browser would send it."""
    found = re.search(rf'<textarea id="file-{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, f"no text box for {name}"
    return html.unescape(found.group(1))


async def editor_form(client: Any) -> dict[str, str]:
    """The editor's fields as the page gives them (base version, every flow file)."""
    page = await (await client.get(EDIT)).text()
    base = re.search(r'name="base" value="(\d+)"', page)
    assert base
    return {"base": base.group(1), "seen": "0", "note": "",
            **{f"flows/{name}": textarea(page, name) for name in re.findall(r'<textarea id="file-([a-z_]+\.yaml)"', page)}}


async def send(client: Any, form: dict[str, str], do: str) -> tuple[int, str]:
    answer = await post_form(client, EDIT, {**form, "do": do}, page=EDIT)
    return answer.status, await answer.text()


def retitled(form: dict[str, str], title: str) -> dict[str, str]:
    main = form["flows/main.yaml"]
    assert main.count(HOME_EN) == 1, main
    return {**form, "flows/main.yaml": main.replace(HOME_EN, f"en: {title}")}


async def actions_of(client: Any, name: str) -> list[str]:
    entries, _ = await AuditLog(client.app[GATEWAY].db).list(actor=f"console:{name}", limit=100)
    return [entry.action for entry in reversed(entries) if entry.action.startswith("content.")]


async def test_the_map_links_every_node_of_the_live_version(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "vida", "viewer")
    answer = await client.get("/console/flows")
    page = await answer.text()
    assert answer.status == 200 and "Live version" in page and 'class="map-wrap"' in page and "<svg" in page
    flows = client.app[GATEWAY].content.served.checked.flowset
    refs = [f"{flow.id}:{node}" for flow in flows.flows.values() for node in flow.nodes]
    assert len(refs) > 20
    for ref in refs:
        assert f'<a href="/console/flows/1/nodes/{ref}" class="node' in page, ref
    assert "cli:" in page or "pishkhan" in page.lower()        # the live version's author is shown
    assert "/console/flows/edit" not in page                   # no edit button for a viewer


async def test_a_node_page_shows_its_texts_pages_counters_and_links(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "vida", "viewer")
    answer = await client.get("/console/flows/1/nodes/main:home")
    page = await answer.text()
    assert answer.status == 200
    assert "پیشخوان دولت" in page and "Government services" in page and "Track a request" in page
    assert "USSD · en" in page and "USSD · fa" in page and "SMS · en" in page and "Bot · fa" in page
    assert re.search(r"Page 1 of 1 ·\s*\d+ of 182 characters", page), page
    assert re.search(r"Page 1 of 1 ·\s*\d+ of 80 characters", page)     # Persian pages are UCS-2
    assert "CON Government services\n1. Services" in html.unescape(page)
    assert '<a class="ltr" href="/console/flows/1/nodes/main:track">main:track</a>' in page
    assert '<a class="ltr" href="/console/flows/1/nodes/main:language">main:language</a>' in page  # reached from
    assert '<a href="/console/flows/1">Back to the map</a>' in page
    assert (await client.get("/console/flows/1/nodes/main:nowhere")).status == 404
    assert (await client.get("/console/flows/9/nodes/main:home")).status == 404


async def test_viewers_and_operators_cannot_edit_publish_or_roll_back(client) -> None:  # type: ignore[no-untyped-def]
    await make_user(client, "omid", "operator", language="en")
    await make_user(client, "vida", "viewer", language="en")
    assert (await sign_in(client, "omid")).status == 303
    for name in ("omid", "vida"):
        await switch_to(client, name)
        assert (await client.get(EDIT)).status == 403
        assert (await client.get("/console/flows/rollback?version=1")).status == 403
        assert (await post_form(client, EDIT, {"base": "1", "flows/main.yaml": "x", "do": "publish", "note": "n"})).status == 403
        assert (await post_form(client, "/console/flows/rollback", {"version": "1", "base": "1"})).status == 403
    assert (await client.app[GATEWAY].publisher.store.versions())[1] == 1


async def test_an_admin_checks_diffs_publishes_and_rolls_back_a_menu_text(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "azar", "admin")
    form = retitled(await editor_form(client), "State services")
    status, page = await send(client, form, "check")
    assert status == 200 and "No problems found." in page and "State services" in textarea(page, "main.yaml")

    status, page = await send(client, form, "diff")
    assert status == 200 and "Changes against live version 1" in page and 'name="seen" value="1"' in page
    assert '<span class="diff-del">        - CON Government services</span>' in page
    assert '<span class="diff-add">        + CON State services</span>' in page

    answer = await post_form(client, EDIT, {**form, "do": "publish", "note": "a shorter title"}, page=EDIT)
    assert answer.status == 303 and answer.headers["Location"] == "/console/flows?published=2"
    listed = await (await client.get("/console/flows?published=2")).text()
    assert "Version 2 is published and live." in listed and "a shorter title" in listed and "console:azar" in listed
    assert (await ussd_hops(client, "+989120001111", ["", "2"]))[-1].startswith("CON State services")

    old_map = await (await client.get("/console/flows/1")).text()            # an earlier version's map, checked anew
    assert "Version 1" in old_map and '<a href="/console/flows/1/nodes/main:home" class="node' in old_map
    assert '<a href="/console/flows/rollback?version=1">Roll back to this</a>' in old_map
    confirm = await client.get("/console/flows/rollback")
    page = await confirm.text()
    assert confirm.status == 200 and "Roll back to version 1" in page
    assert '<span class="diff-add">        + CON Government services</span>' in page
    back = await post_form(client, "/console/flows/rollback", {"version": "1", "base": "2"}, page="/console/flows/rollback")
    assert back.status == 303 and back.headers["Location"] == "/console/flows?rolled_back=1"
    assert (await ussd_hops(client, "+989120002222", ["", "2"]))[-1].startswith("CON Government services")
    assert await actions_of(client, "azar") == ["content.published", "content.rolled_back"]
    entries, _ = await AuditLog(client.app[GATEWAY].db).list(actor="console:azar", limit=10)
    published = next(e for e in entries if e.action == "content.published")
    assert published.detail["note"] == "a shorter title" and published.detail["summary"] == "1 node changed"


async def test_problems_are_shown_at_their_node_and_nothing_is_published(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "azar", "admin")
    form = await editor_form(client)
    main = form["flows/main.yaml"]
    line = main.split("\n").index("  track:") + 1
    broken = {**form, "flows/main.yaml": main.replace("    var: code\n", "    var: code\n    retires: 2\n"), "note": "typo"}
    status, page = await send(client, broken, "publish")
    assert status == 422 and "1 problem(s)" in page
    assert (f'<a href="#file-main.yaml">main.yaml</a> · <a href="/console/flows/1/nodes/main:track">track</a> · line {line}:'
            in page), page
    assert "unknown key `retires`" in page and "did you mean `retries`?" in page
    assert "retires: 2" in textarea(page, "main.yaml") and 'value="typo"' in page        # nothing typed is lost

    goto = main.index("goto: track")
    missing = {**form, "flows/main.yaml": main[:goto] + "goto: trak" + main[goto + len("goto: track"):]}
    status, page = await send(client, missing, "check")
    home = main.split("\n").index("  home:") + 1
    assert status == 422 and f'<a href="/console/flows/1/nodes/main:home">home</a> · line {home}:' in page
    assert "option 2 goes to `trak`, which does not exist" in page and "goto: trak" in textarea(page, "main.yaml")

    status, page = await send(client, {**form, "flows/main.yaml": "flow: main\nnodes: [\n"}, "check")
    assert status == 422 and "not valid YAML at line" in page
    assert (await client.app[GATEWAY].publisher.store.versions())[1] == 1
    assert await actions_of(client, "azar") == []


async def test_a_publish_based_on_an_older_version_is_refused_until_the_diff_is_shown(client) -> None:  # type: ignore[no-untyped-def]
    await make_user(client, "bahar", "admin", language="en")
    await signed_in_as(client, "azar", "admin")
    mine = retitled(await editor_form(client), "Services of the state")
    await switch_to(client, "bahar")                           # a colleague publishes meanwhile
    theirs = retitled(await editor_form(client), "Citizen services")
    assert (await post_form(client, EDIT, {**theirs, "do": "publish", "note": "first"}, page=EDIT)).status == 303
    await switch_to(client, "azar")

    status, page = await send(client, {**mine, "note": "mine"}, "publish")
    assert status == 409 and "Version 2 was published after you began (on version 1)." in page
    assert "Services of the state" in textarea(page, "main.yaml") and 'value="mine"' in page
    status, page = await send(client, {**mine, "note": "mine"}, "diff")
    assert status == 200 and "Changes against live version 2" in page and "- CON Citizen services" in page
    seen = {**mine, "note": "mine", "seen": "2"}
    answer = await post_form(client, EDIT, {**seen, "do": "publish"}, page=EDIT)
    assert answer.status == 303 and answer.headers["Location"] == "/console/flows?published=3"
    assert (await ussd_hops(client, "+989120003333", ["", "2"]))[-1].startswith("CON Services of the state")

    stale = await post_form(client, "/console/flows/rollback", {"version": "1", "base": "2"}, page="/console/flows/rollback")
    assert stale.status == 409 and "The live version changed meanwhile" in await stale.text()
    assert await client.app[GATEWAY].publisher.store.live_number() == 3


async def test_the_diff_names_the_nodes_an_edit_removes(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "azar", "admin")
    form = await editor_form(client)
    data = yaml.safe_load(form["flows/help.yaml"])
    del data["nodes"]["contact"]
    data["nodes"]["menu"]["options"] = [o for o in data["nodes"]["menu"]["options"] if o["goto"] != "contact"]
    without = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    reading = await ussd_hops(client, "+989120004444", ["", "2", "2*3", "2*3*2"])          # a citizen reads the contact note
    assert "Call centre" in reading[-1]
    status, page = await send(client, {**form, "flows/help.yaml": without}, "diff")
    assert status == 200 and "Nodes removed: help:contact" in page and "- help:contact (removed)" in page
    assert "1 live conversation(s) on them will be moved to a surviving screen." in page, page
