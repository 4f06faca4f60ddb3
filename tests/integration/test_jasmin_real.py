"""A real Jasmin in front of `pishkhan serve`, set up as README.md's Jasmin section tells an operator to.

Jasmin 0.11.1 (with the #1236 fix .ci/run applies) runs on its own RabbitMQ and Redis
(tests/jasmin_server.py) and binds over SMPP to the SMSC in tests/smpp_smsc.py, which plays the
citizen's phone: it sends deliver_sm texts with the data_coding and bytes a handset's SMSC would,
and keeps every submit_sm Jasmin sends it, so the reply is read back from the very bytes the SMSC
got. Jasmin's HTTP client connector calls Pishkhan through a small recording relay (`Pushes`), so
the test sees every push as Jasmin sent it and what Pishkhan answered, and can lose an answer on
the way back as a network would. Pishkhan runs as a subprocess on a scratch SQLite file. Without
Jasmin or RabbitMQ installed this test fails saying how to install them; it is never skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from gateway_process import ROOT, serve
from jasmin_server import HTTP_PASSWORD, HTTP_USER, JCLI_SCRIPT, SMPP_PASSWORD, SMPP_USER, Jasmin
from redis_server import free_port
from smpp_smsc import UDHI, Message, Smsc, concatenated
from ussd_citizen import apply_by_ussd
from waiting import eventually_blocking

from flows.normalise import to_persian_digits
from gateway.sms.texts import HELP, STATUS_OF, STOPPED

SHORT_NUMBER = "4001"   # config/settings.yaml: served by the jasmin provider, opens main:track
ACK = "ACK/Jasmin"
APPLICANT = "+989351112233"


@dataclass(frozen=True)
class Push:
    """One call of Jasmin's deliver_sm thrower: its form fields as bytes, and Pishkhan's answer."""

    fields: dict[str, bytes]
    status: int
    answer: str
    relayed: bool
    """False when the relay lost the answer (Jasmin was told 502 instead)."""

    @property
    def id(self) -> str:
        return self.fields["id"].decode()


class Pushes:
    """An HTTP relay between Jasmin and Pishkhan that records every push; `lose_answers` makes it
    pass the next pushes on to Pishkhan but answer Jasmin 502, as a connection dropped after the
    request went through would."""

    def __init__(self, gateway_port: int) -> None:
        self.gateway = f"http://127.0.0.1:{gateway_port}"
        self.pushes: list[Push] = []
        self.lose_answers = 0
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = urllib.request.Request(relay.gateway + self.path, data=body, method="POST",
                                                 headers={"Content-Type": self.headers.get("Content-Type", "")})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        status, answer = response.status, response.read().decode()
                except urllib.error.HTTPError as error:
                    status, answer = error.code, error.read().decode()
                except OSError as error:   # Pishkhan is down: Jasmin is told so, as it would be directly
                    status, answer = 502, f"relay: {error}"
                lose = relay.lose_answers > 0
                relay.lose_answers -= lose
                pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")   # bytes as they are
                fields = {key: value.encode("latin-1") for key, value in pairs}
                relay.pushes.append(Push(fields, status, answer, not lose))
                status, answer = (502, "lost") if lose else (status, answer)
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer.encode())))
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def of(self, sender: str) -> list[Push]:
        return [push for push in self.pushes if push.fields["from"] == sender.encode()]


@dataclass
class Rig:
    smsc: Smsc
    jasmin: Jasmin
    pushes: Pushes
    gateway_port: int

    def env(self) -> dict[str, str]:
        return {"PISHKHAN_SMS_PROVIDERS_JASMIN_BASE_URL": self.jasmin.http_api, "PISHKHAN_SMS_PROVIDERS_JASMIN_USERNAME": HTTP_USER,
                "PISHKHAN_SMS_PROVIDERS_JASMIN_PASSWORD": HTTP_PASSWORD, "PISHKHAN_SMS_PROVIDERS_JASMIN_ALLOW_IPS": "127.0.0.1",
                "PISHKHAN_SMS_CALLBACK_BASE_URL": f"http://127.0.0.1:{self.gateway_port}"}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """The SMSC, the relay and Jasmin (its HTTP connector pointing at the relay, which calls Pishkhan's port)."""
    gateway_port = free_port()
    smsc = Smsc(SMPP_USER, SMPP_PASSWORD).start()
    pushes = Pushes(gateway_port)
    pushes.thread.start()
    jasmin = Jasmin(tmp_path_factory.mktemp("jasmin"), smsc_port=smsc.port,
                    inbound_url=f"http://127.0.0.1:{pushes.port}/sms/inbound/jasmin")
    try:
        jasmin.start()
        eventually_blocking(smsc.bound_receivers, 20, lambda: f"Jasmin binding to the SMSC: {smsc.binds}")
        yield Rig(smsc, jasmin, pushes, gateway_port)
    finally:
        jasmin.stop()
        pushes.server.shutdown()
        pushes.server.server_close()
        smsc.stop()


class Phone:
    """A citizen's handset: texts the short number through the SMSC, reads what the SMSC was asked to deliver."""

    def __init__(self, rig: Rig, number: str) -> None:
        self.rig, self.number = rig, number
        self.seen = 0
        self.references = itertools.count(1)

    def send(self, text: str) -> None:
        """UCS-2 (data_coding 8, UTF-16BE) unless every character is ASCII (0, the SMSC default
        alphabet); a UCS-2 text over 70 characters in parts of 67, as a handset sends it."""
        if text.isascii():
            assert self.rig.smsc.deliver(self.number, SHORT_NUMBER, text.encode("ascii"), data_coding=0) == 0
            return
        data = text.encode("utf-16-be")
        parts = [(data, 0)] if len(data) <= 140 else [(part, UDHI) for part in concatenated(data, next(self.references))]
        for part, esm_class in parts:
            assert self.rig.smsc.deliver(self.number, SHORT_NUMBER, part, data_coding=8, esm_class=esm_class) == 0

    def expect(self, timeout: float = 15) -> Message:
        """The next complete message to this phone."""
        def arrived() -> Message | None:
            new = self.rig.smsc.messages(self.number)[self.seen :]
            return new[0] if new else None
        message = eventually_blocking(arrived, timeout,
                                      lambda: f"a reply to {self.number}; Jasmin's log: {self.rig.jasmin.log('messages.log')[-1500:]}")
        self.seen += 1
        return message

    def inbox(self) -> list[Message]:
        return self.rig.smsc.messages(self.number)


def rows(store: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    with sqlite3.connect(store) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, args).fetchall()


def replies(store: Path, phone: Phone) -> list[sqlite3.Row]:
    return rows(store, "SELECT * FROM outbox WHERE address = ? AND kind = 'reply' ORDER BY id", f"tel:+{phone.number}")


def test_persian_and_gsm_texts_screens_replies_and_reports_through_a_real_jasmin(tmp_path: Path, rig: Rig) -> None:
    store = tmp_path / "pishkhan.sqlite3"
    phone = Phone(rig, "989121234567")
    with serve(store, port=rig.gateway_port, env=rig.env()) as (_, base):
        phone.send("راهنما")   # the help keyword, in Persian: UCS-2; answered by a text of three UCS-2 segments
        help_text = phone.expect()
        assert help_text == Message(phone.number, 8, HELP["fa"].format(number=to_persian_digits(SHORT_NUMBER)), 3)
        [push] = rig.pushes.of(phone.number)
        # What Jasmin 0.11.1's thrower sends (README.md): `coding` is the raw data_coding octet, `binary` the content in hex.
        assert push.fields["coding"] == b"\x08" and push.fields["content"] == "راهنما".encode("utf-16-be")
        assert push.fields["binary"] == "راهنما".encode("utf-16-be").hex().encode()
        assert (push.fields["to"], push.fields["origin-connector"]) == (SHORT_NUMBER.encode(), b"smsc1")

        phone.send("سلام")   # any other text opens the short number's flow: main:track
        assert phone.expect() == Message(phone.number, 8, "کد پیگیری را وارد کنید:", 1)

        async def apply() -> str:
            async with aiohttp.ClientSession(base) as http:
                return await apply_by_ussd(http, phone=APPLICANT)
        code = asyncio.run(apply())
        phone.send(to_persian_digits(code))   # the tracking code in Persian digits
        found = phone.expect()
        assert found.data_coding == 8 and found.text.startswith("وضعیت: ثبت شده\n"), found

        phone.send(f"STATUS {code}")   # GSM: data_coding 0, answered in GSM
        status = phone.expect()
        assert rig.pushes.of(phone.number)[-1].fields["coding"] == b"\x00"
        assert status.data_coding == 0 and status.text.startswith(f"Request {code}") and "Status: submitted" in status.text, status

        long_status = f"وضعیت{' ' * 70}{to_persian_digits(code)}"   # two UCS-2 parts: the keyword in one, the code in the other
        phone.send(long_status)
        assert phone.expect().text.startswith(STATUS_OF["fa"].format(code=to_persian_digits(code)))
        assert rig.pushes.of(phone.number)[-1].fields["content"] == long_status.encode("utf-16-be")   # Jasmin joined the parts

        phone.send("لغو")   # the Persian opt-out keyword
        assert phone.expect() == Message(phone.number, 8, STOPPED["fa"], 2)
        assert [row["keyword"] for row in rows(store, "SELECT keyword FROM sms_optouts WHERE address = ?", f"tel:+{phone.number}")] != []

        answered = [help_text, *phone.inbox()[1:]]
        assert [row["text"] for row in replies(store, phone)] == [message.text for message in answered]
        eventually_blocking(lambda: all(row["delivery"] == "delivered" for row in replies(store, phone)), 15,
                            lambda: f"Jasmin's delivery reports; outbox: {[dict(r) for r in replies(store, phone)]}; "
                                    f"dlr-thrower: {rig.jasmin.log('dlr-thrower.log')[-1500:]}")
        report = rows(store, "SELECT * FROM sms_deliveries WHERE outbox_id = ?", replies(store, phone)[0]["id"])[0]
        assert (report["state"], report["coding"], report["segments"]) == ("delivered", "ucs2", 3)
        assert report["reports"] >= 2, report["detail"]   # level 1 (ESME_ROK) and level 2 (DELIVRD)
        assert "ERROR" not in rig.jasmin.log("dlr-thrower.log"), "a delivery report not acknowledged"

    pushed = rig.pushes.of(phone.number)
    assert [(push.status, push.answer) for push in pushed] == [(200, ACK)] * 6
    assert len({push.id for push in pushed}) == 6, "Jasmin pushed a text again: it was not acknowledged"
    assert phone.inbox()[phone.seen :] == [], "a text answered more than once"


def test_a_push_whose_ack_is_lost_comes_again_with_the_same_id_and_is_answered_once(tmp_path: Path, rig: Rig) -> None:
    store = tmp_path / "pishkhan.sqlite3"
    phone = Phone(rig, "989122223344")
    with serve(store, port=rig.gateway_port, env=rig.env()):
        rig.pushes.lose_answers = 1
        phone.send("سلام")
        first, again = eventually_blocking(lambda: rig.pushes.of(phone.number)[:2] if len(rig.pushes.of(phone.number)) >= 2 else None,
                                           15, lambda: f"Jasmin pushing again after a lost ACK: {rig.jasmin.log('deliversm-thrower.log')[-1500:]}")
        assert first.id == again.id and not first.relayed
        assert (first.status, first.answer) == (again.status, again.answer) == (200, ACK)
        assert phone.expect().text == "کد پیگیری را وارد کنید:"
        phone.send("راهنما")   # the next text is taken
        assert phone.expect().text.startswith("پیشخوان")
        assert len(replies(store, phone)) == 2
    assert len(rig.pushes.of(phone.number)) == 3
    assert phone.inbox()[phone.seen :] == [], "the pushed-again text was answered twice"


def test_an_smsc_repeating_a_deliver_sm_is_a_new_text_to_jasmin_and_to_us(tmp_path: Path, rig: Rig) -> None:
    """SMPP gives a mobile-originated text no id: an SMSC that sends a deliver_sm again (its resp was
    lost) gets a new Jasmin id, so Pishkhan cannot tell it from the citizen texting the same again."""
    phone = Phone(rig, "989123334455")
    with serve(tmp_path / "pishkhan.sqlite3", port=rig.gateway_port, env=rig.env()):
        phone.send("راهنما")
        phone.send("راهنما")
        assert [phone.expect().text[:8] for _ in range(2)] == ["پیشخوان "] * 2
    pushed = rig.pushes.of(phone.number)
    assert len(pushed) == 2 and pushed[0].id != pushed[1].id and pushed[0].fields["content"] == pushed[1].fields["content"]


def test_the_readme_quotes_the_jcli_script_this_test_types() -> None:
    readme = (ROOT / "README.md").read_text()
    quoted = re.search(r"\*\*Jasmin\.\*\*.*?```text\n(.*?)```", readme, re.S)
    assert quoted, "README.md has no Jasmin section quoting deploy/jasmin/pishkhan.jcli"
    script = JCLI_SCRIPT.read_text()
    assert quoted.group(1) in script, "README.md's jCli lines are not a piece of deploy/jasmin/pishkhan.jcli"
