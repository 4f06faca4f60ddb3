"""A real Kannel in front of `pishkhan serve`, set up as the README tells an integrator to.

Debian's bearerbox and smsbox run deploy/kannel/kannel.conf itself (only its ports and its log and
spool directories changed) and Kannel's own fakesmsc plays the citizen's phone on the SMSC side:
it sends the text and prints every message the SMSC is asked to deliver, one line each
(`sender receiver ucs-2 <url-encoded UTF-16BE>`, or `... udh <udh> data <bytes>` for a part of a
concatenated message). Pishkhan runs as a subprocess on a scratch SQLite file. Kannel is installed
by .ci/run; without it this test fails saying so, it is never skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import aiohttp
import pytest
from gateway_process import ROOT, serve
from redis_server import free_port
from ussd_citizen import apply_by_ussd
from waiting import eventually_blocking

from flows.normalise import to_persian_digits
from gateway.settings import load_settings

KANNEL_CONF = ROOT / "deploy" / "kannel" / "kannel.conf"
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/lib/kannel/test"])
PHONE, ADDRESS, SHORT_NUMBER = "09121234567", "+989121234567", "4000"
APPLICANT = "+989351112233"
"""Applies over USSD (in English), so the texting citizen's language is left alone."""
_LOG_ENTRY = re.compile(r"Got message \d+: <(.*)>$", re.M)
_MESSAGE = re.compile(r"\S+ (\S+) (text|data|ucs-2|udh) (.*)")
"""fakesmsc's line for a message: sender, receiver, how the rest is written, the rest."""
_CONCAT = re.compile(rb"\x05\x00\x03(.)(.)(.)", re.S)
"""The UDH of one part of a concatenated SMS: IE 00, reference, total parts, this part's number."""


def binary(name: str) -> str:
    """A Kannel program, or the test fails saying how to install it."""
    found = shutil.which(name, path=SEARCH_PATH)
    if found is None:
        pytest.fail(f"Kannel's {name} is not installed: `apt-get install kannel kannel-extras` (.ci/run does)")
    return found


