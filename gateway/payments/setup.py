"""Opening the payment side of a gateway: the provider, the service and its request hook."""

from __future__ import annotations

from collections.abc import Callable

from flows.clock import SYSTEM_CLOCK, Clock
from flows.texts import pick
from gateway.catalogue import Catalogue
from gateway.outbox import Outbox
from gateway.payments.providers import PaymentProvider
from gateway.payments.sandbox import SandboxBank
from gateway.payments.service import PaymentService
from gateway.payments.settings import PaymentSettings
from gateway.payments.store import PaymentStore
from gateway.payments.zarinpal import Zarinpal
from gateway.requests import RequestService
from gateway.store import Database


def build_provider(settings: PaymentSettings, db: Database, public_base_url: str) -> PaymentProvider:
    """The configured provider."""
    if settings.provider == "zarinpal":
        return Zarinpal(settings.zarinpal)
    return SandboxBank(db, public_base_url)


def build_payments(
    settings: PaymentSettings, db: Database, requests: RequestService, outbox: Outbox,
    catalogue: Callable[[], Catalogue], public_base_url: str, clock: Clock = SYSTEM_CLOCK,
) -> PaymentService:
    """The payment service, hooked to request submissions (a fee gets a payment link); close its
    provider with `service.provider.close`."""
    provider = build_provider(settings, db, public_base_url)

    def title(service_id: str, lang: str) -> str:
        service = catalogue().get(service_id)
        return pick(service.label, lang) if service else service_id

    payments = PaymentService(PaymentStore(db), provider, requests, outbox, settings, public_base_url, title, clock)
    requests.with_request.append(payments.open_with_request)
    requests.on_submitted.append(payments.on_submitted)
    return payments
