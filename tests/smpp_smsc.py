"""A small SMPP 3.4 SMSC for interop tests: the operator's side of an SMS gateway's SMPP bind.

It answers binds (transmitter, receiver, transceiver), enquire_link and unbind; records every
submit_sm as it came (data_coding, esm_class, short_message with its UDH, TLVs such as the sar_*
options or message_payload) and answers it with a message id, then, when the submit asked for one,
sends a delivery receipt (deliver_sm, esm_class 0x04, `id:… stat:DELIVRD …` and the
receipted_message_id / message_state TLVs). A test plays a phone with `deliver()`: a mobile-originated
deliver_sm with the data_coding and bytes it chooses, sent to a bound receiver.

It runs its own event loop on a thread, so tests call it with plain blocking calls while the gateway
and the SMS gateway run as subprocesses.
"""

from __future__ import annotations

import asyncio
import itertools
import struct
import threading
import time
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field

BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER = 0x01, 0x02, 0x09
SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x04, 0x05, 0x06, 0x15
RESPONSE = 0x80000000
GENERIC_NACK = 0x80000000
ESME_ROK, ESME_RINVCMDID, ESME_RINVPASWD = 0x00, 0x03, 0x0E
RECEIPT = 0x04
"""esm_class of an SMSC delivery receipt."""
UDHI = 0x40
"""esm_class bit: short_message starts with a user data header."""
SAR_MSG_REF_NUM, SAR_TOTAL_SEGMENTS, SAR_SEGMENT_SEQNUM = 0x020C, 0x020E, 0x020F
MESSAGE_PAYLOAD, RECEIPTED_MESSAGE_ID, MESSAGE_STATE = 0x0424, 0x001E, 0x0427
DELIVERED_STATE = 2
_HEADER = struct.Struct(">IIII")
_TIMEOUT = 10.0


@dataclass(frozen=True)
class ShortMessage:
    """The body of a submit_sm or deliver_sm (the two share one layout), TLVs by tag."""

    source: str
    destination: str
    esm_class: int
    registered_delivery: int
    data_coding: int
    short_message: bytes
    tlvs: dict[int, bytes] = field(default_factory=dict)

    def encode(self) -> bytes:
        head = b"\0" + bytes([1, 1]) + _cstring(self.source) + bytes([1, 1]) + _cstring(self.destination)
        flags = bytes([self.esm_class, 0, 0]) + b"\0\0" + bytes([self.registered_delivery, 0, self.data_coding, 0])
        tlvs = b"".join(struct.pack(">HH", tag, len(value)) + value for tag, value in self.tlvs.items())
        return head + flags + bytes([len(self.short_message)]) + self.short_message + tlvs

    @classmethod
    def decode(cls, body: bytes) -> ShortMessage:
        fields = _Reader(body)
        fields.cstring()                                   # service_type
        fields.take(2)                                     # source_addr_ton, _npi
        source = fields.cstring()
        fields.take(2)
        destination = fields.cstring()
        esm_class, _protocol_id, _priority = fields.take(3)
        fields.cstring()                                   # schedule_delivery_time
        fields.cstring()                                   # validity_period
        registered_delivery, _replace, data_coding, _default_id, length = fields.take(5)
        short_message = fields.take(length)
        tlvs = {}
        while fields.left():
            tag, size = struct.unpack(">HH", fields.take(4))
            tlvs[tag] = fields.take(size)
        return cls(source, destination, esm_class, registered_delivery, data_coding, short_message, tlvs)

    @property
    def user_data(self) -> bytes:
        """The message bytes without any user data header: message_payload when it is used."""
        if MESSAGE_PAYLOAD in self.tlvs:
            return self.tlvs[MESSAGE_PAYLOAD]
        return self.short_message[self.short_message[0] + 1 :] if self.esm_class & UDHI else self.short_message

    @property
    def part(self) -> tuple[int, int, int] | None:
        """(reference, total, number) when this is one part of a concatenated message: from an
        8- or 16-bit concatenation IE in the UDH, or the sar_* TLVs."""
        if self.esm_class & UDHI:
            udh = self.short_message[1 : self.short_message[0] + 1]
            while udh:
                ie, size, data = udh[0], udh[1], udh[2 : 2 + udh[1]]
                if ie == 0x00:
                    return data[0], data[1], data[2]
                if ie == 0x08:
                    return int.from_bytes(data[:2], "big"), data[2], data[3]
                udh = udh[2 + size :]
        if SAR_MSG_REF_NUM in self.tlvs:
            return (int.from_bytes(self.tlvs[SAR_MSG_REF_NUM], "big"), self.tlvs[SAR_TOTAL_SEGMENTS][0],
                    self.tlvs[SAR_SEGMENT_SEQNUM][0])
        return None


