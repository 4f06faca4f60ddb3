"""No loss: a request whose tracking code the citizen saw is in the store even after `kill -9`.

Runs the real `pishkhan serve` as a subprocess on the test's store (SQLite, or PostgreSQL in that
pass), submits over the Africa's Talking USSD endpoint until the receipt page, kills the process
with SIGKILL at once, then reads the store directly and, after a restart, looks the request up over USSD.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid

from gateway_process import ROOT, serve, store_setting
from postgres_server import query

PHONE = "+989121234567"


def ussd(base: str, inputs: list[str]) -> str:
    """One USSD session, hop by hop; the last page."""
    session, page = uuid.uuid4().hex, ""
    for hop in range(len(inputs) + 1):
        form = urllib.parse.urlencode({"sessionId": session, "serviceCode": "*4#", "phoneNumber": PHONE, "text": "*".join(inputs[:hop])})
        with urllib.request.urlopen(f"{base}/ussd/africastalking", data=form.encode(), timeout=5) as response:
            page = response.read().decode()
    return page


def test_an_acknowledged_request_survives_kill_9(store_url: str) -> None:
    store = store_url
    with serve(store) as (process, base):
        receipt = ussd(base, ["2", "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"])
        os.kill(process.pid, signal.SIGKILL)   # right after the citizen saw the code
        process.wait(5)
    assert process.returncode == -signal.SIGKILL
    match = re.search(r"Tracking code:\s*([0-9]{11})", receipt)
    assert match, receipt
    code = match.group(1)
    found = query(store, "SELECT status, service_id, phone, national_code FROM requests WHERE tracking_code = ?", (code,))
    events = query(store, "SELECT to_status FROM request_events JOIN requests r ON r.id = request_id WHERE r.tracking_code = ?", (code,))
    assert found == [{"status": "submitted", "service_id": "121095100", "phone": PHONE, "national_code": "0499370899"}]
    assert events == [{"to_status": "submitted"}]
    with serve(store) as (_, base):   # and the citizen can track it after the restart
        status = ussd(base, ["2", "2", code])   # a new process: the language is asked again
        assert "Status: submitted" in status and "First issue" in status
    # the receipt SMS was queued (before or after the kill), exactly once
    assert query(store, "SELECT count(*) AS n FROM outbox WHERE idempotency_key = ?", (f"receipt:{code}",)) == [{"n": 1}]
    assert query(store, "SELECT state FROM payments p JOIN requests r ON r.id = p.request_id WHERE r.tracking_code = ?",
                 (code,)) == [{"state": "pending"}]   # the fee's payment came with the request
    env = {**os.environ, **store_setting(store)}
    check = subprocess.run([sys.executable, "-m", "gateway", "payments", "reconcile"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.strip().endswith("1 pending, 0 mismatched, 0 orphaned"), check.stdout + check.stderr
