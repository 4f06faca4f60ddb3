"""Hubtel-style JSON USSD: only the current input per request, `Type` says start/response/release."""

from __future__ import annotations

import json
from collections.abc import Mapping

from channels.inbound import Inbound
from channels.phone import to_e164
from channels.ussd.base import UssdPage, dial_path, page_text
from flows.errors import ChannelError
from flows.reply import Reply

TYPES = {"initiation", "response", "release", "timeout"}
CLOSING = {"release", "timeout"}
"""The network ended the session (the citizen hung up, or stopped answering): not an answer."""


class Hubtel:
    """JSON in (`Type`, `Mobile`, `SessionId`, `ServiceCode`, `Message`, `Operator`), JSON out."""

    name = "hubtel"

    def parse(self, fields: Mapping[str, str], service_code: str) -> tuple[Inbound, str | None]:
        kind = str(fields.get("Type", "")).lower()
        if kind not in TYPES:
            raise ChannelError(f"`Type` must be one of {sorted(TYPES)}")
        missing = [f for f in ("SessionId", "Mobile") if not fields.get(f)]
        if missing:
            raise ChannelError(f"missing {', '.join(missing)}")
        phone = to_e164(str(fields["Mobile"]))
        message = str(fields.get("Message", ""))
        start = kind == "initiation"
        return (
            Inbound(
                channel="ussd",
                address=f"tel:{phone}",
                text="" if start else message,
                provider=self.name,
                session_id=str(fields["SessionId"]),
                phone=phone,
                new_session=start,
                dial_path=dial_path(message, service_code) if start else (),
                closed=kind in CLOSING,
            ),
            str(fields.get("Operator") or "") or None,
        )

    def render(self, reply: Reply, inbound: Inbound) -> UssdPage:
        body = {
            "SessionId": inbound.session_id,
            "Type": "Release" if reply.end else "Response",
            "Message": page_text(reply),
            "Label": "Pishkhan",
            "DataType": "display" if reply.end else "input",
            "FieldType": "text",
        }
        return UssdPage(json.dumps(body, ensure_ascii=False), "application/json")
