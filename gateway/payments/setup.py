"""Opening the payment side of a gateway: settings, the provider, the service and its request hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.texts import pick
from gateway.payments.providers import PaymentProvider
from gateway.payments.sandbox import SandboxBank
from gateway.payments.service import PaymentService
from gateway.payments.settings import PaymentSettings, payment_settings
from gateway.payments.store import PaymentStore
from gateway.payments.zarinpal import Zarinpal
from gateway.store import Database

if TYPE_CHECKING:
    from gateway.app import Gateway


def build_provider(settings: PaymentSettings, db: Database, public_base_url: str) -> PaymentProvider:
    """The configured provider."""
    if settings.provider == "zarinpal":
        return Zarinpal(settings.zarinpal)
    return SandboxBank(db, public_base_url)


def open_payments(gateway: Gateway) -> PaymentService:
    """Build the payment service, hook it to request submissions and close its provider with the gateway."""
    settings = payment_settings(gateway.settings.raw.get("payments"))
    base = gateway.settings.server.public_base_url
    provider = build_provider(settings, gateway.db, base)

    def title(service_id: str, lang: str) -> str:
        service = gateway.catalogue.get(service_id)
        return pick(service.label, lang) if service else service_id

    payments = PaymentService(PaymentStore(gateway.db), provider, gateway.requests, gateway.outbox, settings, base, title)
    gateway.requests.with_request.append(payments.open_with_request)
    gateway.requests.on_submitted.append(payments.on_submitted)
    gateway.closers.append(provider.close)
    return payments
