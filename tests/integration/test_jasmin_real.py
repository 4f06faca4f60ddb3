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
from gateway_process import serve
from jasmin_server import HTTP_PASSWORD, HTTP_USER, SMPP_PASSWORD, SMPP_USER, Jasmin
from redis_server import free_port
from smpp_smsc import Message, Smsc
from ussd_citizen import apply_by_ussd
from waiting import eventually_blocking

from flows.normalise import to_persian_digits

SHORT_NUMBER = "4001"   # config/settings.yaml: served by the jasmin provider, opens main:track
SECRET = "jasmin-secret-7"
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
                except OSError as error:
                    status, answer = 599, f"relay: {error}"
                lose = relay.lose_answers > 0
                relay.lose_answers -= lose
                fields = {key.decode(): value for key, value in parse_qsl(body, keep_blank_values=True)}  # type: ignore[arg-type]
                relay.pushes.append(Push(fields, status, answer, not lose))
                out = ("lost", 502) if lose else (answer, status if status != 599 else 502)
                self.send_response(out[1])
                self.send_header("Content-Length", str(len(out[0].encode())))
                self.end_headers()
                self.wfile.write(out[0].encode())

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
                "PISHKHAN_SMS_PROVIDERS_JASMIN_PASSWORD": HTTP_PASSWORD, "PISHKHAN_SMS_PROVIDERS_JASMIN_SECRET": SECRET,
                "PISHKHAN_SMS_CALLBACK_BASE_URL": f"http://127.0.0.1:{self.gateway_port}"}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """The SMSC, the relay and Jasmin (its HTTP connector pointing at the relay, which calls Pishkhan's port)."""
    gateway_port = free_port()
    smsc = Smsc(SMPP_USER, SMPP_PASSWORD).start()
    pushes = Pushes(gateway_port)
    pushes.thread.start()
    jasmin = Jasmin(tmp_path_factory.mktemp("jasmin"), smsc_port=smsc.port,
                    inbound_url=f"http://127.0.0.1:{pushes.port}/sms/inbound/jasmin?secret={SECRET}")
    try:
        jasmin.start()
        eventually_blocking(smsc.bound_receivers, 20, lambda: f"Jasmin binding to the SMSC: {smsc.binds}")
        yield Rig(smsc, jasmin, pushes, gateway_port)
    finally:
        jasmin.stop()
        pushes.server.shutdown()
        smsc.stop()