def groups(conf: str) -> dict[str, dict[str, str]]:
    """Each Kannel group's settings by group name (the file has one of each), quotes removed."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in conf.splitlines():
        key, sep, value = line.partition(" = ")
        if not sep or key.startswith("#"):
            continue
        if key == "group":
            current = found.setdefault(value, {})
        else:
            current[key] = value.strip('"')
    return found


class Kannel:
    """bearerbox + smsbox on deploy/kannel/kannel.conf with free ports, calling Pishkhan on `gateway_port`."""

    def __init__(self, directory: Path, gateway_port: int) -> None:
        self.directory = directory
        self.ports = {"admin-port": free_port(), "smsbox-port": free_port(), "sendsms-port": free_port(), "port": free_port()}
        text = KANNEL_CONF.read_text()
        for key, port in self.ports.items():
            text, count = re.subn(rf"^{key} = \d+$", f"{key} = {port}", text, flags=re.M)
            assert count == 1, f"{KANNEL_CONF} has no single `{key} = ...`"
        text, count = re.subn(r"//127\.0\.0\.1:8080/", f"//127.0.0.1:{gateway_port}/", text)
        assert count == 1, f"{KANNEL_CONF}: the get-url does not call Pishkhan at 127.0.0.1:8080"
        for system_dir in ("/var/log/kannel", "/var/spool/kannel"):
            local = directory / system_dir.split("/")[2]   # log, spool
            local.mkdir()
            text = text.replace(system_dir, str(local))
        self.conf = directory / "kannel.conf"
        self.conf.write_text(text)
        self.settings = groups(text)
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def smsc_port(self) -> int:
        return self.ports["port"]

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms-port']}"

    def log(self, box: str) -> str:
        """A box's log file so far."""
        path = Path(self.settings[box]["log-file"])
        return path.read_text(errors="replace") if path.exists() else ""

    def _status(self) -> str:
        url = f"http://127.0.0.1:{self.ports['admin-port']}/status.txt?password={quote(self.settings['core']['admin-password'])}"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.read().decode()
        except OSError:
            return ""

    def _box(self, name: str) -> None:
        with (self.directory / f"{name}.out").open("wb") as out:   # as Debian's init script runs them
            self.processes.append(subprocess.Popen([binary(name), "-v", "4", "--", str(self.conf)], stdout=out, stderr=out))

    def start(self) -> None:
        """Both boxes, once the smsbox is connected to the bearerbox."""
        self._box("bearerbox")
        eventually_blocking(self._status, 10, lambda: f"bearerbox answering status.txt\n{self.log('core')[-2000:]}")
        self._box("smsbox")
        eventually_blocking(lambda: "smsbox:" in self._status(), 10, lambda: f"smsbox connected\n{self.log('smsbox')[-2000:]}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(5)


@dataclass(frozen=True)
class Delivered:
    """One message as the phone shows it: concatenated parts put together."""

    text: str
    parts: int


class Phone:
    """A citizen's handset on Kannel's fake SMSC: each text is one fakesmsc run, kept connected to
    receive what follows; messages for other numbers are left aside."""

    def __init__(self, directory: Path, smsc_port: int) -> None:
        self.directory = directory
        self.smsc_port = smsc_port
        self.outputs: list[Path] = []
        self.process: subprocess.Popen[bytes] | None = None
        self.seen = 0

    def hang_up(self) -> None:
        """Disconnect fakesmsc (the SMSC takes one client at a time); Kannel keeps later messages."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(3)
        self.process = None

    def send(self, text: str) -> None:
        """Text the short number: Persian as UCS-2, plain ASCII as GSM text."""
        self.hang_up()
        body = f"text {text}" if text.isascii() else f"ucs2 {quote(text.encode('utf-16-be'))}"
        output = self.directory / f"fakesmsc-{len(self.outputs)}.out"
        self.outputs.append(output)
        with output.open("wb") as out:
            self.process = subprocess.Popen([binary("fakesmsc"), "-H", "127.0.0.1", "-r", str(self.smsc_port), "-m", "1",
                                             f"{PHONE} {SHORT_NUMBER} {body}"], stdout=out, stderr=out)

    def inbox(self) -> list[Delivered]:
        """Every complete message delivered to this phone so far, in order of arrival."""
        messages: list[Delivered] = []
        pending: dict[int, dict[int, bytes]] = {}
        for output in self.outputs:
            text_at = None
            for entry in _LOG_ENTRY.findall(output.read_text(errors="replace")):
                head = _MESSAGE.fullmatch(entry)
                if head is None:   # fakesmsc reads lines, so a GSM text's next line comes as a message of its own
                    if text_at is not None:
                        messages[text_at] = Delivered(f"{messages[text_at].text}\n{entry}", 1)
                    continue
                receiver, kind, rest = head.groups()
                text_at = None
                if receiver != ADDRESS:
                    continue
                if kind == "udh":
                    udh, data = rest.split(" data ", 1)
                    match = _CONCAT.fullmatch(_bytes(udh))
                    assert match, f"a UDH that is not a concatenation header: {udh}"
                    ref, total, number = match.group(1)[0], match.group(2)[0], match.group(3)[0]
                    parts = pending.setdefault(ref, {})
                    parts[number] = _bytes(data)
                    if len(parts) == total:
                        messages.append(Delivered(_ucs2(pending.pop(ref)), total))
                elif kind == "ucs-2":
                    messages.append(Delivered(_bytes(rest).decode("utf-16-be"), 1))
                else:
                    text_at = len(messages)
                    messages.append(Delivered(rest, 1))
        return messages

    def expect(self, check: Callable[[str], bool], timeout: float) -> Delivered:
        """The next message to this phone, once its text passes `check` (a GSM text's lines come one
        by one); fails showing what the phone has when it does not come in `timeout` seconds."""
        def arrived() -> Delivered | None:
            new = self.inbox()[self.seen :]
            return new[0] if new and check(new[0].text) else None
        message = eventually_blocking(arrived, timeout, lambda: f"the expected SMS; the phone has {self.inbox()[self.seen:]}")
        self.seen += 1
        return message


def _bytes(encoded: str) -> bytes:
    """Kannel's URL encoding (a space byte is `+`) back to bytes."""
    return unquote_to_bytes(encoded.replace("+", "%20"))


def _ucs2(parts: dict[int, bytes]) -> str:
    """Concatenated UCS-2 parts as one text; each part at most 67 characters (134 bytes + 6 of UDH)."""
    for number, data in parts.items():
        assert len(data) % 2 == 0 and len(data) <= 134, f"part {number} is not a UCS-2 segment: {len(data)} bytes"
    return b"".join(parts[n] for n in sorted(parts)).decode("utf-16-be")


@pytest.fixture
def kannel(tmp_path: Path) -> Iterator[tuple[Kannel, int]]:
    """A running Kannel and the port Pishkhan must listen on for it."""
    gateway_port = free_port()
    kannel = Kannel(tmp_path, gateway_port)
    try:
        kannel.start()
        yield kannel, gateway_port
    finally:
        kannel.stop()


def rows(store: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    with sqlite3.connect(store) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, args).fetchall()


async def test_persian_menus_status_and_downtime_through_a_real_kannel(tmp_path: Path, kannel: tuple[Kannel, int]) -> None:
    box, port = kannel
    sendsms_user, smsbox = box.settings["sendsms-user"], box.settings["smsbox"]
    assert int(sendsms_user["max-messages"]) >= load_settings(ROOT / "config", environ={}).sms.max_segments
    store = tmp_path / "pishkhan.sqlite3"
    env = {"PISHKHAN_SMS_PROVIDERS_KANNEL_BASE_URL": box.sendsms_url, "PISHKHAN_SMS_PROVIDERS_KANNEL_USERNAME": sendsms_user["username"],
           "PISHKHAN_SMS_PROVIDERS_KANNEL_PASSWORD": sendsms_user["password"], "PISHKHAN_SMS_PROVIDERS_KANNEL_ALLOW_IPS": "127.0.0.1",
           "PISHKHAN_SMS_CALLBACK_BASE_URL": f"http://127.0.0.1:{port}"}
    phone = Phone(tmp_path, box.smsc_port)
    try:
        with serve(store, port=port, env=env) as (_, base):
            phone.send("سلام")
            home = phone.expect(lambda text: text.startswith("پیشخوان دولت"), timeout=10)
            assert "۱. خدمات" in home.text

            phone.send("۱")   # the services menu: longer than one UCS-2 segment
            services = phone.expect(lambda text: text.startswith("خدمات:"), timeout=10)
            assert services.parts == 2 and "۳. مالیات و کسب\u200cوکار" in services.text
            [sent] = rows(store, "SELECT id FROM outbox WHERE address = ? AND text = ?", f"tel:{ADDRESS}", services.text)
            report = eventually_blocking(lambda: rows(store, "SELECT * FROM sms_deliveries WHERE outbox_id = ? AND reports >= 2", sent["id"]),
                           10, "Kannel's delivery reports (8 and 1) for the services menu")[0]
            assert (report["state"], report["segments"], report["coding"]) == ("delivered", 2, "ucs2")
            assert report["detail"].split()[0] == "1", report["detail"]   # the report that said delivered, not the late 8

            async with aiohttp.ClientSession(base) as http:
                code = await apply_by_ussd(http, phone=APPLICANT)
            phone.send(f"STATUS {code}")
            phone.expect(lambda text: text.startswith(f"Request {code}") and "Status: submitted" in text, timeout=10)

        failed = f"Couldn't fetch <http://127.0.0.1:{port}/sms/inbound/"
        failed_before = box.log("smsbox").count(failed)
        phone.send(f"وضعیت {to_persian_digits(code)}،")   # Pishkhan is down; `%a` would turn the comma's 06 0C into 06
        eventually_blocking(lambda: box.log("smsbox").count(failed) > failed_before, 10, "smsbox failing to pass the text on while Pishkhan is down")
        assert phone.inbox()[phone.seen :] == []
        with serve(store, port=port, env=env):
            retry_window = int(smsbox["http-request-retry"]) * int(smsbox["http-queue-delay"])
            phone.expect(lambda text: to_persian_digits(code) in text and "ثبت شده" in text, timeout=retry_window)
            eventually_blocking(lambda: rows(store, "SELECT 1 FROM sms_deliveries WHERE state = 'delivered' AND outbox_id ="
                               " (SELECT max(id) FROM outbox WHERE address = ?)", f"tel:{ADDRESS}"), 10, "the late reply's delivery report")
        assert phone.inbox()[phone.seen :] == [], "a text answered more than once"
    finally:
        phone.hang_up()


def test_the_readme_quotes_the_kannel_conf_this_test_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    quoted = re.search(r"\*\*Kannel\.\*\*.*?```text\n(.*?)```", readme, re.S)
    assert quoted, "README.md has no Kannel section quoting deploy/kannel/kannel.conf"
    conf = KANNEL_CONF.read_text().splitlines()
    assert [line for line in quoted.group(1).splitlines() if line and line not in conf] == []
