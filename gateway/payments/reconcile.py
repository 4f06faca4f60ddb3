"""Reconciliation: what an operator should look at in the payments.

- pending: payments not settled yet (link unused, or at the provider with no answer);
- mismatched: the payment and its request disagree (amount, payment state), a request paid
  twice, or a provider that did not confirm our amount;
- orphaned: a request with a fee and no payment, a payment with no request, a sandbox
  authority no payment knows.

Each finding names its `problem` (PROBLEMS) so `repair` can act on exactly what is listed here.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from gateway.payments.models import request_payment_state
from gateway.payments.store import FEE_WITHOUT_PAYMENT, PaymentStore, payment_from_row

KINDS = ("pending", "mismatched", "orphaned")
PROBLEMS = {
    "at_provider": "pending: the citizen went to the provider and no answer was applied yet",
    "link_open": "pending: the link has not reached the provider (unused, or its start was interrupted)",
    "amount_differs": "mismatched: a pending or paid payment's amount is not the request's fee",
    "provider_mismatch": "mismatched: failed because the provider did not confirm our amount",
    "request_state": "mismatched: the request's payment_state is not what its payments say",
    "paid_twice": "mismatched: more than one paid payment for one request",
    "no_request": "orphaned: a payment whose request does not exist",
    "no_payment": "orphaned: an open request with a fee and no payment at all",
    "unknown_authority": "orphaned: a sandbox bank session that no payment recorded",
}
"""Every `Finding.problem`, with what it means."""


@dataclass(frozen=True)
class Finding:
    """One thing to look at."""

    kind: str
    problem: str
    """A key of PROBLEMS."""
    detail: str
    payment_id: int | None = None
    tracking_code: str | None = None
    state: str | None = None
    amount: int | None = None
    provider: str | None = None

    def as_json(self) -> dict[str, Any]:
        """For `--json` and the API."""
        return asdict(self)


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


async def reconcile(store: PaymentStore, now: float | None = None) -> list[Finding]:
    """Every finding, pending first, then mismatched, then orphaned."""
    now = time.time() if now is None else now
    rows = await store.rows(
        "SELECT p.*, r.tracking_code AS code, r.fee AS fee, r.payment_state AS request_state, r.id AS rid"
        " FROM payments p LEFT JOIN requests r ON r.id = p.request_id ORDER BY p.id")
    found: list[Finding] = []
    by_request: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        payment = payment_from_row(row)
        where = {"payment_id": payment.id, "tracking_code": row["code"], "state": payment.state, "amount": payment.amount,
                 "provider": payment.provider}
        if row["rid"] is None:
            found.append(Finding("orphaned", "no_request", f"payment for request id {payment.request_id}, which does not exist", **where))
            continue
        by_request[payment.request_id].append((payment, row))
        if payment.state == "pending":
            detail = (f"at the provider for {_age(now - payment.started_at)}, {payment.verify_attempts} verify attempts"
                      if payment.started_at and payment.authority else
                      f"link unused, expires in {_age(max(0.0, payment.link_expires_at - now))}")
            found.append(Finding("pending", "at_provider" if payment.authority else "link_open", detail, **where))
        if payment.state in ("pending", "paid") and payment.amount != row["fee"]:
            found.append(Finding("mismatched", "amount_differs", f"amount {payment.amount} differs from the request's fee {row['fee']}", **where))
        if payment.state == "failed" and (payment.reason or "").startswith("amount mismatch"):
            found.append(Finding("mismatched", "provider_mismatch", payment.reason or "", **where))
    for group in by_request.values():
        payments = [p for p, _ in group]
        last, row = group[-1]
        expected = request_payment_state(payments)
        if row["request_state"] != expected:
            found.append(Finding("mismatched", "request_state", f"request shows payment {row['request_state']}, payments say {expected}",
                                 tracking_code=row["code"], payment_id=last.id, state=last.state))
        paid = [p for p in payments if p.state == "paid"]
        if len(paid) > 1:
            ids = ", ".join(str(p.id) for p in paid)
            found.append(Finding("mismatched", "paid_twice", f"paid {len(paid)} times (payments {ids}): refund all but one",
                                 tracking_code=row["code"], payment_id=paid[-1].id, state="paid", amount=sum(p.amount for p in paid)))
    for row in await store.rows(f"SELECT r.tracking_code, r.fee FROM requests r WHERE {FEE_WITHOUT_PAYMENT} ORDER BY r.id"):
        found.append(Finding("orphaned", "no_payment", f"fee {row['fee']} but no payment link",
                             tracking_code=row["tracking_code"], amount=row["fee"]))
    for row in await store.rows(
            "SELECT s.authority, s.amount, s.state FROM payment_sandbox s WHERE NOT EXISTS"
            " (SELECT 1 FROM payments p WHERE p.provider = 'sandbox' AND p.authority = s.authority) ORDER BY s.created_at"):
        found.append(Finding("orphaned", "unknown_authority", f"sandbox authority {row['authority']} ({row['state']}) belongs to no payment",
                             state=row["state"], amount=row["amount"], provider="sandbox"))
    return sorted(found, key=lambda f: KINDS.index(f.kind))
