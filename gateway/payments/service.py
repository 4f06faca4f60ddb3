"""Payments for request fees: links, starting at the provider, verifying callbacks, renewing links.

Only the provider's server-side verify (with our stored amount) makes a payment paid; a callback's
query only names the authority to verify. After any change the request's `payment_state` and the
citizen are brought up to date (`sync`); a crash in between leaves `synced_state` behind and the
sweeper finishes the job, so nothing is lost and nothing is told twice (outbox idempotency keys).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gateway.payments.texts as texts
from flows.clock import SYSTEM_CLOCK, Clock
from flows.errors import ProviderError
from flows.masking import masked
from gateway.outbox import Outbox
from gateway.payments.links import link_key, link_url, looks_like_token, new_csrf, new_token, same_secret, token_hash
from gateway.payments.models import CLOSED_REQUESTS, Payment, PaymentError, Verification, request_payment_state
from gateway.payments.providers import PaymentOrder, PaymentProvider
from gateway.payments.settings import PaymentSettings
from gateway.payments.store import NewPayment, PaymentStore
from gateway.requests import RequestRecord, RequestService
from gateway.requests.service import NOTIFY_CHANNEL, receipt_key

log = logging.getLogger(__name__)

LINK_GRACE = 60.0
"""Seconds a new request's submit has to queue its link before the sweeper takes it for lost."""


class LinkProblem(PaymentError):
    """Why a link cannot do what was asked; `kind` picks the page: not_found, stale_form, expired,
    closed, bank_down, busy."""

    def __init__(self, kind: str, message: str = "") -> None:
        self.kind = kind
        super().__init__(message or kind)


@dataclass(frozen=True)
class LinkView:
    """What a link's page needs: the payment, its request, and what the page offers."""

    payment: Payment
    request: RequestRecord
    page: str
    """pay | started | paid | failed | expired | renewed | closed"""
    paid: Payment | None = None
    """The request's paid payment, when there is one (its reference is shown)."""

    @property
    def renewable(self) -> bool:
        """The page may offer to send a new link."""
        return self.page in ("failed", "expired")


@dataclass(frozen=True)
class Settlement:
    """What asking the provider about one payment did (callers that report per payment read it)."""

    payment: Payment
    """The payment as it stands afterwards (another writer may have moved it meanwhile)."""
    changed: bool
    """This call moved it."""
    verdict: Verification | None = None
    """The provider's answer; None when it was not asked or gave no answer."""
    error: str | None = None
    """Why the provider gave no answer (down, unreachable): the payment was left as it was."""


REPLY_FIRST = 2.0
"""Seconds a payment link for an SMS or bot citizen waits before it may be sent, so the conversation's
reply carrying the receipt (queued or sent just after the link is queued) goes first."""


