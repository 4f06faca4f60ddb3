"""Complaints and suggestions: filed with their own tracking code and a due date, answered by
operators through a lifecycle, the outcome sent to the citizen on their channel.

As with requests (gateway/requests/service.py), a complaint is committed before the citizen reads its
code, and every event the citizen must hear about is marked `notified` only once its message is in the
outbox, so a store failure between the two is repaired by `resend_unnotified` (gateway/requests/repair.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gateway.complaints.texts as texts
from flows.clock import SYSTEM_CLOCK, Clock
from flows.masking import masked
from flows.texts import pick
from flows.tracking import new_tracking_code
from gateway.audit import AuditLog
from gateway.calendar import WorkingCalendar
from gateway.catalogue import Catalogue
from gateway.complaints.lifecycle import (
    ANSWER_REQUIRED,
    KINDS,
    LIFECYCLE,
    MAX_TEXT,
    ComplaintNotFound,
    InvalidComplaint,
    SubjectNotFound,
)
from gateway.complaints.settings import ComplaintSettings
from gateway.complaints.store import ComplaintEvent, ComplaintFilter, ComplaintRecord, ComplaintStore, NewComplaint, Within
from gateway.outbox import Outbox
from gateway.requests import RequestService
from gateway.requests.lookup import Asker
from gateway.requests.service import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


def _audited(audit: AuditLog, actor: str, code: str, to: str, answer: str | None) -> Within:
    """The audit entry of a status change, written in the change's transaction."""
    async def write(conn: Any, before: ComplaintRecord) -> None:
        await audit.record(actor, "complaint.transitioned", code, {"from": before.status, "to": to, "answer": answer}, conn=conn)
    return write


