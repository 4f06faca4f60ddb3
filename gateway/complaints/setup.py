"""Opening the complaint side of a gateway: the service over the store."""

from __future__ import annotations

from collections.abc import Callable

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.audit import AuditLog
from gateway.catalogue import Catalogue
from gateway.complaints.service import ComplaintService
from gateway.complaints.store import SqlComplaintStore
from gateway.outbox import Outbox
from gateway.requests import RequestService
from gateway.settings import Settings
from gateway.store import Database


def build_complaints(settings: Settings, db: Database, outbox: Outbox, catalogue: Callable[[], Catalogue], requests: RequestService,
                     clock: Clock = SYSTEM_CLOCK) -> ComplaintService:
    """The complaint service, on the requests' calendar and reading the catalogue in use through `catalogue`."""
    return ComplaintService(
        SqlComplaintStore(db), outbox, requests.calendar, catalogue, requests, settings.complaints,
        languages=tuple(settings.flows.languages), clock=clock, sms_max_segments=settings.sms.max_segments, audit=AuditLog(db, clock),
    )
