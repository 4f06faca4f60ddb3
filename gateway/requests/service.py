"""Service requests: submit with a tracking code and a due date, look the status up, move it along.

A request is committed before the citizen is told its code. Every event that the citizen should
hear about (a USSD receipt, a status change) is marked `notified` only once its message is in the
outbox, so a crash or a store failure between the two is repaired by `resend_unnotified`, at start
and every few seconds after (gateway/requests/repair.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import gateway.requests.texts as texts
from flows.clock import SYSTEM_CLOCK, Clock
from flows.masking import mask_national_code, masked
from flows.texts import pick
from flows.tracking import new_tracking_code
from flows.validators import build_validator
from gateway.audit import AuditLog
from gateway.calendar import WorkingCalendar
from gateway.catalogue import Catalogue, Service
from gateway.outbox import Outbox
from gateway.requests.lifecycle import (
    LIFECYCLE,
    MAX_REASON,
    PAYMENT_STATES,
    InvalidInputs,
    InvalidStatus,
    RequestNotFound,
    UnknownService,
)
from gateway.requests.settings import RequestSettings
from gateway.requests.store import NewRequest, RequestEvent, RequestFilter, RequestRecord, RequestStore, Within

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = {"ussd": "sms", "sms": "sms", "telegram": "telegram"}
"""Where a citizen hears about changes: USSD sessions are gone by then, so USSD citizens get SMS."""

SubmitHook = Callable[[RequestRecord], Awaitable[None]]
EventHook = Callable[[RequestRecord, RequestEvent], Awaitable[None]]


def receipt_key(tracking_code: str) -> str:
    """The outbox key of a request's receipt message; messages that must follow it wait for it."""
    return f"receipt:{tracking_code}"


def event_key(event_id: int) -> str:
    """The outbox key of a status change's notification; messages that must follow it (the survey) wait for it."""
    return f"request-event:{event_id}"


def _is_national_code(spec: Any) -> bool:
    return spec == "national_code" or (isinstance(spec, Mapping) and spec.get("type") == "national_code")


def checked_inputs(service: Service, inputs: Mapping[str, str], region: str) -> dict[str, str]:
    """The service's declared inputs in their stored form; InvalidInputs names missing and invalid ones."""
    values: dict[str, str] = {}
    missing, invalid = [], []
    for item in service.inputs:
        raw = inputs.get(item.name)
        if raw is None or str(raw).strip() == "":
            missing.append(item.name)
            continue
        result = build_validator(item.validator, default_region=region)(str(raw))
        if not result.ok or result.value is None:
            invalid.append(item.name)
            continue
        values[item.name] = result.value
    if missing or invalid:
        parts = ([f"missing: {', '.join(missing)}"] if missing else []) + ([f"invalid: {', '.join(invalid)}"] if invalid else [])
        raise InvalidInputs(f"service {service.id} inputs are wrong ({'; '.join(parts)})", missing + invalid)
    return values


def submission_key(citizen: str, service_id: str, values: Mapping[str, str]) -> str:
    """What makes two submissions one request: the citizen (their phone, else their address), the
    service and the answers in stored form, so `1375/06/21` and `1996-09-11` are the same answer and
    neither the conversation, the channel nor the language matters. A citizen whose "Busy now" came
    after the commit (the session could not be saved) retries and gets the request they already made,
    not a second fee. A digest, so the stored key holds nothing personal."""
    payload = json.dumps([citizen, service_id, dict(sorted(values.items()))], ensure_ascii=False)
    return "submission:" + hashlib.sha256(payload.encode()).hexdigest()


def _audited(audit: AuditLog, actor: str, tracking_code: str, to: str, reason: str | None) -> Within:
    """The audit entry of a status change, written in the change's transaction (`RequestStore.change_status`)."""
    async def write(conn: Any, before: RequestRecord) -> None:
        await audit.record(actor, "request.transitioned", tracking_code, {"from": before.status, "to": to, "reason": reason}, conn=conn)
    return write


