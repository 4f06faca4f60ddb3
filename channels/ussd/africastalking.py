"""Africa's Talking USSD: form callback, every input so far joined by `*`, answer `CON`/`END` text."""

from __future__ import annotations

from collections.abc import Mapping

from channels.inbound import Inbound
from channels.phone import to_e164
from channels.ussd.base import UssdPage, page_text
from flows.errors import ChannelError
from flows.reply import Reply

MAX_FIELD = 512
"""No genuine field is longer; a longer one is an attack or a broken aggregator."""


class AfricasTalking:
    """The Africa's Talking dialect (sessionId, serviceCode, phoneNumber, networkCode, text)."""

    name = "africastalking"

    def parse(self, fields: Mapping[str, str], service_code: str) -> tuple[Inbound, str | None]:
        missing = [f for f in ("sessionId", "phoneNumber") if not fields.get(f)]
        if missing:
            raise ChannelError(f"missing {', '.join(missing)}")
        if max(map(len, fields.values())) > MAX_FIELD:  # not a generator: one of a hop's few costs here
            raise ChannelError("field too long", status=413)
        phone = to_e164(fields["phoneNumber"])
        text = fields.get("text", "")
        return (
            Inbound(
                channel="ussd",
                address=f"tel:{phone}",
                text=text.rsplit("*", 1)[-1],
                provider=self.name,
                session_id=fields["sessionId"],
                phone=phone,
                accumulated_text=text,
            ),
            fields.get("networkCode"),
        )

    def render(self, reply: Reply, inbound: Inbound) -> UssdPage:
        return UssdPage(("END " if reply.end else "CON ") + page_text(reply))