class Phone:
    """A citizen's handset: texts the short number through the SMSC, reads what the SMSC was asked to deliver."""

    def __init__(self, rig: Rig, number: str) -> None:
        self.rig, self.number = rig, number
        self.seen = 0

    def send(self, text: str, *, data_coding: int | None = None) -> None:
        """UCS-2 (data_coding 8, UTF-16BE) unless every character is ASCII (0, the SMSC default alphabet)."""
        coding = data_coding if data_coding is not None else (0 if text.isascii() else 8)
        data = text.encode("utf-16-be") if coding == 8 else text.encode("ascii")
        assert self.rig.smsc.deliver(self.number, SHORT_NUMBER, data, data_coding=coding) == 0, "Jasmin refused the deliver_sm"

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
        phone.send("راهنما")   # the help keyword, in Persian: UCS-2
        help_menu = phone.expect()
        assert help_menu.data_coding == 8 and help_menu.text.startswith("راهنما\n۱. نحوه استفاده"), help_menu
        [push] = rig.pushes.of(phone.number)
        # What Jasmin 0.11.1's thrower sends (README.md): `coding` is the raw data_coding byte, `binary` the content in hex.
        assert push.fields["coding"] == b"\x08" and push.fields["content"] == "راهنما".encode("utf-16-be")
        assert push.fields["binary"] == "راهنما".encode("utf-16-be").hex().encode()
        assert (push.fields["to"], push.fields["origin-connector"]) == (SHORT_NUMBER.encode(), b"smsc1")

        phone.send("۱")   # a Persian digit chooses "how to use": a reply longer than one UCS-2 segment
        how = phone.expect()
        [stored] = [row for row in replies(store, phone) if row["text"] == how.text]
        assert how.data_coding == 8 and how.parts >= 2 and how.text.startswith("شماره گزینه را بفرستید."), how

        async def apply() -> str:
            async with aiohttp.ClientSession(base) as http:
                return await apply_by_ussd(http, phone=APPLICANT)
        code = asyncio.run(apply())
        phone.send(f"STATUS {code}")   # GSM: data_coding 0
        status = phone.expect()
        assert status.data_coding == 0 and status.text.startswith(f"Request {code}") and "Status: submitted" in status.text, status
        assert rig.pushes.of(phone.number)[-1].fields["coding"] == b"\x00"

        phone.send(f"وضعیت {to_persian_digits(code)}")   # Persian keyword and digits
        persian_status = phone.expect()
        assert persian_status.data_coding == 8 and to_persian_digits(code) in persian_status.text and "ثبت شده" in persian_status.text

        sent = replies(store, phone)
        assert [row["text"] for row in sent] == [help_menu.text, how.text, status.text, persian_status.text]
        eventually_blocking(lambda: all(row["delivery"] == "delivered" for row in replies(store, phone)), 15,
                            lambda: f"Jasmin's delivery reports; outbox: {[dict(r) for r in replies(store, phone)]}; "
                                    f"dlr-thrower: {rig.jasmin.log('dlr-thrower.log')[-1500:]}")
        report = rows(store, "SELECT * FROM sms_deliveries WHERE outbox_id = ?", stored["id"])[0]
        assert (report["state"], report["coding"], report["segments"]) == ("delivered", "ucs2", how.parts)
        assert report["reports"] >= 2, report["detail"]   # level 1 (ESME_ROK) and level 2 (DELIVRD)

    pushed = rig.pushes.of(phone.number)
    assert [(push.status, push.answer) for push in pushed] == [(200, ACK)] * 4
    assert len({push.id for push in pushed}) == 4, "Jasmin pushed a text again: it was not acknowledged"
    assert phone.inbox()[phone.seen :] == [], "a text answered more than once"


def test_a_push_whose_ack_is_lost_comes_again_with_the_same_id_and_is_answered_once(tmp_path: Path, rig: Rig) -> None:
    phone = Phone(rig, "989122223344")
    with serve(tmp_path / "pishkhan.sqlite3", port=rig.gateway_port, env=rig.env()):
        rig.pushes.lose_answers = 1
        phone.send("راهنما")
        first, again = eventually_blocking(lambda: rig.pushes.of(phone.number)[:2] if len(rig.pushes.of(phone.number)) >= 2 else None,
                                           15, lambda: f"Jasmin pushing again after a lost ACK: {rig.jasmin.log('deliversm-thrower.log')[-1500:]}")
        assert first.id == again.id and not first.relayed
        assert (first.status, first.answer) == (again.status, again.answer) == (200, ACK)
        assert phone.expect().text.startswith("راهنما")
        assert len(replies(tmp_path / "pishkhan.sqlite3", phone)) == 1
        phone.send("۳")   # the next text is taken: the help menu's third option, privacy
        assert phone.expect().text.startswith("اطلاعات شما")
    assert phone.inbox()[phone.seen :] == [], "the pushed-again text was answered twice"


def test_an_smsc_repeating_a_deliver_sm_is_a_new_text_to_jasmin_and_to_us(tmp_path: Path, rig: Rig) -> None:
    """SMPP gives a mobile-originated text no id: an SMSC that sends a deliver_sm again (its resp was
    lost) gets a new Jasmin id, so Pishkhan cannot tell it from the citizen texting the same again."""
    phone = Phone(rig, "989123334455")
    with serve(tmp_path / "pishkhan.sqlite3", port=rig.gateway_port, env=rig.env()):
        phone.send("راهنما")
        phone.send("راهنما")
        assert [phone.expect().text.split("\n")[0] for _ in range(2)] == ["راهنما", "راهنما"]
    pushed = rig.pushes.of(phone.number)
    assert len(pushed) == 2 and pushed[0].id != pushed[1].id and pushed[0].fields["content"] == pushed[1].fields["content"]
