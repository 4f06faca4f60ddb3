"""Kannel: texts in from an `sms-service` get-url, `sendsms` out, delivery reports to our dlr-url.

The sms-service is configured to call us with Kannel's escape codes (deploy/kannel/kannel.conf):
`get-url = "http://127.0.0.1:8080/sms/inbound/kannel?id=%I&sender=%p&receiver=%P&text=%b&coding=%c&charset=%C"`
(`message`/`to` are accepted for `text`/`receiver`, as RapidPro's Courier names them). `%b` is the
text's bytes as they came, UTF-16BE for Persian (coding 2, charset UTF-16BE); `%a` must not be used:
it joins the words with `+` after splitting on space bytes, even inside UCS-2 characters, so a
ZWNJ (20 0C) collapses to one `+` and an Arabic comma (06 0C) loses its second byte.
Kannel sends whatever body we answer back to the citizen as an SMS unless the service has
`max-messages = 0`; we answer 200 with an empty body and the reply leaves through the outbox.
"""

from __future__ import annotations

from urllib.parse import quote

from channels.sms.base import Ack, DeliveryReport, MoMessage, WireRequest, decode, required, text_of
from flows.errors import ChannelError
from flows.gsm7 import is_gsm7

DLR_STATES = {1: "delivered", 2: "failed", 4: "accepted", 8: "sent_to_smsc", 16: "failed"}
"""Kannel's `%d`: 1 delivered to phone, 2 not delivered to phone, 4 queued on the SMSC,
8 delivered to the SMSC, 16 not delivered to the SMSC."""

DLR_MASK_ALL = 31
ACCEPTED_CODES = ("0:", "3:")
"""`0: Accepted for delivery`, `3: Queued for later delivery` (the SMSC link is down; Kannel keeps it)."""


class Kannel:
    """The Kannel dialect."""

    name = "kannel"
    ack = Ack(200, "")

    def parse_mo(self, request: WireRequest) -> MoMessage:
        fields = request.form()
        required(fields, "id", "sender")
        raw = fields.get("text", fields.get("message", b""))
        charset = text_of(fields, "charset")
        if not charset and text_of(fields, "coding") == "2":  # UCS-2 without %C: Kannel passes UTF-16BE bytes
            charset = "utf-16be"
        return MoMessage(
            message_id=text_of(fields, "id"),
            sender=text_of(fields, "sender"),
            receiver=text_of(fields, "receiver", "to"),
            text=decode(raw, charset or "utf-8"),
        )

    def parse_dlr(self, request: WireRequest) -> DeliveryReport:
        fields = request.form()
        required(fields, "ref", "status")
        raw_status = text_of(fields, "status")
        try:
            code = int(raw_status)
        except ValueError as exc:
            raise ChannelError(f"status {raw_status!r} is not a Kannel DLR type (1, 2, 4, 8 or 16)") from exc
        answer = text_of(fields, "answer")
        state = DLR_STATES.get(code)
        if state == "failed" and "STAT:EXPIRED" in answer.upper():
            state = "expired"
        return DeliveryReport(text_of(fields, "ref"), state, f"{code} {answer}".strip()[:200])


def dlr_query(reference: str) -> str:
    """The query of our dlr-url for one message, with Kannel's `%d`/`%A` left for it to fill in."""
    return f"ref={quote(reference)}&status=%d&answer=%A"


def sendsms_params(*, username: str, password: str, sender: str, to: str, text: str, dlr_mask: int, dlr_url: str) -> dict[str, str]:
    """The `GET /cgi-bin/sendsms` query: UTF-8 text, `coding=2` (UCS-2) once any character is not GSM-7."""
    params = {
        "username": username, "password": password, "from": sender, "to": to, "text": text,
        "charset": "UTF-8", "dlr-mask": str(dlr_mask), "dlr-url": dlr_url,
    }
    if not is_gsm7(text):
        params["coding"] = "2"
    return params


def sendsms_accepted(status: int, body: str) -> bool:
    """Whether Kannel took the message (202 `0: Accepted for delivery` or `3: Queued ...`)."""
    return status in (200, 202) and body.lstrip().startswith(ACCEPTED_CODES)
