"""Opening the SMS side of a gateway: settings, stores, the service, and the outbox sender."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flows.errors import FlowError, FlowErrors
from gateway.sms.delivery import DeliveryStore
from gateway.sms.optout import OptOuts
from gateway.sms.providers import client_for
from gateway.sms.routing import ShortNumbers
from gateway.sms.sender import SmsSender
from gateway.sms.service import SmsService
from gateway.sms.settings import load_sms_settings
from gateway.state.throttle import Throttle

if TYPE_CHECKING:
    from gateway.app import Gateway

log = logging.getLogger(__name__)


async def open_sms(gateway: Gateway) -> SmsService:
    """Build the SMS service; register the `sms` sender when a provider has a base_url (otherwise
    the outbox logs SMS instead of sending them, which is the embedded default)."""
    settings = gateway.settings
    sms = load_sms_settings(settings)
    flows = gateway.conversations.engine.flows
    broken = [n for n in sms.short_numbers.values() if flows.find(n.entry) is None]
    if broken:
        raise FlowErrors([FlowError("settings.yaml", f"sms.short_numbers.{n.number}.entry",
                                    f"{n.entry!r} names no flow node", "use flow:node, e.g. main:home") for n in broken])
    deliveries, optouts = DeliveryStore(gateway.db), OptOuts(gateway.db)
    service = SmsService(
        sms, conversations=gateway.conversations, state=gateway.state, outbox=gateway.outbox, requests=gateway.requests,
        optouts=optouts, deliveries=deliveries, languages=tuple(settings.flows.languages), region=settings.flows.default_region,
    )
    clients = {name: client_for(name, p) for name, p in sms.providers.items() if p.base_url}
    if clients:
        sender = SmsSender(clients, ShortNumbers(sms), deliveries, optouts, sms.callback_base_url or settings.server.public_base_url,
                           Throttle(gateway.state))
        gateway.dispatcher.senders["sms"] = sender
        gateway.closers.append(sender.close)
        log.info("SMS goes out through %s", ", ".join(f"{n} ({c.settings.type})" for n, c in clients.items()))
    else:
        log.warning("no SMS provider has a base_url: SMS replies and notifications are only logged")
    gateway.closers.append(service.close)
    return service
