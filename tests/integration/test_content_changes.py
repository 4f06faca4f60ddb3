"""Operators change content safely: publish serves an edit live, a broken one is refused, rollback
undoes; citizens on a screen that no longer exists are moved to the nearest surviving one they came
through (else home) with a short notice, never an error."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from gateway_process import ROOT, serve, store_setting
from ussd_citizen import ussd_hops
from waiting import eventually_blocking

FIRST_ISSUE = "121095100"
"""Civil registry > Smart ID card > First issue (a sub-service)."""


async def test_a_citizen_on_a_retired_service_is_moved_to_its_menu_with_a_notice(client, tokens) -> None:  # type: ignore[no-untyped-def]
    hops = ["", "2", "2*1", "2*1*1", "2*1*1*1", "2*1*1*1*1"]          # English, services, civil registry, ID card, first issue
    pages = await ussd_hops(client, "+989127771111", hops, session="c1")
    assert pages[-1].startswith("CON First national ID card") and pages[-2].startswith("CON National smart ID card")
    retired = await client.delete(f"/api/v1/services/{FIRST_ISSUE}", headers=tokens["admin"])
    assert retired.status == 200 and (await retired.json())["active"] is False
    assert retired.headers["Pishkhan-Content-Version"] == "2"          # a new version, served at once
    [moved, after] = await ussd_hops(client, "+989127771111", ["2*1*1*1*1*1", "2*1*1*1*1*1*0"], session="c1")
    assert moved.startswith("CON This menu has changed.\nNational smart ID card") and "First issue" not in moved
    assert after == pages[-3]                                         # and 0 goes on back from there


async def test_a_dropped_session_on_a_removed_node_resumes_somewhere_safe(client, tokens) -> None:  # type: ignore[no-untyped-def]
    hops = ["", "2", "2*1", "2*1*1", "2*1*1*1", "2*1*1*1*1"]
    await ussd_hops(client, "+989127772222", hops)                   # dropped here (no END)
    assert (await client.delete(f"/api/v1/services/{FIRST_ISSUE}", headers=tokens["admin"])).status == 200
    [offer, resumed] = await ussd_hops(client, "+989127772222", ["", "1"])
    assert "Continue where you left off?" in offer
    assert resumed.startswith("CON This menu has changed.\nNational smart ID card")


async def test_a_retired_service_keeps_its_requests_status(client, tokens) -> None:  # type: ignore[no-untyped-def]
    answers = ["", "2", "2*1", "2*1*1", "2*1*1*1", "2*1*1*1*1", "2*1*1*1*1*1", "2*1*1*1*1*1*0499370899",
               "2*1*1*1*1*1*0499370899*1375/06/21", "2*1*1*1*1*1*0499370899*1375/06/21*1"]
    receipt = (await ussd_hops(client, "+989127773333", answers))[-1]
    found = re.search(r"Tracking code:\s*(\d+)", receipt)
    assert found, receipt
    code = found.group(1)
    assert (await client.delete(f"/api/v1/services/{FIRST_ISSUE}", headers=tokens["admin"])).status == 200
    looked_up = await client.get(f"/api/v1/requests/{code}", headers=tokens["viewer"])
    assert looked_up.status == 200 and (await looked_up.json())["service_id"] == FIRST_ISSUE
    card = await client.get(f"/api/v1/services/{FIRST_ISSUE}", headers=tokens["viewer"])
    assert card.status == 200 and (await card.json())["active"] is False   # kept, off the menus


def _home(url: str) -> str:
    """The English home menu, as a new citizen reaches it (language menu, then 2)."""
    phone = f"+98912{uuid.uuid4().int % 10**7:07d}"
    form = urllib.parse.urlencode({"sessionId": uuid.uuid4().hex, "serviceCode": "*4#", "phoneNumber": phone, "text": "2"})
    with urllib.request.urlopen(f"{url}/ussd/africastalking", data=form.encode(), timeout=5) as response:
        return response.read().decode()


def _pishkhan(config: Path, store: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **store_setting(store), "PISHKHAN_REDIS_URL": ""}
    return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_publish_serves_an_edit_live_refuses_a_broken_one_and_rollback_undoes(tmp_path: Path, store_url: str) -> None:
    config, store = tmp_path / "config", store_url
    shutil.copytree(ROOT / "config", config)
    flow = config / "flows" / "main.yaml"
    with serve(store, args=("--config", str(config))) as (process, url):
        assert "Government services" in _home(url)
        flow.write_text(flow.read_text(encoding="utf-8").replace("Government services", "State services"), encoding="utf-8")
        assert "Government services" in _home(url)                   # an edit on disk is a draft: citizens see the live version
        published = _pishkhan(config, store, "flows", "publish", "--note", "rename the home title")
        assert published.returncode == 0 and "version 2 published (was 1)" in published.stdout, published.stderr
        eventually_blocking(lambda: "State services" in _home(url), timeout=2.0, what="every worker serves a publish within 2 s")
        flow.write_text("flow: main\nnodes: [\n", encoding="utf-8")  # a broken edit: refused, never stored, never served
        broken = _pishkhan(config, store, "flows", "publish")
        assert broken.returncode == 1 and "main.yaml: not valid YAML" in broken.stderr
        os.kill(process.pid, signal.SIGHUP)                           # looks at the store again; never stops the server
        assert process.poll() is None and "State services" in _home(url)
        listed = _pishkhan(config, store, "flows", "versions").stdout.splitlines()
        assert listed[0].startswith("* 2\t") and listed[0].endswith("rename the home title") and listed[1].startswith("  1\t")
        back = _pishkhan(config, store, "flows", "rollback")
        assert back.returncode == 0 and "version 1 is live again (was 2)" in back.stdout, back.stderr
        eventually_blocking(lambda: "Government services" in _home(url), timeout=2.0, what="the rollback served within 2 s")
        assert process.poll() is None


def test_export_writes_yaml_that_publishes_to_the_same_version(tmp_path: Path, store_url: str) -> None:
    config, store, out = tmp_path / "config", store_url, tmp_path / "exported"
    shutil.copytree(ROOT / "config", config)
    assert _pishkhan(config, store, "flows", "publish").returncode == 0
    exported = _pishkhan(config, store, "flows", "export", str(out))
    assert exported.returncode == 0 and "version 1 written" in exported.stdout, exported.stderr
    assert sorted(p.name for p in (out / "flows").iterdir()) == sorted(p.name for p in (config / "flows").iterdir())
    again = _pishkhan(config, store, "flows", "publish", "--from", str(out))
    assert again.returncode == 0 and "nothing changed; version 1 is live" in again.stdout, again.stderr
    (config / "flows" / "extra.yaml").write_text("flow: extra\nnodes: {bye: {type: end, text: {fa: خدا, en: Bye}}}\n")
    refused = _pishkhan(config, store, "flows", "export", str(config))
    assert refused.returncode == 1 and "extra.yaml" in refused.stderr and (config / "flows" / "extra.yaml").exists()


def test_diff_and_simulate_show_a_change_before_citizens_see_it(tmp_path: Path, store_url: str) -> None:
    config, store = tmp_path / "config", store_url
    shutil.copytree(ROOT / "config", config)
    assert _pishkhan(config, store, "flows", "publish").returncode == 0                       # version 1: config/ as shipped
    flow = config / "flows" / "main.yaml"
    flow.write_text(flow.read_text(encoding="utf-8").replace("Government services", "State services"), encoding="utf-8")
    shown = _pishkhan(config, store, "flows", "diff")
    lines = shown.stdout.splitlines()
    assert shown.returncode == 0 and lines[:2] == ["--- version 1", "+++ config/"] and lines[2].startswith("1 node changed")
    assert "  ~ main:home (changed)" in lines and '      text[en]: "Government services" → "State services"' in lines
    assert "        - CON Government services" in lines and "        + CON State services" in lines     # the USSD page itself
    draft = _simulate(config, store, "*4*2#")
    live = _simulate(config, store, "*4*2#", "--version", "live")
    assert "CON State services" in draft and "CON Government services" in live                 # config/ is a draft until published
    assert _pishkhan(config, store, "flows", "publish").returncode == 0
    assert _pishkhan(config, store, "flows", "diff").stdout.splitlines()[2] == "no changes"
    assert "CON Government services" in _simulate(config, store, "*4*2#", "--version", "1")
    assert "there is no version 9" in _simulate(config, store, "*4*2#", "--version", "9")


def _simulate(config: Path, store: str, dial: str, *args: str) -> str:
    env = {**os.environ, **store_setting(store), "PISHKHAN_REDIS_URL": ""}
    done = subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), "simulate", *args], cwd=ROOT, env=env,
                          input=dial + "\n", capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr
