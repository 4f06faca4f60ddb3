"""The store fails politely: an unusable file stops `serve` at once with the path and the fix, and a
full disk makes /readyz say so until space returns (a real tmpfs of a few MiB, mounted in a private
user and mount namespace so the test needs no root)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from gateway_process import ROOT, gateway_env, refused, serving

from gateway.store.sqlite import HEADROOM


def test_a_store_that_is_not_a_database_stops_serve_with_one_line(tmp_path: Path) -> None:
    store = tmp_path / "pishkhan.sqlite3"
    store.write_text("these are notes, not a database\n" * 10)
    done = refused(gateway_env(store))   # used to hang with a traceback
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: store {store}: cannot be opened (file is not a database); point `store.url` (or PISHKHAN_STORE_URL) "
        "at a writable SQLite file (sqlite:///path), or move the broken file away"
    ]


def test_a_store_under_a_file_stops_serve_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("a file where the store's folder should be")
    store = tmp_path / "var" / "pishkhan.sqlite3"
    done = refused(gateway_env(store))
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: store {store}: cannot be opened (") and "PISHKHAN_STORE_URL" in line


def test_broken_flows_found_after_the_store_opened_stop_serve(tmp_path: Path) -> None:
    """The flows are checked against the store's catalogue, so the store is open by then: it is
    closed again, or its connection thread keeps the process alive after the errors are printed."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    flow = config / "flows" / "main.yaml"
    flow.write_text(flow.read_text(encoding="utf-8").replace("next: lookup\n", "next: lookupp\n", 1), encoding="utf-8")
    done = refused(gateway_env(tmp_path / "s.sqlite3"), "--config", str(config))   # used to hang
    assert done.returncode == 1
    assert "`lookupp`" in done.stderr


def store_readiness(base: str) -> tuple[int, bool]:
    """/readyz's status code and its `store` check."""
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())["checks"]["store"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["checks"]["store"]


SUBMISSION = ["2", "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"]
"""English, then a service to its receipt (as tests/integration/test_kill9.py walks it)."""


def submit_over_ussd(base: str) -> str:
    """A new citizen's USSD session through SUBMISSION; the last page."""
    session, phone, page = uuid.uuid4().hex, f"+98912{uuid.uuid4().int % 10_000_000:07d}", ""
    for hop in range(len(SUBMISSION) + 1):
        form = urllib.parse.urlencode({"sessionId": session, "serviceCode": "*4#", "phoneNumber": phone, "text": "*".join(SUBMISSION[:hop])})
        with urllib.request.urlopen(f"{base}/ussd/africastalking", data=form.encode(), timeout=10) as response:
            page = response.read().decode()
    return page


def fill(path: Path) -> None:
    """Write zeros to `path` until the file system is full. Unbuffered: a buffered file keeps what a short write
    left over and fails again on close, depending only on how full the disk was."""
    with path.open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == 28, exc   # ENOSPC


def test_a_full_disk_is_reported_and_survived(tmp_path: Path) -> None:
    """/readyz says so; a submission meanwhile is refused politely (its COMMIT failed); once space
    returns, /readyz is ready and the next submission is stored."""
    disk = tmp_path / "disk"
    disk.mkdir()
    size = HEADROOM + 8 * 1024 * 1024
    on_tmpfs = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                f'mount -t tmpfs -o size={size} pishkhan-test "$0" && exec "$@"', str(disk)]
    with serving(gateway_env(disk / "pishkhan.sqlite3"), prefix=on_tmpfs) as served:
        seen_by_server = Path(f"/proc/{served.process.pid}/root") / disk.relative_to("/")
        assert os.statvfs(seen_by_server).f_blocks * os.statvfs(seen_by_server).f_frsize == size  # the tmpfs, not tmp_path
        assert store_readiness(served.base) == (200, True)

        fill(seen_by_server / "filler")
        assert store_readiness(served.base) == (503, False)
        assert submit_over_ussd(served.base).startswith("CON Your request could not be registered. Please try later.")

        (seen_by_server / "filler").unlink()
        assert store_readiness(served.base) == (200, True)
        assert submit_over_ussd(served.base).startswith("END Request received. Tracking code:")