class PaymentService:
    """Fee payments for requests, with one configured provider."""

    def __init__(self, store: PaymentStore, provider: PaymentProvider, requests: RequestService, outbox: Outbox,
                 settings: PaymentSettings, public_base_url: str, service_title: Callable[[str, str], str], clock: Clock = SYSTEM_CLOCK) -> None:
        self.store = store
        self.provider = provider
        self.requests = requests
        self.outbox = outbox
        self.settings = settings
        self.public_base_url = public_base_url.rstrip("/")
        self.service_title = service_title
        self.clock = clock  # link expiry, verify_after, the sweep

    # -- links ---------------------------------------------------------------------------------

    def _new_payment(self, record: RequestRecord, token: str) -> NewPayment:
        return NewPayment(record.id, record.fee, self.provider.name, token_hash(token), new_csrf(), self.clock() + self.settings.link_ttl)

    async def open_with_request(self, conn: Any, record: RequestRecord) -> None:
        """The request-side write (`RequestService.with_request`): a fee's payment commits with the
        request, so no crash leaves a request owing a fee with no payment. Its token is never sent:
        the link gets one of its own when it is queued (`on_submitted`, or the sweeper after a crash)."""
        if record.fee > 0:
            await self.store.open_with_request(conn, self._new_payment(record, new_token()))

    async def on_submitted(self, record: RequestRecord) -> None:
        """The request hook, once the request and its receipt are queued: send the link of the
        payment opened with it (a link this misses, the sweeper sends)."""
        if record.fee <= 0:
            return
        unsent = [p for p in await self.store.for_request(record.id) if p.state == "pending" and p.link_sent_at is None]
        for payment in unsent:
            await self.send_unsent_link(payment, record)

    async def issue(self, record: RequestRecord, *, renews: int | None = None) -> Payment | None:
        """A new pending payment for the request's fee and its link in the outbox; None when the
        request already has a pending or paid payment."""
        token = new_token()
        payment = await self.store.create(self._new_payment(record, token), renews=renews)
        if payment is None:
            return None
        log.info("request %s: payment %d of %d rials opened (%s)", record.tracking_code, payment.id, payment.amount, self.provider.name)
        await self._send_link(payment, record, token)
        await self.sync(payment)
        return payment

    async def send_unsent_link(self, payment: Payment, record: RequestRecord) -> bool:
        """Queue the link of a payment whose link is not marked sent, under a new token (only hashes
        are kept, so an unsent token cannot be sent). True when the link is in the outbox now; False
        when another worker took it first. A link already queued before an interruption is only
        marked: a second one would kill the first."""
        if await self.store.link_queued(payment.id):
            await self.store.mark_link_sent(payment.id, "queued before an interruption")
            return True
        token = new_token()  # of two sweepers (two workers) that read the payment, only one rotates and sends
        if not await self.store.rotate_link(payment, token_hash(token)):
            return False
        await self._send_link(payment, record, token)
        return True

    async def _send_link(self, payment: Payment, record: RequestRecord, token: str) -> None:
        channel = NOTIFY_CHANNEL.get(record.channel)
        if channel is None:
            log.warning("request %s: no channel to send a payment link on (%s)", record.tracking_code, record.channel)
            await self.store.mark_link_sent(payment.id, f"not sent: no channel for {record.channel}")
            return
        url = link_url(self.public_base_url, token)
        hours = max(1, round(self.settings.link_ttl / 3600))
        meta = {"lang": record.lang, "tracking_code": record.tracking_code, "payment_id": payment.id, "url": url}
        if channel == "telegram":
            meta["url_label"] = texts.link_button(payment.amount, record.lang)
        # After the receipt: the link's text names the tracking code the receipt introduces. A USSD
        # citizen's receipt SMS is queued before the link; an SMS or bot citizen's receipt is the
        # conversation's reply, queued or sent once the action that queues this link has returned,
        # so their link gives it a head start (and an SMS reply, keyed as the receipt, is waited for).
        await self.outbox.enqueue(channel, record.address, texts.link_message(payment.amount, record.tracking_code, url, hours, record.lang),
                                  kind="payment_link", meta=meta, idempotency_key=link_key(payment.id, token_hash(token)),
                                  after=receipt_key(record.tracking_code), delay=0.0 if record.channel == "ussd" else REPLY_FIRST,
                                  service_id=record.service_id)
        await self.store.mark_link_sent(payment.id, f"{channel} to {masked(record.address)}")

    async def _request(self, payment: Payment) -> RequestRecord:
        record = await self.requests.store.get_by_id(payment.request_id)
        if record is None:
            raise PaymentError(f"payment {payment.id}: request {payment.request_id} is gone")
        return record

    async def view(self, token: str) -> LinkView | None:
        """A link's payment, its request and the page it shows; None for an unknown token."""
        if not looks_like_token(token):
            return None
        payment = await self.store.by_token_hash(token_hash(token))
        return await self.view_of(payment) if payment else None

    async def view_of(self, payment: Payment) -> LinkView:
        """The page state of a payment (also after a callback, which has no token)."""
        request = await self._request(payment)
        payments = await self.store.for_request(payment.request_id)
        paid = next((p for p in payments if p.state == "paid"), None)
        return LinkView(payment, request, self._page(payment, request, payments, paid, self.clock()), paid)

    @staticmethod
    def _page(payment: Payment, request: RequestRecord, payments: list[Payment], paid: Payment | None, now: float) -> str:
        if paid is not None:
            return "paid"
        if request.status in CLOSED_REQUESTS or payment.state == "refunded":
            return "closed"
        if payment.renewed_by is not None or payments[-1].id != payment.id:
            return "renewed"
        if payment.state == "pending":
            if payment.authority:
                return "started"
            return "expired" if payment.link_expired(now) else "pay"
        return payment.state  # failed | expired

    async def _checked(self, token: str, form_csrf: str | None, cookie_csrf: str | None) -> LinkView:
        found = await self.view(token)
        if found is None:
            raise LinkProblem("not_found")
        expected = found.payment.csrf
        if not (same_secret(form_csrf, expected) and same_secret(cookie_csrf, expected)):
            raise LinkProblem("stale_form")
        return found

    # -- paying --------------------------------------------------------------------------------

    async def start(self, token: str, form_csrf: str | None, cookie_csrf: str | None) -> str:
        """The citizen pressed pay: open the payment at the provider (once per link) and return
        where to send the browser. Pressing again while it is open goes back to the same payment."""
        found = await self._checked(token, form_csrf, cookie_csrf)
        payment = found.payment
        if found.page == "started" and payment.authority:
            return self.provider.redirect_url(payment.authority)
        if found.page != "pay":
            raise LinkProblem(found.page if found.page in ("expired", "closed") else "closed")
        if not await self.store.claim_start(payment.id, self.clock()):
            again = await self.store.get(payment.id)
            if again is not None and again.state == "pending" and again.authority:
                return self.provider.redirect_url(again.authority)
            raise LinkProblem("busy")
        order = PaymentOrder(
            amount=payment.amount,
            callback_url=f"{self.public_base_url}/pay/callback/{self.provider.name}",
            description=self.settings.description.replace("{code}", found.request.tracking_code)[:200],
            order_id=str(payment.id),
        )
        try:
            authority = await self.provider.create(order)
        except ProviderError as error:
            await self.store.release_start(payment.id, str(error))
            log.warning("payment %d: the provider could not open it: %s", payment.id, error)
            raise LinkProblem("bank_down", str(error)) from error
        await self.store.set_authority(payment.id, authority)
        return self.provider.redirect_url(authority)

    async def callback(self, provider: str, query: Mapping[str, str]) -> Payment | None:
        """The browser came back from the provider: verify the named authority (nothing else in
        the query is used). The payment as it now stands, or None when the query names none of ours."""
        if provider != self.provider.name:
            return None
        authority = self.provider.authority_from(query)
        payment = await self.store.by_authority(provider, authority) if authority else None
        if payment is None:
            log.warning("payment callback from %s for an unknown authority", provider)
            return None
        return (await self.settle(payment, source="callback")).payment

    async def settle(self, payment: Payment, *, source: str) -> Settlement:
        """Ask the provider about the payment with our stored amount and apply the answer once.
        A provider that cannot answer leaves it as it was for the sweeper; so does "unpaid" while the
        citizen may still be on the bank's page (asked by anything but the callback before `verify_after`)."""
        if payment.state in ("paid", "refunded") or payment.authority is None:
            return Settlement(payment, changed=False)
        try:
            verdict = await self.provider.verify(payment)
        except ProviderError as error:
            await self.store.note_verify(payment.id, f"no answer: {error}")
            log.warning("payment %d: verify failed (%s); it stays pending for the sweeper", payment.id, error)
            return Settlement(payment, changed=False, error=str(error))
        await self.store.note_verify(payment.id, f"{source}: code {verdict.code} {verdict.message}")
        changed: Payment | None = None
        if verdict.outcome == "paid":
            changed = await self.store.transition(payment.id, "paid", ref_id=verdict.ref_id, card_pan=verdict.card_pan)
            if changed:
                log.info("payment %d paid (%d rials, ref %s)", payment.id, payment.amount, verdict.ref_id)
        elif verdict.outcome == "mismatch":
            reason = f"amount mismatch: the provider did not confirm {payment.amount} rials (code {verdict.code})"
            log.warning("payment %d failed: %s", payment.id, reason)
            changed = await self.store.transition(payment.id, "failed", reason=reason)
        elif verdict.outcome == "rejected" or source == "callback":
            reason = f"not paid: provider code {verdict.code} {verdict.message}".strip()
            changed = await self.store.transition(payment.id, "failed", reason=reason)
        elif self.clock() - (payment.started_at or 0.0) >= self.settings.verify_after:  # had its time to pay: over
            changed = await self.store.transition(payment.id, "expired", reason=f"unpaid {int(self.settings.verify_after)} s after it started")
        if changed is None:
            return Settlement(await self.store.get(payment.id) or payment, changed=False, verdict=verdict)
        await self.sync(changed)
        return Settlement(changed, changed=True, verdict=verdict)

    async def renew(self, token: str, form_csrf: str | None, cookie_csrf: str | None) -> Payment:
        """A new link for an unpaid request whose link expired or whose payment failed; sent to the
        citizen's own channel (never shown on the page), once per old link."""
        found = await self._checked(token, form_csrf, cookie_csrf)
        if not found.renewable:
            raise LinkProblem("closed")
        payment = found.payment
        if payment.state == "pending":
            await self.store.transition(payment.id, "expired", reason="link expired unused")
        fresh = await self.issue(found.request, renews=payment.id)
        if fresh is None:
            raise LinkProblem("busy")
        log.info("request %s: new payment link %d replaces %d", found.request.tracking_code, fresh.id, payment.id)
        return fresh

    # -- keeping the request and the citizen up to date ------------------------------------------

    async def sync(self, payment: Payment) -> None:
        """Set the request's payment state from all its payments and send the receipt of a paid one."""
        record = await self._request(payment)
        await self.requests.set_payment_state(record.id, request_payment_state(await self.store.for_request(record.id)))
        if payment.state == "paid":
            channel = NOTIFY_CHANNEL.get(record.channel)
            if channel is not None:
                await self.outbox.enqueue(
                    channel, record.address, texts.receipt(payment.amount, record.tracking_code, payment.ref_id or "-", record.lang),
                    kind="payment_receipt", meta={"lang": record.lang, "tracking_code": record.tracking_code, "payment_id": payment.id},
                    idempotency_key=f"payment-receipt:{payment.id}", service_id=record.service_id,
                )
        await self.store.mark_synced(payment.id, payment.state)

    async def expire_unused(self, payment: Payment) -> Payment | None:
        """A pending link whose life ended before it reached the provider: expired and the request
        updated; None when another writer moved it first."""
        changed = await self.store.transition(payment.id, "expired", reason="link expired unused")
        if changed:
            await self.sync(changed)
        return changed

    async def sweep(self) -> dict[str, int]:
        """One pass of the sweeper: expire unused links, re-verify payments with no callback, open
        payments, send links and sync states a crash left behind. How many of each."""
        now, batch = self.clock(), self.settings.sweep_batch
        counts = {"expired": 0, "verified": 0, "opened": 0, "links": 0, "synced": 0}
        for payment in await self.store.unstarted_expired(now, batch):
            if await self.expire_unused(payment):
                counts["expired"] += 1
        stale = now - self.settings.verify_after
        for payment in await self.store.to_verify(stale, stale, batch):
            await self.settle(payment, source="sweeper")
            counts["verified"] += 1
        for request_id in await self.store.without_payment(now - LINK_GRACE, batch):  # from before payments opened with requests
            record = await self.requests.store.get_by_id(request_id)
            if record is not None and await self.issue(record):
                counts["opened"] += 1
        for payment in await self.store.unsent_links(now - LINK_GRACE, batch):
            if await self.send_unsent_link(payment, await self._request(payment)):
                counts["links"] += 1
        for payment in await self.store.unsynced(batch):
            await self.sync(payment)
            counts["synced"] += 1
        return counts
