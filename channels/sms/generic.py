"""A generic JSON dialect for aggregators with their own HTTP API and a small adapter.

In: `{"id", "from", "to", "text"}`. Reports: `{"id", "status"}` with status one of accepted,
sent (or sent_to_smsc), delivered, failed, expired. Out: `POST <base_url>` with
`{"from", "to", "text", "reference", "dlr_url"}`, answered 2xx `{"id": "..."}`.
"""

from __future__ import annotations

from typing import Any

from channels.sms.base import DELIVERY_STATES, Ack, DeliveryReport, MoMessage, WireRequest
from flows.errors import ChannelError

ALIASES = {"sent": "sent_to_smsc", "undelivered": "failed", "rejected": "failed"}


def _str(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None or value == "":
        raise ChannelError(f"missing {name}")
    if not isinstance(value, (str, int)):
        raise ChannelError(f"{name} must be a string")
    return str(value)


class GenericJson:
    """The generic JSON dialect."""

    name = "generic"
    ack = Ack(200, '{"status": "ok"}', "application/json")

    def parse_mo(self, request: WireRequest) -> MoMessage:
        data = request.json()
        return MoMessage(_str(data, "id"), _str(data, "from"), str(data.get("to") or ""), str(data.get("text") or ""))

    def parse_dlr(self, request: WireRequest) -> DeliveryReport:
        data = request.json()
        status = _str(data, "status").strip().lower()
        status = ALIASES.get(status, status)
        return DeliveryReport(_str(data, "id"), status if status in DELIVERY_STATES else None, status[:200])


def message_body(*, sender: str, to: str, text: str, reference: str, dlr_url: str) -> dict[str, str]:
    """The JSON we post for one message."""
    return {"from": sender, "to": to, "text": text, "reference": reference, "dlr_url": dlr_url}