class ComplaintService:
    """Complaints for catalogue services and requests, on every channel and for operators."""

    def __init__(self, store: ComplaintStore, outbox: Outbox, calendar: WorkingCalendar, catalogue: Callable[[], Catalogue],
                 requests: RequestService, settings: ComplaintSettings | None = None, *, languages: tuple[str, ...] = ("fa", "en"),
                 clock: Clock = SYSTEM_CLOCK, sms_max_segments: int | None = None, audit: AuditLog | None = None) -> None:
        self.store = store
        self.outbox = outbox
        self.calendar = calendar
        self.catalogue = catalogue
        self.requests = requests
        self.settings = settings or ComplaintSettings()
        self.languages = languages
        self.clock = clock
        self.sms_max_segments = sms_max_segments
        self.audit = audit

    def title(self, service_id: str, lang: str) -> str:
        """A service's title in `lang` (its id when the catalogue no longer has it)."""
        service = self.catalogue().get(service_id)
        return pick(service.title, lang) if service else service_id

    async def file(self, kind: str, text: str, *, service_id: str | None = None, request_code: str | None = None,
                   channel: str, address: str, phone: str | None, lang: str) -> ComplaintRecord:
        """Store a new complaint or suggestion about a service, or about a request by its tracking code
        (committed on return); InvalidComplaint names a wrong field, SubjectNotFound an unknown subject."""
        if kind not in KINDS:
            raise InvalidComplaint("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        text = " ".join(text.split())
        if not text:
            raise InvalidComplaint("text", "write what the complaint or suggestion is")
        if len(text) > MAX_TEXT:
            raise InvalidComplaint("text", f"at most {MAX_TEXT} characters, not {len(text)}")
        request_id = None
        if request_code:
            request = await self.requests.get(request_code)
            if request is None:
                raise SubjectNotFound(f"no request has tracking code {request_code}")
            request_id, service_id = request.id, request.service_id
        elif not service_id or self.catalogue().get(service_id) is None:
            raise SubjectNotFound(f"service {service_id or '(none)'} does not exist; name a service or a request's tracking code")
        assert service_id is not None
        now = self.clock()
        new = NewComplaint(
            kind=kind, service_id=service_id, request_id=request_id, channel=channel, address=address, phone=phone,
            lang=lang if lang in self.languages else self.languages[0], text=text,
            due_date=self.calendar.add_working_days(self.calendar.date_of(now), self.settings.days_to_answer), at=now,
            notify=channel == "ussd",
        )
        record, event = await self.store.create(new, lambda: new_tracking_code(self.requests.settings.tracking_code_length))
        log.info("%s %s filed about service %s on %s by %s", kind, record.code, service_id, channel, masked(address))
        if not event.notified:
            await self._notify(record, event)
        return record

    async def get(self, code: str) -> ComplaintRecord | None:
        """A complaint by its code."""
        return await self.store.get(code)

    async def history(self, code: str) -> tuple[ComplaintRecord, list[ComplaintEvent]] | None:
        """A complaint and its events, oldest first."""
        record = await self.store.get(code)
        return (record, await self.store.events(record.id)) if record else None

    def today(self) -> Any:
        """Today on the service's clock, in the calendar's time zone."""
        return self.calendar.date_of(self.clock())

    def is_late(self, record: ComplaintRecord) -> bool:
        """Still open after its due date."""
        return LIFECYCLE.is_late(record, self.today())

    async def search(self, where: ComplaintFilter) -> tuple[list[ComplaintRecord], int]:
        """A page of complaints for operators, late ones first."""
        return await self.store.search(where)

    async def transition(self, code: str, to: str, *, actor: str, answer: str | None, seen: str | None = None,
                         then: Within | None = None) -> ComplaintRecord:
        """Move a complaint to `to`, audited under `actor`; an answer or rejection is sent to the citizen. With `seen`
        (the status the operator chose the change from), StatusChanged when it has moved since. `then`: a write
        committed with the change, given the complaint as changed (the API's answer to an Idempotency-Key)."""
        answer = (answer or "").strip()[:MAX_TEXT] or None

        def check(current: ComplaintRecord) -> None:
            LIFECYCLE.check(code, current.status, to, answer, seen)

        changed = await self.store.change_status(
            code, to, actor, answer, self.clock(), to in ANSWER_REQUIRED, check,
            (_audited(self.audit, actor, code, to, answer),) if self.audit else (), (then,) if then else ())
        if changed is None:
            raise ComplaintNotFound(f"no complaint has code {code}")
        record, event = changed
        log.info("complaint %s: %s -> %s by %s", code, event.from_status, to, actor)
        if not event.notified:
            await self._notify(record, event)
        return record

    async def status_text(self, code: str, asker: Asker, lang: str) -> str | None:
        """What a lookup of the code shows (None: no complaint has it); only the complainant sees what
        it is about and its answer, as with requests (gateway/requests/lookup.py)."""
        record = await self.store.get(code)
        if record is None:
            return None
        own = asker.address == record.address or (asker.phone is not None and asker.phone == record.phone)
        return texts.status_lines(
            kind=record.kind, status=record.status, filed=self.calendar.date_of(record.created_at), due=record.due_date,
            late=self.is_late(record), lang=lang, subject=self._subject(record, lang) if own else None,
            answer=record.answer if own else None)

    def _subject(self, record: ComplaintRecord, lang: str) -> str:
        return texts.subject_text(self.title(record.service_id, lang), record.request_code, lang)

    async def resend_unnotified(self, limit: int = 500) -> int:
        """Queue the messages of events a crash or a store failure left unsent; how many."""
        pending = await self.store.unnotified(limit)
        for record, event in pending:
            await self._notify(record, event)
        return len(pending)

    async def _notify(self, record: ComplaintRecord, event: ComplaintEvent) -> None:
        """Queue the citizen's message for this event, then mark the event notified."""
        channel = NOTIFY_CHANNEL.get(record.channel)
        try:
            if channel is not None and event.to_status == "filed":
                text = texts.receipt_sms(record.kind, record.code, self._subject(record, record.lang), record.due_date, record.lang)
                await self.outbox.enqueue(channel, record.address, text, kind="receipt", meta={"lang": record.lang, "complaint": record.code},
                                          idempotency_key=f"complaint-receipt:{record.code}", service_id=record.service_id)
            elif channel is not None and event.to_status in ANSWER_REQUIRED:
                text = texts.outcome_sms(record.kind, record.code, event.to_status, event.reason or "", record.lang,
                                         self.sms_max_segments if channel == "sms" else None)
                await self.outbox.enqueue(channel, record.address, text, kind="notification",
                                          meta={"lang": record.lang, "complaint": record.code, "status": event.to_status},
                                          idempotency_key=f"complaint-event:{event.id}", after=f"complaint-receipt:{record.code}",
                                          service_id=record.service_id)
            await self.store.mark_notified(event.id)
        except Exception:  # the event stays unnotified and is queued by the repair
            log.exception("complaint %s: could not queue the citizen's message", record.code)
