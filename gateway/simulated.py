"""A citizen speaking to the gateway the way its channel's adapter delivers them, for the simulator
(`pishkhan simulate`) and the transcript runner (`pishkhan flows test`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from channels.inbound import Inbound
from channels.ussd.base import dial_path
from flows.reply import Reply
from gateway.runtime import Gateway
from gateway.views import USSD_DIALECT, channel_view


@dataclass(frozen=True)
class Seen:
    """What the citizen saw: the text as the wire carries it, whether the conversation ended, and
    which page of how many (USSD and bots; an SMS is one page); `reply`, the screen the text was
    drawn from (USSD and bots: the console's simulator draws a bot's buttons from it)."""

    text: str
    end: bool
    page: int = 0
    pages: int = 1
    reply: Reply | None = None


class SimulatedCitizen:
    """One citizen of a transcript, speaking to the gateway as its channel's adapter delivers them:
    USSD as Africa's Talking sends hops (every input so far joined by `*`, direct dials in the first
    hop's text), SMS through the SMS service (keywords and first-text rules), bots as chat turns."""

    def __init__(self, gateway: Gateway, channel: str, msisdn: str, data: dict[str, Any]) -> None:
        self.gateway, self.channel, self.msisdn = gateway, channel, msisdn
        self.view = channel_view(channel, gateway.settings)
        self.address = f"tel:{msisdn}" if channel != "telegram" else f"telegram:{data.get('chat', 1)}"
        short_number = str(data.get("short_number") or "")
        numbers = gateway.sms.numbers  # the number texted (its flow and keywords), else the default, quietly
        self.number = numbers.for_receiver(short_number) if short_number else numbers.for_message(None)
        self.session_id = uuid.uuid4().hex
        self.typed: str | None = None
        """USSD: the inputs of this session so far, joined by `*` (None before the first dial)."""

    async def dial(self, code: str) -> Seen:
        """A new session: a USSD code dialled (its choices carried in the first hop), else a first message."""
        self.session_id = uuid.uuid4().hex
        if self.channel == "ussd":
            self.typed = "*".join(dial_path(code, self.gateway.settings.ussd.service_code))
            return await self._hop()
        inbound = Inbound(self.channel, self.address, "", "transcript", phone=self.msisdn, new_session=True)
        return await self._turn(inbound)

    async def send(self, text: str) -> Seen:
        """What the citizen types next."""
        if self.channel == "ussd":
            self.typed = text if not self.typed else f"{self.typed}*{text}"
            return await self._hop()
        inbound = Inbound(self.channel, self.address, text, "transcript", message_id=uuid.uuid4().hex, phone=self.msisdn)
        if self.channel == "sms":  # keywords and first-text rules apply, as on the wire
            answer = await self.gateway.sms.answer(inbound, self.number)
            return Seen(answer.text, answer.end)
        return await self._turn(inbound)

    async def _hop(self) -> Seen:
        settings = self.gateway.settings.ussd
        fields = {"sessionId": self.session_id, "serviceCode": settings.service_code, "phoneNumber": self.msisdn, "text": self.typed or ""}
        inbound, _ = USSD_DIALECT.parse(fields, settings.service_code)
        reply = await self.gateway.ussd.hop(inbound, self.view.surface)
        if reply.end:
            self.typed = None
        return Seen(self.view.render(reply, inbound), reply.end, reply.page, reply.pages, reply)

    async def _turn(self, inbound: Inbound) -> Seen:
        reply = await self.gateway.conversations.turn(inbound, self.view.surface)
        return Seen(self.view.render(reply, inbound), reply.end, reply.page, reply.pages, reply)
