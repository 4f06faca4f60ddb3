"""Payment values and the payment state machine.

pending -> paid | failed | expired; paid -> refunded. A payment the provider confirms after we
had marked it failed or expired still becomes paid: the citizen's money is real, and only the
provider's word (server-side verify with our stored amount) ever makes a payment paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from flows.errors import PishkhanError

STATES = ("pending", "paid", "failed", "expired", "refunded")
NEXT: dict[str, frozenset[str]] = {
    "pending": frozenset({"paid", "failed", "expired"}),
    "failed": frozenset({"paid"}),
    "expired": frozenset({"paid"}),
    "paid": frozenset({"refunded"}),
    "refunded": frozenset(),
}
CURRENCY = "IRR"
CLOSED_REQUESTS = frozenset({"cancelled", "rejected"})
"""Requests that no longer take a fee."""


def sources_of(to: str) -> tuple[str, ...]:
    """The states from which a payment may move to `to` (the WHERE of the conditional update)."""
    return tuple(s for s in STATES if to in NEXT[s])


class PaymentError(PishkhanError):
    """A payment operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class Payment:
    """One attempt to pay a request's fee, with its link and what the provider said."""

    id: int
    request_id: int
    amount: int
    currency: str
    provider: str
    authority: str | None
    ref_id: str | None
    card_pan: str | None
    state: str
    reason: str | None
    csrf: str
    link_expires_at: float
    link_sent_at: float | None
    started_at: float | None
    verify_attempts: int
    verified_at: float | None
    synced_state: str | None
    renewed_by: int | None
    created_at: float
    updated_at: float

    def link_expired(self, now: float) -> bool:
        """The link can no longer start a payment."""
        return now >= self.link_expires_at


@dataclass(frozen=True)
class PaymentEvent:
    """One thing that happened to a payment (operators read the history)."""

    id: int
    payment_id: int
    at: float
    kind: str
    from_state: str | None
    to_state: str | None
    detail: str | None


@dataclass(frozen=True)
class Verification:
    """The provider's answer to "was this authority paid, for this amount?"."""

    outcome: Literal["paid", "unpaid", "mismatch", "rejected"]
    """paid (code 100, or 101 already verified); unpaid; mismatch (amount differs); rejected (any other refusal)."""
    code: int
    message: str
    ref_id: str | None = None
    card_pan: str | None = None


def request_payment_state(payments: Iterable[Payment]) -> str:
    """The request's `payment_state` from all its payments: paid if one is paid, else how the
    newest stands (an expired link still leaves the fee owed: pending; a refund leaves nothing paid: none)."""
    ordered = sorted(payments, key=lambda p: p.id)
    if any(p.state == "paid" for p in ordered):
        return "paid"
    if not ordered:
        return "none"
    return {"pending": "pending", "expired": "pending", "failed": "failed", "refunded": "none"}[ordered[-1].state]
