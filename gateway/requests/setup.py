"""Opening the request side of a gateway: the request service over the store."""

from __future__ import annotations

from collections.abc import Callable

from flows.clock import SYSTEM_CLOCK, Clock
from gateway.audit import AuditLog
from gateway.calendar import build_calendar
from gateway.catalogue import Catalogue
from gateway.outbox import Outbox
from gateway.requests.service import RequestService
from gateway.requests.store import SqlRequestStore
from gateway.settings import Settings
from gateway.store import Database


def build_requests(
    settings: Settings, db: Database, outbox: Outbox, catalogue: Callable[[], Catalogue], clock: Clock = SYSTEM_CLOCK,
) -> RequestService:
    """The request service over the store, reading the catalogue in use through `catalogue`."""
    return RequestService(
        SqlRequestStore(db),
        outbox,
        build_calendar(settings.calendar),
        catalogue,
        settings.requests,
        languages=tuple(settings.flows.languages),
        region=settings.flows.default_region,
        clock=clock,
        sms_max_segments=settings.sms.max_segments,
        audit=AuditLog(db, clock),
    )
