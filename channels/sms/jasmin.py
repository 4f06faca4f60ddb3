"""Jasmin: texts in by its HTTP thrower, `/send` out, delivery reports to our dlr-url.

Jasmin retries a pushed text or report until the answer is 200 with exactly `ACK/Jasmin`, so
that is the answer to everything we accept, including duplicates. UCS-2 content (`coding=8`)
travels as UTF-16BE bytes in both directions.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from channels.sms.base import Ack, DeliveryReport, MoMessage, WireRequest, decode, required, text_of
from flows.errors import ChannelError
from flows.gsm7 import is_gsm7

ACK = "ACK/Jasmin"
UCS2 = "8"

LEVEL1_OK = "ESME_ROK"
"""A level-1 report is the SMSC's answer to submit_sm: ESME_ROK, or an ESME_R* error."""
LEVEL2_STATES = {
    "DELIVRD": "delivered", "EXPIRED": "expired", "UNDELIV": "failed", "REJECTD": "failed",
    "DELETED": "failed", "ACCEPTD": "sent_to_smsc", "ENROUTE": "sent_to_smsc",
}
"""The handset-level `stat:` words; UNKNOWN says nothing and is ignored."""

_SUCCESS = re.compile(r'^Success "([^"]+)"')


class Jasmin:
    """The Jasmin dialect."""

    name = "jasmin"
    ack = Ack(200, ACK)

    def parse_mo(self, request: WireRequest) -> MoMessage:
        fields = request.form()
        required(fields, "id", "from")
        coding = text_of(fields, "coding") or "0"
        raw = fields.get("content", b"")
        binary = text_of(fields, "binary")
        if binary:  # newer Jasmin also sends the content hex-encoded
            try:
                raw = bytes.fromhex(binary)
            except ValueError as exc:
                raise ChannelError("binary is not hexadecimal") from exc
        return MoMessage(
            message_id=text_of(fields, "id"),
            sender=text_of(fields, "from"),
            receiver=text_of(fields, "to"),
            text=decode(raw, "utf-16be" if coding == UCS2 else "utf-8"),
        )

    def parse_dlr(self, request: WireRequest) -> DeliveryReport:
        fields = request.form()
        required(fields, "id", "message_status")
        status = text_of(fields, "message_status").strip().upper()
        level = text_of(fields, "level")
        state: str | None  # None: a status we do not track, acknowledged and ignored
        if status.startswith("ESME_"):
            state = "sent_to_smsc" if status == LEVEL1_OK else "failed"
        else:
            state = LEVEL2_STATES.get(status)
        err = text_of(fields, "err")
        detail = f"level {level} {status}" + (f" err {err}" if err and err.strip("0") else "")
        return DeliveryReport(text_of(fields, "id"), state, detail[:200])


def send_form(*, username: str, password: str, sender: str, to: str, text: str, dlr_url: str, dlr_level: int) -> bytes:
    """The `POST /send` form body; `coding=8` with UTF-16BE content once any character is not GSM-7."""
    ucs2 = not is_gsm7(text)
    fields: dict[str, str | bytes] = {
        "username": username, "password": password, "to": to.lstrip("+"), "from": sender,
        "coding": UCS2 if ucs2 else "0",
        "content": text.encode("utf-16-be") if ucs2 else text.encode("utf-8"),
        "dlr": "yes", "dlr-url": dlr_url, "dlr-level": str(dlr_level), "dlr-method": "POST",
    }
    return urlencode(fields).encode("ascii")


def sent_message_id(status: int, body: str) -> str | None:
    """The message id in a 200 `Success "<id>"` answer; None for anything else."""
    match = _SUCCESS.match(body.strip()) if status == 200 else None
    return match.group(1) if match else None
