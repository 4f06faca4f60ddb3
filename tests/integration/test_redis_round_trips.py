"""What a hop costs on Redis, seen on the wire: one round trip to read the session and language, one
to write them; and what several hops in flight at once share.

A relay between the gateway and a real redis-server notes each burst of bytes the gateway sends:
a round trip (one command, or a pipeline written at once). Bursts naming a conversation's keys are
the hop's; the outbox stream's own traffic names none.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from unittest.mock import ANY

import pytest
from fakes.sms_gateway import SmsRig, start_rig
from redis_server import RedisServer
from waiting import eventually

from gateway.app import create_app
from gateway.settings import Settings
from gateway.state import Get
from gateway.state.redis import RedisSettings, RedisState

CONVERSATION_KEYS = (b"session:", b"lang:", b"dedupe:sms:")


def command_names(burst: bytes) -> list[str]:
    """The commands in a burst of RESP arrays of bulk strings (what clients send), by name."""
    names, at = [], 0
    while at < len(burst):
        end = burst.index(b"\r\n", at)
        count, at = int(burst[at + 1:end]), end + 2  # *<count>
        for index in range(count):
            end = burst.index(b"\r\n", at)
            length, at = int(burst[at + 1:end]), end + 2  # $<length>
            if index == 0:
                names.append(burst[at:at + length].decode())
            at += length + 2
    return names


class CountingRelay:
    """A TCP relay to Redis that records every burst a client sends naming a conversation key."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.bursts: list[bytes] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bool) -> None:
            while data := await reader.read(1 << 16):
                if record and any(key in data for key in CONVERSATION_KEYS):
                    self.bursts.append(data)
                writer.write(data)
                await writer.drain()
            writer.close()

        await asyncio.gather(pipe(client_reader, server_writer, True), pipe(server_reader, client_writer, False),
                             return_exceptions=True)

    def take(self) -> list[list[str]]:
        """The bursts since the last call, each as the names of the commands in it."""
        bursts, self.bursts = self.bursts, []
        return [command_names(burst) for burst in bursts]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()


@pytest.fixture
async def relay(redis_server: RedisServer) -> AsyncIterator[CountingRelay]:
    relay = CountingRelay(redis_server.port)
    yield relay
    await relay.close()


async def test_a_ussd_hop_reads_once_and_writes_once(aiohttp_client, settings: Settings, relay: CountingRelay) -> None:  # type: ignore[no-untyped-def]
    url = await relay.start()
    client = await aiohttp_client(await create_app(settings.updated({"redis": {"url": url}})))
    phone, session_id, inputs = "+989121234567", uuid.uuid4().hex, []
    pages = []
    for text in ["", "2", "1", "1", "0", "00"]:  # dial, choose English (remembered), walk the menus, go back and home
        if text:
            inputs.append(text)
        form = {"sessionId": session_id, "serviceCode": "*4#", "phoneNumber": phone, "text": "*".join(inputs)}
        response = await client.post("/ussd/africastalking", data=form)
        assert response.status == 200
        pages.append(await response.text())
        expected = [["MGET"], ["SET", "SET"] if text == "2" else ["SET"]]  # the language is remembered with the session
        assert relay.take() == expected, (text, pages[-1])
    assert pages[0].startswith("CON ") and "English" in pages[0]
    assert all(page.startswith("CON ") for page in pages)


async def test_an_sms_claims_its_id_and_reads_its_conversation_at_once_then_writes_once(
        aiohttp_server, aiohttp_client, settings: Settings, relay: CountingRelay) -> None:  # type: ignore[no-untyped-def]
    url = await relay.start()
    rig = await start_rig(aiohttp_server, aiohttp_client, settings.updated({"redis": {"url": url}}))
    for text in ["hello", "4", "2", "1"]:  # the menu, Language, English, Services
        shown = await rig.reply_to(text)
        expected = [["SET", "GET", "GET"], ["SET", "SET"] if text == "2" else ["SET"]]  # claim, session, language; the write
        assert relay.take() == expected, (text, shown)
    assert "Civil registry" in shown


async def test_hops_in_flight_share_round_trips_and_keep_their_own_answers_and_errors(shared_redis: RedisServer) -> None:
    """A caller's failing command (here a key of the wrong type) fails that caller alone."""
    prefix = f"t{uuid.uuid4().hex}:"
    state = RedisState(RedisSettings(url=shared_redis.url, prefix=prefix))
    try:
        await state.client.rpush(prefix + "session:list", "not a value")
        await asyncio.gather(*(state.set(f"session:{i}", {"i": i}, 10) for i in range(50)))
        before = (await state.client.info("stats"))["total_reads_processed"]
        results = await asyncio.gather(*(state.batch([Get(f"session:{i}"), Get("lang:x")]) for i in range(50)),
                                       state.get("session:list"), return_exceptions=True)
        assert results[:50] == [[{"i": i}, None] for i in range(50)]
        assert "WRONGTYPE" in str(results[50])
        round_trips = (await state.client.info("stats"))["total_reads_processed"] - before - 1  # less the INFO itself
        assert round_trips <= 2  # 51 calls made at once: one pipeline (or two, had the loop split them), not 51
    finally:
        await state.close()


async def test_two_texts_of_one_citizen_at_once_are_taken_one_after_the_other(rig: SmsRig) -> None:
    """Each text's conversation is read with its claim, before the turn's lock: a text whose read a
    turn of the same citizen saved over in the meantime reads again, so neither text is lost."""
    for text in ["hello", "4", "2"]:  # the menu, Language, English
        await rig.reply_to(text)
    ids = ["k-first", "k-second"]
    assert await asyncio.gather(*(rig.text("1", message_id=i) for i in ids)) == [(200, ANY), (200, ANY)]
    rows = [(await eventually(lambda i=i: rig.reply_row(i, state="sent")))[0] for i in ids]
    shown = sorted(rig.sent_text(row["id"]).split("\n")[0] for row in rows)
    assert shown == ["Civil registry & ID", "Services:"]  # Services, then the first service in it: both texts applied
