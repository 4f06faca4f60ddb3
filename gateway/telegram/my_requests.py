""""My requests": a verified citizen's requests from every channel, plus those made from this chat."""

from __future__ import annotations

from flows.paging import localise_digits
from flows.texts import pick
from gateway.requests import RequestRecord, RequestService
from gateway.requests.texts import STATUS, date_text
from gateway.telegram import texts
from gateway.telegram.contacts import ContactStore


class RequestListing:
    """Finds and words a citizen's requests for the bot."""

    def __init__(self, requests: RequestService, contacts: ContactStore) -> None:
        self.requests = requests
        self.contacts = contacts

    async def on_submitted(self, record: RequestRecord) -> None:
        """Request-service hook: index requests made from a bot chat by the chat's address."""
        if record.channel == "telegram":
            await self.contacts.remember_request(record.address, record.tracking_code, record.created_at)

    async def records(self, address: str, phone: str) -> list[RequestRecord]:
        """Requests made with `phone` on any channel and those made from this chat, newest first."""
        limit = self.requests.settings.my_requests_limit
        found = {r.tracking_code: r for r in await self.requests.list_for_phone(phone)}
        for code in await self.contacts.request_codes(address, limit):
            if code not in found and (record := await self.requests.get(code)) is not None:
                found[code] = record
        return sorted(found.values(), key=lambda r: r.created_at, reverse=True)[:limit]

    def _line(self, record: RequestRecord, lang: str) -> str:
        service = self.requests.catalogue().get(record.service_id)
        values = {
            "code": record.tracking_code,
            "service": pick(service.label, lang) if service else record.service_id,
            "status": pick(STATUS.get(record.status, {"en": record.status}), lang),
            "due": date_text(record.due_date, lang),
            "late": pick(texts.LATE, lang) if self.requests.is_late(record) else "",
            "channel": pick(texts.CHANNEL.get(record.channel, {"en": record.channel}), lang),
        }
        line = pick(texts.REQUEST_LINE, lang)
        for key, value in values.items():
            line = line.replace("{" + key + "}", value)
        return line

    async def text(self, address: str, phone: str, lang: str) -> str:
        """The list as the citizen reads it."""
        records = await self.records(address, phone)
        if not records:
            return pick(texts.NO_REQUESTS, lang)
        heading = pick(texts.REQUESTS_HEADING, lang).replace("{count}", str(len(records)))
        return localise_digits("\n".join([heading, *(self._line(r, lang) for r in records)]), lang)
