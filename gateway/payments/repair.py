"""Repair: act on what `reconcile` lists, through the same code paths as callbacks and the sweeper.

Each finding gets the one safe action for its problem, or is left for a person with the reason:

- at_provider: verify with our stored amount (`PaymentService.settle`, as a callback does): paid
  once with one receipt, amount mismatch -> failed with the reason. "Unpaid" expires it only once
  the citizen has had `payments.verify_after` seconds to pay; before that it stays pending. A
  provider that does not answer leaves it as it was, and the rest are not asked in this run.
- link_open: a link past its life -> expired (the sweeper's rule); a live link is left alone.
- request_state: the request's payment state is set again from its payments (`sync`).
- no_payment: a request committed without its payment (by a version that opened payments after the
  request; now both commit together): open it and send the link, as submitting and the sweeper do
  (`issue`, which refuses when a payment already exists).
- no_request, paid_twice, amount_differs, provider_mismatch and a paid unknown_authority are money
  questions (refunds, which row is right) for a person: nothing changes. An unknown sandbox
  authority nobody paid is a start a crash interrupted before it was recorded: nobody was sent to
  it, so there is nothing to do.

Everything acted on is re-read first and every change is conditional, so a run racing the sweeper
or a callback is safe, and a second run changes nothing the first one settled.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.payments.models import Payment, request_payment_state
from gateway.payments.reconcile import Finding, reconcile
from gateway.payments.service import PaymentService, Settlement

log = logging.getLogger(__name__)

RESULTS = ("repaired", "unchanged", "provider_down", "needs_person")
"""repaired: this run changed it; unchanged: nothing to do (or already right); provider_down: left as it
was because the provider did not answer, run again later; needs_person: no safe automatic action."""
LEFT = frozenset({"provider_down", "needs_person"})
MEANWHILE = "settled meanwhile (by a callback or the sweeper)"


@dataclass(frozen=True)
class Repair:
    """What repair did about one finding: before -> after and why."""

    finding: Finding
    result: str
    """One of RESULTS."""
    why: str
    before: str | None = None
    """The payment's state before (for request_state and no_payment: the request's payment state)."""
    after: str | None = None
    payment_id: int | None = None
    """The payment acted on (for no_payment, the one opened)."""

    @property
    def payment(self) -> int | None:
        """The payment this line is about: the one acted on, else the finding's."""
        return self.payment_id or self.finding.payment_id

    @property
    def left(self) -> bool:
        """Still needs attention: a provider to come back, or a person."""
        return self.result in LEFT

    def as_json(self) -> dict[str, Any]:
        """For `--json` and the API: the finding with what was done."""
        return {**self.finding.as_json(), "payment_id": self.payment, "result": self.result,
                "before": self.before, "after": self.after, "why": self.why}


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