@dataclass(frozen=True)
class Submitted:
    """One submit_sm the SMSC took, and the message id it answered."""

    message_id: str
    message: ShortMessage


@dataclass(frozen=True)
class Message:
    """What a handset shows: the parts of a concatenated message put together, decoded."""

    destination: str
    data_coding: int
    text: str
    parts: int


def concatenated(data: bytes, reference: int, size: int = 134) -> list[bytes]:
    """`data` as the short_messages of a concatenated SMS, as a handset sends a long text: each part
    a UDH (IE 00: reference, total, number) and at most `size` bytes (134: 67 UCS-2 characters)."""
    chunks = [data[at : at + size] for at in range(0, len(data), size)]
    return [bytes([5, 0, 3, reference, len(chunks), number]) + chunk for number, chunk in enumerate(chunks, 1)]


def decode_text(data: bytes, data_coding: int) -> str:
    """UCS-2 (8) as UTF-16BE; the SMSC default alphabet (0), one unpacked septet a byte, as ASCII."""
    return data.decode("utf-16-be") if data_coding == 8 else data.decode("ascii")


class Smsc:
    """The SMSC; `start()` it, then bind an ESME to `port` with `system_id` / `password`."""

    def __init__(self, system_id: str, password: str, *, receipt_delay: float = 0.2) -> None:
        self.system_id, self.password, self.receipt_delay = system_id, password, receipt_delay
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smsc", daemon=True)
        self._server: asyncio.Server | None = None
        self._sessions: list[_Session] = []
        self._submitted: list[Submitted] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(0x5A000001)
        self.binds: list[tuple[int, str]] = []
        """(bind command id, system_id) of every bind attempt."""

    def start(self) -> Smsc:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._serve, "127.0.0.1", 0)).result(_TIMEOUT)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for session in list(self._sessions):
                session.close()
            for task in asyncio.all_tasks() - {asyncio.current_task()}:   # receipts still to send
                task.cancel()
        self._call(close()).result(_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_TIMEOUT)

    @property
    def submitted(self) -> list[Submitted]:
        """Every submit_sm so far, in order of arrival."""
        with self._lock:
            return list(self._submitted)

    def bound_receivers(self) -> int:
        return sum(1 for session in self._sessions if session.receives)

    def deliver(self, source: str, destination: str, short_message: bytes, *, data_coding: int,
                esm_class: int = 0, tlvs: dict[int, bytes] | None = None) -> int:
        """A deliver_sm to the first bound receiver; the command_status of its deliver_sm_resp."""
        message = ShortMessage(source, destination, esm_class, 0, data_coding, short_message, tlvs or {})
        return self._call(self._deliver(message)).result(_TIMEOUT)

    def messages(self, destination: str) -> list[Message]:
        """Every complete message submitted for `destination`, parts joined, in order of completion."""
        done: list[Message] = []
        pending: dict[int, dict[int, ShortMessage]] = {}
        for submitted in self.submitted:
            message = submitted.message
            if message.destination != destination:
                continue
            if message.part is None:
                done.append(Message(destination, message.data_coding, decode_text(message.user_data, message.data_coding), 1))
                continue
            reference, total, number = message.part
            parts = pending.setdefault(reference, {})
            parts[number] = message
            if len(parts) == total:
                del pending[reference]
                codings = {part.data_coding for part in parts.values()}
                assert len(codings) == 1, f"parts of one message in different data_codings: {codings}"
                data = b"".join(parts[n].user_data for n in sorted(parts))
                done.append(Message(destination, message.data_coding, decode_text(data, message.data_coding), total))
        return done

    def _call(self, coroutine: object) -> Future:  # type: ignore[type-arg]
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)  # type: ignore[arg-type]

    async def _deliver(self, message: ShortMessage) -> int:
        deadline = time.monotonic() + _TIMEOUT
        while not (receivers := [session for session in self._sessions if session.receives]):
            assert time.monotonic() < deadline, "no ESME bound as a receiver"
            await asyncio.sleep(0.05)
        return await receivers[0].request(DELIVER_SM, message.encode())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(self, reader, writer)
        self._sessions.append(session)
        try:
            await session.run()
        finally:
            self._sessions.remove(session)
            session.close()

    def _submit(self, body: bytes) -> bytes:
        message = ShortMessage.decode(body)
        message_id = f"{next(self._ids):08x}"
        with self._lock:
            self._submitted.append(Submitted(message_id, message))
        if message.registered_delivery & 0x01:
            self._loop.call_later(self.receipt_delay, lambda: asyncio.ensure_future(self._receipt(message_id, message)))
        return _cstring(message_id)

    async def _receipt(self, message_id: str, submitted: ShortMessage) -> None:
        stamp = time.strftime("%y%m%d%H%M")
        text = f"id:{message_id} sub:001 dlvrd:001 submit date:{stamp} done date:{stamp} stat:DELIVRD err:000 text:"
        receipt = ShortMessage(submitted.destination, submitted.source, RECEIPT, 0, 0, text.encode("ascii"),
                               {RECEIPTED_MESSAGE_ID: _cstring(message_id), MESSAGE_STATE: bytes([DELIVERED_STATE])})
        await self._deliver(receipt)


