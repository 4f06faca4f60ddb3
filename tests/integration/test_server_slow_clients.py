"""Slow clients are disconnected after `server.read_timeout`: a real `pishkhan serve` (read timeout
0.5 s here) against raw sockets that send their headers, or their body, a byte at a time."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_process import Served, gateway_env, refused, serving

READ_TIMEOUT = 0.5
CLIENTS = 50
DEADLINE = 5.0
"""Seconds within which every slow connection must have been closed (before: still open after 40 s)."""


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Served]:
    with serving(gateway_env(tmp_path / "s.sqlite3", PISHKHAN_SERVER_READ_TIMEOUT=str(READ_TIMEOUT))) as served:
        yield served


async def trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send `data` a byte every 0.1 s, as a slowloris client does, until the server hangs up."""
    for byte in data:
        writer.write(bytes([byte]))
        try:
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(0.1)


async def slow_client(port: int, head: bytes, trickled: bytes) -> bytes:
    """Send `head` at once and `trickled` slowly; the answer's head if one came (then the client stops
    sending), b"" if none; either way only once the server has closed the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    sender = asyncio.create_task(trickle(writer, trickled))
    try:
        async with asyncio.timeout(DEADLINE):
            try:
                answer = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as closed:
                return closed.partial
            sender.cancel()
            answer += await reader.read()  # returns once the server closes
            return answer
    except ConnectionResetError:  # closed while bytes were in flight: closed all the same
        return b""
    finally:
        sender.cancel()
        writer.close()


def still_serves(served: Served) -> bool:
    with urllib.request.urlopen(f"{served.base}/healthz", timeout=2) as response:
        return response.status == 200


async def test_clients_trickling_their_headers_are_disconnected(gateway: Served) -> None:
    head = b"POST /ussd/africastalking HTTP/1.1\r\nHost: gateway\r\n"
    trickled = b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    answers = await asyncio.gather(*(slow_client(gateway.port, head, trickled) for _ in range(CLIENTS)))
    assert answers == [b""] * CLIENTS   # closed without an answer: no request ever arrived
    assert still_serves(gateway)


async def test_clients_trickling_their_body_get_408_and_are_disconnected(gateway: Served) -> None:
    body = b"sessionId=s1&serviceCode=%2A4%23&phoneNumber=%2B989121234567&text=" + b"1" * 60
    head = (b"POST /ussd/africastalking HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    answers = await asyncio.gather(*(slow_client(gateway.port, head, body) for _ in range(CLIENTS)))
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"did not arrive within 0.5 s" in answer
    assert still_serves(gateway)


async def test_a_prompt_client_is_served_as_before(gateway: Served) -> None:
    body = b"sessionId=s2&serviceCode=%2A4%23&phoneNumber=%2B989121234567&text="
    head = (b"POST /ussd/africastalking HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    writer.write(head + body)
    answer = await asyncio.wait_for(reader.read(), DEADLINE)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200 ") and b"CON " in answer


async def test_a_large_body_sent_promptly_reaches_its_handler(tmp_path: Path) -> None:
    """A body larger than aiohttp's read buffer is still waited for whole, not timed out."""
    env = gateway_env(tmp_path / "s.sqlite3", PISHKHAN_SERVER_READ_TIMEOUT=str(READ_TIMEOUT), PISHKHAN_SERVER_MAX_BODY_BYTES="4000000")
    body = b"text=" + b"1" * 3_000_000
    head = (b"POST /sms/inbound/kannel HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    with serving(env) as served:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        writer.write(head + body)
        answer = await asyncio.wait_for(reader.read(), DEADLINE)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 413 ")   # the SMS route's own limit (sms.max_body_bytes), not a timeout


def test_a_read_timeout_of_zero_is_refused_naming_the_setting(tmp_path: Path) -> None:
    done = refused(gateway_env(tmp_path / "s.sqlite3", PISHKHAN_SERVER_READ_TIMEOUT="0"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["error: settings `server.read_timeout`: 0.0 s; give more than 0 (default 15)"]