class RequestService:
    """Requests for catalogue services, on every channel and for the operator API."""

    def __init__(
        self,
        store: RequestStore,
        outbox: Outbox,
        calendar: WorkingCalendar,
        catalogue: Callable[[], Catalogue],
        settings: RequestSettings | None = None,
        *,
        languages: tuple[str, ...] = ("fa", "en"),
        region: str = "IR",
        clock: Clock = SYSTEM_CLOCK,
        sms_max_segments: int | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.calendar = calendar
        self.catalogue = catalogue
        self.settings = settings or RequestSettings()
        self.languages = languages
        self.region = region
        self.clock = clock  # submission and transition times, due dates
        self.sms_max_segments = sms_max_segments
        """The parts an SMS notification may take (`sms.max_segments`); None: not bounded."""
        self.audit = audit
        """Where status changes are recorded, each in the change's own transaction; None: not recorded (unit tests)."""
        self.with_request: list[Within] = []
        """Writes committed in the new request's own transaction (its fee's payment); one that fails
        fails the submission, so a request never exists without them."""
        self.on_submitted: list[SubmitHook] = []
        """Run once a new request is committed and its receipt queued (the payment link); a failure
        is logged and left to the hook's own repair (the payment sweeper)."""
        self.after_notice: list[EventHook] = []
        """Run once an event's message is queued and before the event is marked notified, so the repair
        runs them again after a crash (the satisfaction survey); each must be idempotent."""

    def _service(self, service_id: str) -> Service:
        service = self.catalogue().get(service_id)
        if service is None or not service.active or not service.inputs:
            raise UnknownService(f"service {service_id} does not exist or takes no requests")
        return service

    def _title(self, service_id: str, lang: str) -> str:
        service = self.catalogue().get(service_id)
        return pick(service.label, lang) if service else service_id

    async def submit(
        self,
        service_id: str,
        inputs: Mapping[str, str],
        *,
        channel: str,
        address: str,
        phone: str | None,
        lang: str,
    ) -> RequestRecord:
        """Store a new request (committed on return). A repeat (`submission_key`) within
        `idempotency_window` returns the open request it repeats, with no new fee or message."""
        service = self._service(service_id)
        if not service.offered_on(channel):  # a session that reached it before an operator took the channel away
            raise UnknownService(f"service {service_id} is not offered on {channel} (its channels: {', '.join(service.channels)})")
        values = checked_inputs(service, inputs, self.region)
        national = next((values[i.name] for i in service.inputs if _is_national_code(i.validator)), None)
        now = self.clock()
        new = NewRequest(
            service_id=service.id, channel=channel, address=address, phone=phone, national_code=national,
            lang=lang if lang in self.languages else self.languages[0], inputs=values, fee=service.fee,
            due_date=self.calendar.add_working_days(self.calendar.date_of(now), service.days_to_deliver),
            idempotency_key=submission_key(phone or address, service.id, values), at=now, notify=channel == "ussd",
        )
        record, event = await self.store.create(
            new, lambda: new_tracking_code(self.settings.tracking_code_length), now - self.settings.idempotency_window,
            self.with_request,
        )
        if event is None:
            log.info("request %s: repeated submission from %s answered with the same request", record.tracking_code, masked(address))
            return record
        log.info("request %s submitted for service %s on %s by %s%s", record.tracking_code, service.id, channel, masked(address),
                 f" (national code {mask_national_code(national)})" if national else "")
        if not event.notified:
            await self._notify(record, event)
        for hook in self.on_submitted:
            try:
                await hook(record)
            except Exception:  # a hook (payment link, ...) must never undo an acknowledged request
                log.exception("request %s: an on_submitted hook failed", record.tracking_code)
        return record

    async def get(self, tracking_code: str) -> RequestRecord | None:
        """A request by its tracking code."""
        return await self.store.get(tracking_code)

    async def history(self, tracking_code: str) -> tuple[RequestRecord, list[RequestEvent]] | None:
        """A request and its events, oldest first."""
        record = await self.store.get(tracking_code)
        return (record, await self.store.events(record.id)) if record else None

    def is_late(self, record: RequestRecord) -> bool:
        """Still open after its due date."""
        return LIFECYCLE.is_late(record, self.calendar.today())

    async def status_text(self, tracking_code: str, *, asker_address: str, asker_phone: str | None, lang: str) -> str | None:
        """What a lookup shows; someone other than the requester sees nothing personal. None: no such request."""
        found = await self.history(tracking_code)
        if found is None:
            return None
        record, events = found
        own = asker_address == record.address or (asker_phone is not None and asker_phone == record.phone)
        last = events[-1] if events else None
        return texts.status_lines(
            status=record.status,
            changed=self.calendar.date_of(last.at if last else record.updated_at),
            due=record.due_date,
            late=self.is_late(record),
            lang=lang,
            service_title=self._title(record.service_id, lang) if own else None,
            reason=last.reason if own and last else None,
            payment=record.payment_state if record.fee else None,
        )

    async def list_for_phone(self, phone_e164: str) -> list[RequestRecord]:
        """A citizen's requests across channels, newest first."""
        return await self.store.for_phone(phone_e164, self.settings.my_requests_limit)

    async def transition(self, tracking_code: str, to: str, *, actor: str, reason: str | None, seen: str | None = None,
                         then: Within | None = None) -> RequestRecord:
        """Move a request to `to`, recorded in the audit trail under `actor`, and tell the citizen; RequestError says why
        a change is refused (and nothing is recorded). With `seen` (the status the operator chose the change
        from), StatusChanged when the request has moved since, even to a status `to` may also follow. `then`: a
        write committed with the change, given the request as changed (the API's answer to an Idempotency-Key)."""
        reason = (reason or "").strip()[:MAX_REASON] or None

        def check(current: RequestRecord) -> None:
            LIFECYCLE.check(tracking_code, current.status, to, reason, seen)

        changed = await self.store.change_status(
            tracking_code, to, actor, reason, self.clock(), check,
            (_audited(self.audit, actor, tracking_code, to, reason),) if self.audit else (), (then,) if then else (),
        )
        if changed is None:
            raise RequestNotFound(f"no request has tracking code {tracking_code}")
        record, event = changed
        log.info("request %s: %s -> %s by %s", tracking_code, event.from_status, to, actor)
        await self._notify(record, event)
        return record

    async def set_payment_state(self, request_id: int, state: str) -> None:
        """Record how the fee payment stands (the payments service calls this)."""
        if state not in PAYMENT_STATES:
            raise InvalidStatus(f"unknown payment state {state!r}; use one of {', '.join(PAYMENT_STATES)}", status=state)
        if not await self.store.set_payment_state(request_id, state, self.clock()):
            raise RequestNotFound(f"no request has id {request_id}")

    async def search(self, where: RequestFilter) -> tuple[list[RequestRecord], int]:
        """A page of requests for operators."""
        return await self.store.search(where)

    async def resend_unnotified(self, limit: int = 500) -> int:
        """Put the messages of events a crash or a store failure left unsent into the outbox; how many."""
        pending = await self.store.unnotified(limit)
        for record, event in pending:
            await self._notify(record, event)
        return len(pending)

    async def _notify(self, record: RequestRecord, event: RequestEvent) -> None:
        """Queue the citizen's message for this event, then mark the event notified."""
        channel = NOTIFY_CHANNEL.get(record.channel)
        try:
            if event.to_status == "submitted":
                if record.channel == "ussd":
                    text = texts.receipt_sms(record.tracking_code, self._title(record.service_id, record.lang),
                                             record.due_date, record.fee, record.lang)
                    await self.outbox.enqueue("sms", record.address, text, kind="receipt",
                                              meta={"lang": record.lang, "tracking_code": record.tracking_code},
                                              idempotency_key=receipt_key(record.tracking_code), service_id=record.service_id)
            elif channel is not None:
                text = texts.change_sms(record.tracking_code, event.to_status, event.reason, record.lang,
                                        self.sms_max_segments if channel == "sms" else None)
                await self.outbox.enqueue(channel, record.address, text, kind="notification",
                                          meta={"lang": record.lang, "tracking_code": record.tracking_code, "status": event.to_status},
                                          idempotency_key=event_key(event.id), service_id=record.service_id)
            for hook in self.after_notice:
                await hook(record, event)
            await self.store.mark_notified(event.id)
        except Exception:  # the event stays unnotified and is queued by the repair (gateway/requests/repair.py)
            log.exception("request %s: could not queue the citizen's message", record.tracking_code)