class _Session:
    """One ESME connection."""

    def __init__(self, smsc: Smsc, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.smsc, self.reader, self.writer = smsc, reader, writer
        self.receives = False
        self._sequence = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[int]] = {}

    async def run(self) -> None:
        with suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                length, command, status, sequence = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
                body = await self.reader.readexactly(length - _HEADER.size)
                if command & RESPONSE:
                    waiting = self._waiting.pop(sequence, None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(status)
                elif command in (BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER):
                    self._bind(command, sequence, body)
                elif command == SUBMIT_SM:
                    self._send(SUBMIT_SM | RESPONSE, ESME_ROK, sequence, self.smsc._submit(body))
                elif command == ENQUIRE_LINK:
                    self._send(ENQUIRE_LINK | RESPONSE, ESME_ROK, sequence, b"")
                elif command == UNBIND:
                    self._send(UNBIND | RESPONSE, ESME_ROK, sequence, b"")
                    return
                else:
                    self._send(GENERIC_NACK, ESME_RINVCMDID, sequence, b"")

    def _bind(self, command: int, sequence: int, body: bytes) -> None:
        fields = _Reader(body)
        system_id, password = fields.cstring(), fields.cstring()
        self.smsc.binds.append((command, system_id))
        ok = (system_id, password) == (self.smsc.system_id, self.smsc.password)
        self._send(command | RESPONSE, ESME_ROK if ok else ESME_RINVPASWD, sequence, _cstring(self.smsc.system_id))
        self.receives = ok and command != BIND_TRANSMITTER

    async def request(self, command: int, body: bytes) -> int:
        sequence = next(self._sequence)
        answered = self._waiting[sequence] = asyncio.get_running_loop().create_future()
        self._send(command, ESME_ROK, sequence, body)
        return await asyncio.wait_for(answered, _TIMEOUT)

    def _send(self, command: int, status: int, sequence: int, body: bytes) -> None:
        self.writer.write(_HEADER.pack(_HEADER.size + len(body), command, status, sequence) + body)

    def close(self) -> None:
        self.receives = False
        self.writer.close()


class _Reader:
    """Reads a PDU body field by field."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, size: int) -> bytes:
        assert self.at + size <= len(self.data), f"PDU body too short: {self.data!r}"
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def cstring(self) -> str:
        end = self.data.index(b"\0", self.at)
        text = self.data[self.at : end].decode("latin-1")
        self.at = end + 1
        return text

    def left(self) -> bool:
        return self.at < len(self.data)


def _cstring(text: str) -> bytes:
    return text.encode("latin-1") + b"\0"