class _Run:
    """One repair pass; remembers a provider that stopped answering so it is not asked again."""

    def __init__(self, payments: PaymentService, now: float) -> None:
        self.payments = payments
        self.now = now
        self.down: str | None = None
        self.actions: dict[str, Callable[[Finding], Awaitable[Repair]]] = {
            "at_provider": self.at_provider, "link_open": self.link_open, "request_state": self.request_state,
            "no_payment": self.no_payment, "unknown_authority": self.unknown_authority,
        }

    async def repair(self, finding: Finding) -> Repair:
        """The action for this finding's problem; the money questions go to a person."""
        action = self.actions.get(finding.problem)
        if action is not None:
            return await action(finding)
        advice = _FOR_A_PERSON.get(finding.problem, "no automatic repair for this: look at it by hand")
        return Repair(finding, "needs_person", f"{finding.detail}: {advice}", finding.state, finding.state)

    async def _pending(self, finding: Finding) -> Payment | Repair:
        """The payment re-read, or what to report when it is no longer pending."""
        payment = await self.payments.store.get(finding.payment_id or 0)
        if payment is None or payment.state != "pending":
            return Repair(finding, "unchanged", MEANWHILE, finding.state, payment.state if payment else None)
        return payment

    async def at_provider(self, finding: Finding) -> Repair:
        """Verify with the provider, as the callback does."""
        payment = await self._pending(finding)
        if isinstance(payment, Repair):
            return payment
        if self.down is not None:
            return Repair(finding, "provider_down", f"not asked: {self.down}; left pending, run again later", "pending", "pending")
        settled = await self.payments.settle(payment, source="reconcile")
        if settled.error is not None:
            self.down = f"{payment.provider} did not answer for payment {payment.id} ({settled.error})"
            return Repair(finding, "provider_down", f"{payment.provider} did not answer ({settled.error}); left pending, run again later",
                          "pending", "pending")
        return Repair(finding, "repaired" if settled.changed else "unchanged", _verdict(settled, self.now), "pending", settled.payment.state)

    async def link_open(self, finding: Finding) -> Repair:
        """Expire a link past its life; leave a live one."""
        payment = await self._pending(finding)
        if isinstance(payment, Repair):
            return payment
        if payment.authority:  # the citizen pressed pay since the listing
            return await self.at_provider(finding)
        if not payment.link_expired(self.now):
            sent = "" if payment.link_sent_at else " (its message is not queued yet: the running gateway's sweeper sends it)"
            return Repair(finding, "unchanged", f"link live until {_when(payment.link_expires_at)}{sent}", "pending", "pending")
        expired = await self.payments.expire_unused(payment)
        if expired is None:
            current = await self.payments.store.get(payment.id)
            return Repair(finding, "unchanged", MEANWHILE, "pending", current.state if current else None)
        return Repair(finding, "repaired", f"link expired {_when(payment.link_expires_at)} unused", "pending", expired.state)

    async def request_state(self, finding: Finding) -> Repair:
        """Set the request's payment state from its payments."""
        payment = await self.payments.store.get(finding.payment_id or 0)
        record = await self.payments.requests.store.get_by_id(payment.request_id) if payment else None
        if payment is None or record is None:
            return Repair(finding, "needs_person", "the payment or its request is gone: check the rows by hand", finding.state, finding.state)
        before = record.payment_state
        expected = request_payment_state(await self.payments.store.for_request(record.id))
        if before == expected:
            return Repair(finding, "unchanged", "already right", before, before)
        await self.payments.sync(payment)
        return Repair(finding, "repaired", f"the request's payment state set from its payments ({expected})", before, expected)

    async def no_payment(self, finding: Finding) -> Repair:
        """Open the payment and send the link the interrupted submit did not."""
        record = await self.payments.requests.get(finding.tracking_code or "")
        if record is None:
            return Repair(finding, "needs_person", "the request is gone", None, None)
        payment = await self.payments.issue(record)
        if payment is None:
            return Repair(finding, "unchanged", "it has a payment now", record.payment_state, record.payment_state)
        why = f"fee {record.fee} rials and no payment (its submit was interrupted): opened payment {payment.id} and sent its link"
        return Repair(finding, "repaired", why, record.payment_state, "pending", payment.id)

    async def unknown_authority(self, finding: Finding) -> Repair:
        """A sandbox session no payment recorded: harmless unless someone paid it."""
        if finding.state in ("paid", "verified"):
            return Repair(finding, "needs_person", "money was taken on a session no payment knows: find the payer and refund it",
                          finding.state, finding.state)
        why = "a start interrupted between opening it and recording it: nobody was sent to it and no money moved, nothing to do"
        return Repair(finding, "unchanged", why, finding.state, finding.state)


_FOR_A_PERSON = {
    "no_request": "nobody can be told and nothing marked; if it was paid (see its authority at the provider), refund it",
    "paid_twice": "refund all but one at the provider",
    "amount_differs": "the fee changed after the link was made, or a row was edited: decide which amount is right",
    "provider_mismatch": "if the citizen paid another amount, refund it at the provider; the fee is still owed (they can ask for a new link)",
}


def _verdict(settled: Settlement, now: float) -> str:
    """Why a verified payment is where it is, in the words an operator reads."""
    payment, verdict = settled.payment, settled.verdict
    answer = f"{payment.provider} code {verdict.code} {verdict.message}".strip() if verdict else payment.provider
    if not settled.changed:
        if payment.state != "pending":
            return f"{answer}; {MEANWHILE}"
        started = now - (payment.started_at or now)
        return f"{answer}; unpaid, went to the provider {int(started // 60)} min ago: left pending while the citizen may still be paying"
    if payment.state == "paid":
        return f"{answer}: paid {payment.amount} rials, ref {payment.ref_id or '-'}; receipt queued"
    return payment.reason or answer


async def repair(payments: PaymentService, now: float | None = None) -> list[Repair]:
    """Act on every finding of `reconcile`, in its order (pending first, so the request-state checks
    see what verification changed)."""
    run = _Run(payments, time.time() if now is None else now)
    done = [await run.repair(finding) for finding in await reconcile(payments.store, run.now)]
    counts = {result: sum(r.result == result for r in done) for result in RESULTS}
    log.info("payments repair: %s", ", ".join(f"{n} {result}" for result, n in counts.items()))
    return done
