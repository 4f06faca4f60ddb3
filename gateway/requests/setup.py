"""Opening the request side of a gateway: the catalogue from the store, the service, its actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.actions import request_actions
from gateway.calendar import CalendarSettings, build_calendar
from gateway.catalogue.store import CatalogueStore
from gateway.requests.service import RequestService, RequestSettings
from gateway.requests.store import SqliteRequestStore
from gateway.settings import section

if TYPE_CHECKING:
    from gateway.app import Gateway


async def open_requests(gateway: Gateway) -> RequestService:
    """Use the stored catalogue (imported from YAML when the store has none), build the request
    service, register its actions, and resend messages a crash left unsent."""
    settings = gateway.settings
    store = CatalogueStore(gateway.db, default_region=settings.flows.default_region)
    if await store.is_empty():
        await store.import_catalogue(gateway.catalogue)
    gateway.catalogue = await store.load()
    languages = tuple(settings.flows.languages)
    requests = RequestService(
        SqliteRequestStore(gateway.db),
        gateway.outbox,
        build_calendar(section(CalendarSettings, settings.raw.get("calendar"), "calendar")),
        lambda: gateway.catalogue,
        section(RequestSettings, settings.raw.get("requests"), "requests"),
        languages=languages,
        region=settings.flows.default_region,
    )
    gateway.actions.update(request_actions(requests, gateway.state, languages))

    async def catalogue_ready() -> bool:
        return bool(gateway.catalogue.services)

    gateway.ready_checks["catalogue"] = catalogue_ready
    await requests.resend_unnotified()
    return requests
