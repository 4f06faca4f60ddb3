"""The payment-provider interface every gateway implements: create, redirect, verify.

A provider is a redirect gateway: we ask it for an authority for an amount and a callback URL,
send the citizen's browser to its page, and when the browser comes back we ask the provider,
server to server and with our stored amount, whether it was paid. Nothing the browser brings
back is trusted except the authority, which only picks the payment to verify.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from gateway.payments.models import Payment, Verification


@dataclass(frozen=True)
class PaymentOrder:
    """What a provider is asked to collect."""

    amount: int
    callback_url: str
    description: str
    mobile: str | None = None
    order_id: str | None = None


class PaymentProvider(Protocol):
    """A redirect payment gateway; raises ProviderError (retryable for 5xx and timeouts) when it cannot answer."""

    name: str

    async def create(self, order: PaymentOrder) -> str:
        """Open a payment at the provider; its authority."""

    def redirect_url(self, authority: str) -> str:
        """Where the citizen's browser goes to pay."""

    def authority_from(self, query: Mapping[str, str]) -> str | None:
        """The authority named by a callback's query (the only thing taken from it), or None."""

    async def verify(self, payment: Payment) -> Verification:
        """Ask whether `payment.authority` was paid for `payment.amount`."""

    async def close(self) -> None:
        """Release connections."""


MAX_AUTHORITY = 64


def authority_param(query: Mapping[str, str], name: str = "Authority") -> str | None:
    """The `Authority` query parameter when it is a plausible one (bounded, printable ASCII)."""
    value = query.get(name, "")
    if not value or len(value) > MAX_AUTHORITY or not value.isascii() or not value.isalnum():
        return None
    return value
