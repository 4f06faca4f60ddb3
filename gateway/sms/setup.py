"""Opening the SMS side of a gateway: stores, the service, and the outbox sender."""

from __future__ import annotations

import logging

from gateway.conversations import Conversations
from gateway.outbox import Outbox
from gateway.requests.lookup import StatusLookup
from gateway.settings import Settings
from gateway.sms.delivery import DeliveryStore
from gateway.sms.optout import OptOuts
from gateway.sms.providers import client_for
from gateway.sms.routing import ShortNumbers
from gateway.sms.sender import SmsSender
from gateway.sms.service import SmsService
from gateway.state import StateStore
from gateway.state.throttle import Throttle
from gateway.store import Database

log = logging.getLogger(__name__)


def build_sms(
    settings: Settings, db: Database, state: StateStore, outbox: Outbox, lookups: StatusLookup, conversations: Conversations,
) -> tuple[SmsService, SmsSender | None]:
    """The SMS service, and the `sms` outbox sender when a provider has a base_url (without one the
    outbox logs SMS instead of sending them, which is the embedded default)."""
    sms = settings.sms
    deliveries, optouts = DeliveryStore(db), OptOuts(db)
    service = SmsService(
        sms, conversations=conversations, state=state, outbox=outbox, lookups=lookups,
        optouts=optouts, deliveries=deliveries, languages=tuple(settings.flows.languages), region=settings.flows.default_region,
    )
    clients = {name: client_for(name, p) for name, p in sms.providers.items() if p.base_url}
    if not clients:
        log.warning("no SMS provider has a base_url: SMS replies and notifications are only logged")
        return service, None
    log.info("SMS goes out through %s", ", ".join(f"{n} ({c.settings.type})" for n, c in clients.items()))
    sender = SmsSender(clients, ShortNumbers(sms), deliveries, optouts, sms.callback_base_url or settings.server.public_base_url,
                       Throttle(state))
    return service, sender
