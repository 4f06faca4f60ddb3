"""A publish reaches every worker, and no citizen on USSD or SMS is stranded by it: two workers on
Redis, citizens mid-conversation on a node that a version renames and a later one removes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from gateway_process import ROOT, GatewayProcess, store_setting
from postgres_server import query
from redis_server import RedisServer
from test_redis_serve_workers import listeners
from waiting import eventually_blocking

USSD_PHONE, SMS_PHONE = "+989121110001", "+989121110002"


def ussd(url: str, session: str, text: str, phone: str = USSD_PHONE) -> str:
    form = urllib.parse.urlencode({"sessionId": session, "serviceCode": "*4#", "phoneNumber": phone, "text": text})
    with urllib.request.urlopen(f"{url}/ussd/africastalking", data=form.encode(), timeout=5) as response:
        return response.read().decode()


def sms(url: str, store: str, text: str) -> str:
    """Text the short number through the Kannel endpoint; the reply the gateway queued for it."""
    message_id = uuid.uuid4().hex
    form = urllib.parse.urlencode({"id": message_id, "sender": SMS_PHONE, "receiver": "4000", "text": text, "coding": "0", "charset": "UTF-8"})
    with urllib.request.urlopen(f"{url}/sms/inbound/kannel?{form}", timeout=5) as response:
        assert response.status == 200

    def reply() -> str | None:
        rows = query(store, "SELECT text, meta FROM outbox WHERE kind = 'reply' ORDER BY id DESC LIMIT 20")
        return next((str(r["text"]) for r in rows if json.loads(str(r["meta"])).get("message_id") == message_id), None)

    return eventually_blocking(reply, what="the SMS reply queued")


def probe(url: str) -> str:
    """What a new citizen sees after choosing English and Track a request (another number each time)."""
    return ussd(url, uuid.uuid4().hex, "2*2", phone=f"+98912{uuid.uuid4().int % 10**7:07d}")


def pishkhan(config: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", "--config", str(config), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def renamed_track(main: Path) -> None:
    """`track` becomes `track_code` (with a new prompt), and `renames:` says where its citizens go."""
    text = main.read_text(encoding="utf-8")
    text = text.replace("goto: track\n", "goto: track_code\n").replace("  track:\n", "  track_code:\n")
    text = text.replace('en: "Enter your tracking code:"', 'en: "Type the 11-digit tracking code:"')
    main.write_text(text + "\nrenames:\n  track: track_code\n", encoding="utf-8")


def test_a_renamed_then_removed_node_strands_no_citizen_on_two_workers(tmp_path: Path, redis_server: RedisServer, store_url: str) -> None:
    config, store = tmp_path / "config", store_url
    shutil.copytree(ROOT / "config", config)
    gateway = GatewayProcess(store, env={"PISHKHAN_REDIS_URL": redis_server.url}, args=("--config", str(config), "--workers", "2"))
    env = {**os.environ, **store_setting(store), "PISHKHAN_REDIS_URL": redis_server.url}
    gateway.start(up=lambda: listeners(gateway.port) >= 2)
    try:
        url, session = gateway.url, uuid.uuid4().hex
        assert "Enter your tracking code" in ussd(url, session, "2*2")            # English, Track a request: on main:track
        for text in ("hi", "4", "2"):                                             # home, Language, English
            sms(url, store, text)
        assert "Enter your tracking code" in sms(url, store, "2")                 # the SMS citizen is there too

        renamed_track(config / "flows" / "main.yaml")
        published = pishkhan(config, env, "flows", "publish", "--note", "track renamed")
        assert published.returncode == 0 and "version 2 published (was 1); no node removed" in published.stdout, published.stderr
        on_track_code = []  # probing citizens left on the renamed node: the rollback counts them too

        def renamed_shown() -> bool:
            on_track_code.extend(["probe"] * ("Type the 11-digit" in (page := probe(url))))
            return "Type the 11-digit" in page

        for _ in range(8):  # several requests, so both workers answer: each serves the new version
            eventually_blocking(renamed_shown, timeout=2.0, what="version 2 everywhere")
        continued = ussd(url, session, "2*2*123")                                  # the citizen answers the renamed screen
        assert continued.startswith("CON ") and "Type the 11-digit" in continued and "menu has changed" not in continued
        answered = sms(url, store, "123")
        assert "Type the 11-digit" in answered and "menu has changed" not in answered

        back = pishkhan(config, env, "flows", "rollback", "1")                      # version 1 has no track_code: both are moved
        assert back.returncode == 0, back.stderr
        assert f"1 node(s) removed (main:track_code); {2 + len(on_track_code)} live conversation(s) on them will be moved" in back.stdout
        for _ in range(8):
            eventually_blocking(lambda: "Enter your tracking code" in probe(url), timeout=2.0, what="version 1 again")
        moved = ussd(url, session, "2*2*123*456")
        assert moved.startswith("CON This menu has changed.\nGovernment services")   # the nearest surviving screen: home
        shown = sms(url, store, "456")
        assert "This menu has changed." in shown and "Government services" in shown
        assert "Enter your tracking code" in sms(url, store, "2")                  # and they go on from there
    finally:
        assert gateway.stop(signal.SIGTERM) == 0  # SIGTERM: the supervisor stops its workers too
