"""Citizens survive an operator's change: a session whose screen no longer exists is moved to the
nearest surviving screen it came through (else home) with a short notice, never an error."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from gateway_process import ROOT, serve
from ussd_citizen import ussd_hops
from waiting import eventually_blocking

from gateway.runtime import GATEWAY

FIRST_ISSUE = "121095100"
"""Civil registry > Smart ID card > First issue (a sub-service)."""


async def test_a_citizen_on_a_removed_service_is_moved_to_its_menu_with_a_notice(client) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    hops = ["", "2", "2*1", "2*1*1", "2*1*1*1", "2*1*1*1*1"]          # English, services, civil registry, ID card, first issue
    pages = await ussd_hops(client, "+989127771111", hops, session="c1")
    assert pages[-1].startswith("CON First national ID card") and pages[-2].startswith("CON National smart ID card")
    catalogue = gateway.catalogue
    gateway.use_catalogue(dataclasses.replace(catalogue, services=tuple(s for s in catalogue.services if s.id != FIRST_ISSUE)))
    [moved, after] = await ussd_hops(client, "+989127771111", ["2*1*1*1*1*1", "2*1*1*1*1*1*0"], session="c1")
    assert moved.startswith("CON This menu has changed.\nNational smart ID card") and "First issue" not in moved
    assert after == pages[-3]                                         # and 0 goes on back from there


async def test_a_dropped_session_on_a_removed_node_resumes_somewhere_safe(client) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    hops = ["", "2", "2*1", "2*1*1", "2*1*1*1", "2*1*1*1*1"]
    await ussd_hops(client, "+989127772222", hops)                   # dropped here (no END)
    catalogue = gateway.catalogue
    gateway.use_catalogue(dataclasses.replace(catalogue, services=tuple(s for s in catalogue.services if s.id != FIRST_ISSUE)))
    [offer, resumed] = await ussd_hops(client, "+989127772222", ["", "1"])
    assert "Continue where you left off?" in offer
    assert resumed.startswith("CON This menu has changed.\nNational smart ID card")


def _home(url: str) -> str:
    """The English home menu, as a new citizen reaches it (language menu, then 2)."""
    phone = f"+98912{uuid.uuid4().int % 10**7:07d}"
    form = urllib.parse.urlencode({"sessionId": uuid.uuid4().hex, "serviceCode": "*4#", "phoneNumber": phone, "text": "2"})
    with urllib.request.urlopen(f"{url}/ussd/africastalking", data=form.encode(), timeout=5) as response:
        return response.read().decode()


def test_sighup_reloads_the_flows_and_never_stops_the_server(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    flow = config / "flows" / "main.yaml"
    with serve(tmp_path / "s.sqlite3", env={"PISHKHAN_SERVER_LOG_LEVEL": "INFO"}, args=("--config", str(config))) as (process, url):
        assert "Government services" in _home(url)
        flow.write_text(flow.read_text(encoding="utf-8").replace("Government services", "State services"), encoding="utf-8")
        os.kill(process.pid, signal.SIGHUP)
        eventually_blocking(lambda: "State services" in _home(url), what="the edited flow served after SIGHUP")
        flow.write_text("flow: main\nnodes: [\n", encoding="utf-8")   # a broken edit: refused, the last good flows stay
        os.kill(process.pid, signal.SIGHUP)
        eventually_blocking(lambda: process.poll() is None and "State services" in _home(url), what="still serving")
        assert process.poll() is None
