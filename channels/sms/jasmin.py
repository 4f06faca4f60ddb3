"""Jasmin: texts in by its HTTP thrower, `/send` out, delivery reports to our dlr-url.

Jasmin retries a pushed text or report until the answer is 200 with exactly `ACK/Jasmin`, so
that is the answer to everything we accept, including duplicates. UCS-2 content travels as
UTF-16BE bytes in both directions.

What the deliverSm thrower posts (Jasmin 0.11, jasmin/routing/throwers.py): `id`, `from`, `to`,
`origin-connector`, `content` (the SMSC's `short_message` or `message_payload` bytes, parts of a
long text already joined), `binary` (the same bytes in hex), `coding` (the SMPP data_coding as
ONE RAW OCTET: `%08` for UCS-2, `%00` for the default alphabet), and when present `priority`,
`validity`, `tlv_params`, `custom_tlvs`. Our `/send` takes `coding` in decimal.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from channels.sms.base import Ack, DeliveryReport, MoMessage, WireRequest, required, text_of
from channels.sms.data_coding import coding_value, decode_short_message
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
        raw = fields.get("content", b"")
        binary = text_of(fields, "binary")
        if binary:  # the same bytes, safe from any form-encoding slip on the way
            try:
                raw = bytes.fromhex(binary)
            except ValueError as exc:
                raise ChannelError("binary is not hexadecimal") from exc
        return MoMessage(
            message_id=text_of(fields, "id"),
            sender=text_of(fields, "from"),
            receiver=text_of(fields, "to"),
            text=decode_short_message(raw, coding_value(fields.get("coding", b""))),
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
