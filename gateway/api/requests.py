"""`/api/v1/requests`: operators list and read requests and move them through the lifecycle.

Viewers see phone numbers, national codes and the inputs the catalogue marks `personal` masked;
operators and admins, who act on requests, see them in full.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from flows.dates import iso_utc
from flows.masking import mask_national_code, mask_phone, masked
from gateway.api.common import AGENCY, OFFSET, Call, Param, day, matching, not_found, one_of, page_size, requires
from gateway.api.idempotency import Write, idempotent, once_of
from gateway.api.refusals import refused
from gateway.api.schema import Json
from gateway.audit import token_actor
from gateway.calendar import WorkingCalendar
from gateway.catalogue.model import SERVICE_ID, Catalogue
from gateway.lifecycle import LifecycleError
from gateway.requests import STATUSES, RequestEvent, RequestFilter, RequestRecord, RequestService
from gateway.requests.masking import masked_inputs, masked_text
from gateway.runtime import GATEWAY
from gateway.tokens import TokenInfo


def request_json(record: RequestRecord, requests: RequestService, token: TokenInfo, catalogue: Catalogue) -> dict[str, Any]:
    """A request as the API shows it to this token: viewers see personal data masked."""
    full = token.can("operator")
    national = record.national_code
    inputs = dict(record.inputs) if full else masked_inputs(record.inputs, catalogue.get(record.service_id))
    return {
        "tracking_code": record.tracking_code, "service_id": record.service_id, "status": record.status,
        "channel": record.channel, "address": record.address if full else masked(record.address),
        "phone": record.phone if full or not record.phone else mask_phone(record.phone),
        "national_code": national if full or not national else mask_national_code(national),
        "lang": record.lang, "inputs": inputs, "fee": record.fee, "payment_state": record.payment_state,
        "due_date": record.due_date.isoformat(), "late": requests.is_late(record),
        "created_at": iso_utc(record.created_at), "updated_at": iso_utc(record.updated_at),
    }


def event_json(event: RequestEvent, full: bool) -> dict[str, Any]:
    """One lifecycle event; its reason masked for viewers (`full`: an operator or above)."""
    return {"at": iso_utc(event.at), "actor": event.actor, "from": event.from_status, "to": event.to_status,
            "reason": masked_text(event.reason, full)}


CREATED = (day("created_from", "Created on or after this day"), day("created_to", "Created on or before this day"))
TRACKING_CODE = "^[0-9]{10,12}$"


def tracking_code(name: str, description: str, where: str = "query") -> Param:
    """A parameter that is a tracking code (its check digit is the store's business: a wrong one is simply not found)."""
    return matching(name, description, TRACKING_CODE, "a tracking code: 10 to 12 digits 0-9", where)


CODE = tracking_code("code", "Tracking code", where="path")
MANY = "transitions"
"""`/requests/transitions`: the bulk route's path (gateway.api.bulk), which is not a request's."""
FILTERS = (one_of("status", "Only this status", STATUSES), matching("service_id", "Only this service", SERVICE_ID.pattern, "a 9-digit service id"),
           *CREATED, one_of("late", "true: only open requests past their due date", ("true", "false")), page_size, OFFSET)
TRANSITION: Json = {"type": "object", "required": ["to"], "additionalProperties": False, "properties": {
    "to": {"type": "string", "enum": list(STATUSES)}, "reason": {"type": "string", "minLength": 1, "maxLength": 500}}}


def created_range(query: Mapping[str, Any], calendar: WorkingCalendar) -> tuple[float | None, float | None]:
    """`created_from` and `created_to` (both days included) as Unix times: from the first one's midnight to the one after the last."""
    first, last = query["created_from"], query["created_to"]
    return (calendar.start_of(first) if first else None,
            calendar.start_of(last + datetime.timedelta(days=1)) if last else None)


@requires("viewer", scope=AGENCY, query=FILTERS)
async def list_requests(request: web.Request, call: Call) -> web.Response:
    """A page of requests, newest first, with the total that match."""
    requests = request.app[GATEWAY].requests
    query = call.query
    created_from, created_before = created_range(query, requests.calendar)
    where = RequestFilter(status=query["status"], service_id=query["service_id"], created_from=created_from, created_before=created_before,
                          late_on=requests.calendar.today() if query["late"] == "true" else None, services=call.scope.services,
                          limit=query["limit"], offset=query["offset"])
    records, total = await requests.search(where)
    return web.json_response({
        "items": [request_json(r, requests, call.token, request.app[GATEWAY].catalogue) for r in records],
        "total": total, "limit": where.limit, "offset": where.offset,
    })


async def seen_request(requests: RequestService, call: Call, code: str) -> RequestRecord:
    """The request with tracking code `code` if the caller's scope sees it; 404 otherwise (the same answer either way)."""
    record = await requests.get(code)
    if record is None or not call.scope.sees_service(record.service_id):
        raise not_found(f"request has tracking code {code}")
    return record


@requires("viewer", scope=AGENCY, path=(CODE,))
async def get_request(request: web.Request, call: Call) -> web.Response:
    """One request with its events."""
    requests = request.app[GATEWAY].requests
    record = await seen_request(requests, call, call.path["code"])
    events = await requests.store.events(record.id)
    shown = request_json(record, requests, call.token, request.app[GATEWAY].catalogue)
    return web.json_response({**shown, "events": [event_json(e, call.token.can("operator")) for e in events]})


def shown_to(request: web.Request, token: TokenInfo) -> Callable[[RequestRecord], dict[str, Any]]:
    """How this token is shown a request (`request_json`)."""
    gateway = request.app[GATEWAY]
    return lambda record: request_json(record, gateway.requests, token, gateway.catalogue)


async def move(request: web.Request, call: Call, code: str, then: Write[RequestRecord]) -> None:
    """Move request `code` as `call`'s body asks, `then` written with the change; ApiError as the single route answers.
    The one path of the single and the bulk route, so both are audited and notified alike, and checked alike: a check
    of the token's right to this request (an agency's scope) belongs here."""
    body = call.body
    await seen_request(request.app[GATEWAY].requests, call, code)  # another agency's: not found (its service never changes)
    try:
        await request.app[GATEWAY].requests.transition(code, body["to"], actor=token_actor(call.token), reason=body.get("reason"), then=then)
    except LifecycleError as exc:
        raise refused(exc) from exc


@requires("operator", scope=AGENCY, path=(CODE,), body=TRANSITION)
@idempotent
async def transition(request: web.Request, call: Call) -> web.Response:
    """Move a request to another status; the citizen is notified through the outbox."""
    once = once_of(request)
    await move(request, call, call.path["code"], once.answers(shown_to(request, call.token)))
    return web.json_response(once.answer)


def setup(api: web.Application) -> None:
    """Register the request routes on the API sub-application."""
    api.router.add_get("/requests", list_requests)
    api.router.add_get(f"/requests/{{code:(?!{MANY}$)[^/]+}}", get_request)  # else GET would be in the Allow of the bulk route's 405
    api.router.add_post("/requests/{code}/transition", transition)
