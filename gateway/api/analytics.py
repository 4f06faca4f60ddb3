"""`/api/v1/analytics/…`: flow analytics for a period, as JSON or CSV (`Accept: text/csv` or
`?format=csv`). Aggregates only: no phone number or address is in any of them (viewer role)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from gateway.analytics.csvfile import to_csv
from gateway.analytics.period import Period, PeriodError, period
from gateway.analytics.queries import SERVICE_FIELDS, channel_rows, node_rows, service_rows
from gateway.api.common import AGENCY, NATIONAL, ApiError, Call, day, one_of, requires
from gateway.calendar import build_calendar
from gateway.catalogue.model import CITIZEN_CHANNELS
from gateway.runtime import GATEWAY, Gateway
from gateway.scopes import Scope
from gateway.store import Row

FORMATS = ("json", "csv")
FILTERS = (day("since", "First day (local), default 29 days before `until`"), day("until", "Last day (local), default today"),
           one_of("channel", "Only this channel", CITIZEN_CHANNELS), one_of("format", "csv: the same rows as CSV (as `Accept: text/csv`)", FORMATS))

Reader = Callable[[Gateway, Period, "str | None", Scope], Awaitable[list[Row]]]
COLUMNS = {
    "nodes": ("day", "channel", "node", "visits", "exits", "drops"),
    "channels": ("day", "channel", "sessions", "visits", "exits", "drops"),
    "services": ("day", "service_id", "channel", *SERVICE_FIELDS),
}


def _wants_csv(request: web.Request, call: Call) -> bool:
    if call.query["format"] is not None:
        return bool(call.query["format"] == "csv")
    return "text/csv" in request.headers.get("Accept", "")


def _answer(kind: str, read: Reader, scope: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @requires("viewer", scope=scope, query=FILTERS)
    async def handler(request: web.Request, call: Call) -> web.Response:
        gateway = request.app[GATEWAY]
        calendar = build_calendar(gateway.settings.calendar)
        try:
            asked = period(call.query["since"], call.query["until"], calendar.today())
        except PeriodError as error:
            raise ApiError(422, "invalid", str(error), str(error).split(":", 1)[0]) from None
        rows = await read(gateway, asked, call.query["channel"], call.scope)
        if _wants_csv(request, call):
            name = f"pishkhan-{kind}-{asked.since.isoformat()}-{asked.until.isoformat()}.csv"
            return web.Response(text=to_csv(COLUMNS[kind], rows), content_type="text/csv", charset="utf-8",
                                headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return web.json_response({"since": asked.since.isoformat(), "until": asked.until.isoformat(), "channel": call.query["channel"],
                                  "items": rows})

    handler.__doc__ = f"Analytics per {kind}, as JSON or CSV."
    return handler


async def _nodes(gateway: Gateway, asked: Period, channel: str | None, scope: Scope) -> list[Row]:
    return await node_rows(gateway.db, asked, channel)


async def _channels(gateway: Gateway, asked: Period, channel: str | None, scope: Scope) -> list[Row]:
    return await channel_rows(gateway.db, asked, channel)


async def _services(gateway: Gateway, asked: Period, channel: str | None, scope: Scope) -> list[Row]:
    return await service_rows(gateway.db, build_calendar(gateway.settings.calendar), asked, channel, scope.services)


def _rows(description: str, columns: Sequence[str], nullable: Sequence[str] = ()) -> dict[str, Any]:
    item = {"type": "object", "required": list(columns), "properties": {
        c: ({"type": ["number", "null"]} if c in nullable else {"type": "string"} if c in ("day", "channel", "node", "service_id")
            else {"type": "number"}) for c in columns}}
    schema = {"type": "object", "required": ["since", "until", "channel", "items"], "properties": {
        "since": {"type": "string", "format": "date"}, "until": {"type": "string", "format": "date"},
        "channel": {"type": ["string", "null"]}, "items": {"type": "array", "items": item}}}
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}, "text/csv": {"schema": {"type": "string"}}}}}


_RATES = ("completion_rate", "avg_submit_seconds", "sla_rate", "payment_conversion", "csat_average")
OPENAPI_PATHS: dict[str, Any] = {
    "/analytics/nodes": {"get": {
        "summary": "Visits, exits and drop-offs per day, channel and flow node (viewer)", "operationId": "analyticsNodes",
        "description": "A visit is an arrival on a node's screen; an exit a conversation the gateway ended there (an END); a drop-off one "
                       "abandoned there (USSD dropped or hung up, an SMS or bot conversation that expired, or one replaced by a new one). "
                       "Counts are flushed every `analytics.flush_interval` seconds.",
        "responses": _rows("Rows, by day, channel and node", COLUMNS["nodes"])}},
    "/analytics/channels": {"get": {
        "summary": "Conversations, visits, exits and drop-offs per day and channel (viewer)", "operationId": "analyticsChannels",
        "responses": _rows("Rows, by day and channel", COLUMNS["channels"])}},
    "/analytics/services": {"get": {
        "summary": "Per day, service and channel: completion, time to submit, SLA, payment conversion and CSAT (viewer)",
        "operationId": "analyticsServices",
        "description": "started: arrivals on the first question; submitted: receipts; avg_submit_seconds: from the conversation's first "
                       "screen to the receipt; delivered / delivered_on_time (by the due date) by the day of delivery; payments / paid by "
                       "the day of the first link; CSAT by the day of the answer. Rates are null where their whole is 0.",
        "responses": _rows("Rows, by day, service and channel", COLUMNS["services"], _RATES)}},
}
"""What these routes do and answer, relative to /api/v1, for the API's document."""


def setup(api: web.Application) -> None:
    """Register /analytics/nodes, /analytics/channels and /analytics/services on the operator API."""
    # Nodes and channels are the shared menus' and conversations' numbers, of no one agency: national only.
    api.router.add_get("/analytics/nodes", _answer("nodes", _nodes, NATIONAL))
    api.router.add_get("/analytics/channels", _answer("channels", _channels, NATIONAL))
    api.router.add_get("/analytics/services", _answer("services", _services, AGENCY))
