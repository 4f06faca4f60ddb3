"""`/api/v1/requests`: operators list and read requests and move them through the lifecycle.

Viewers see phone numbers and national codes masked; operators and admins, who act on requests,
see them in full.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from flows.dates import iso_utc, parse_date
from flows.masking import mask_national_code, mask_phone, masked
from gateway.api.common import SETTINGS, ApiError, invalid, json_body, requires
from gateway.requests import (
    STATUSES,
    InvalidStatus,
    ReasonRequired,
    RequestEvent,
    RequestFilter,
    RequestNotFound,
    RequestRecord,
    RequestService,
    TransitionNotAllowed,
)
from gateway.runtime import GATEWAY
from gateway.tokens import TokenInfo

MAX_CODE_LENGTH = 32


def request_json(record: RequestRecord, requests: RequestService, token: TokenInfo) -> dict[str, Any]:
    """A request as the API shows it to this token."""
    full = token.can("operator")
    national = record.national_code
    inputs = dict(record.inputs)
    if not full:
        inputs = {k: mask_national_code(v) if national and v == national else v for k, v in inputs.items()}
    return {
        "tracking_code": record.tracking_code, "service_id": record.service_id, "status": record.status,
        "channel": record.channel, "address": record.address if full else masked(record.address),
        "phone": record.phone if full or not record.phone else mask_phone(record.phone),
        "national_code": national if full or not national else mask_national_code(national),
        "lang": record.lang, "inputs": inputs, "fee": record.fee, "payment_state": record.payment_state,
        "due_date": record.due_date.isoformat(), "late": requests.is_late(record),
        "created_at": iso_utc(record.created_at), "updated_at": iso_utc(record.updated_at),
    }


def event_json(event: RequestEvent) -> dict[str, Any]:
    """One lifecycle event."""
    return {"at": iso_utc(event.at), "actor": event.actor, "from": event.from_status, "to": event.to_status, "reason": event.reason}


def _integer(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid(name, f"must be a whole number from {low} to {high}")
    return int(raw)


def _date(query: Mapping[str, str], name: str) -> datetime.date | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise invalid(name, str(exc)) from exc


def request_filter(query: Mapping[str, str], requests: RequestService, default_page: int, max_page: int) -> RequestFilter:
    """The list filters from the query string; 422 naming a bad parameter."""
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise invalid("status", f"use one of {', '.join(STATUSES)}")
    service_id = query.get("service_id")
    if service_id is not None and not (service_id.isdigit() and len(service_id) == 9):
        raise invalid("service_id", "a 9-digit service id")
    late = query.get("late")
    if late not in (None, "true", "false"):
        raise invalid("late", "true or false")
    first, last = _date(query, "created_from"), _date(query, "created_to")
    calendar = requests.calendar
    return RequestFilter(
        status=status,
        service_id=service_id,
        created_from=calendar.start_of(first) if first else None,
        created_before=calendar.start_of(last + datetime.timedelta(days=1)) if last else None,
        late_on=calendar.today() if late == "true" else None,
        limit=_integer(query, "limit", default_page, 1, max_page),
        offset=_integer(query, "offset", 0, 0, 10**9),
    )


def _code(request: web.Request) -> str:
    code = request.match_info["code"]
    if not code.isdigit() or len(code) > MAX_CODE_LENGTH:
        raise ApiError(404, "not_found", f"no request has tracking code {code[:MAX_CODE_LENGTH]}")
    return code


@requires("viewer")
async def list_requests(request: web.Request, token: TokenInfo) -> web.Response:
    """A page of requests, newest first, with the total that match."""
    requests = request.app[GATEWAY].requests
    settings = request.app[SETTINGS]
    where = request_filter(request.query, requests, settings.default_page, settings.max_page)
    records, total = await requests.search(where)
    return web.json_response({
        "items": [request_json(r, requests, token) for r in records],
        "total": total, "limit": where.limit, "offset": where.offset,
    })


@requires("viewer")
async def get_request(request: web.Request, token: TokenInfo) -> web.Response:
    """One request with its events."""
    requests = request.app[GATEWAY].requests
    code = _code(request)
    found = await requests.history(code)
    if found is None:
        raise ApiError(404, "not_found", f"no request has tracking code {code}")
    record, events = found
    return web.json_response({**request_json(record, requests, token), "events": [event_json(e) for e in events]})


@requires("operator")
async def transition(request: web.Request, token: TokenInfo) -> web.Response:
    """Move a request to another status; the citizen is notified through the outbox."""
    requests = request.app[GATEWAY].requests
    code = _code(request)
    body = await json_body(request)
    to, reason = body.get("to"), body.get("reason")
    if not isinstance(to, str) or not to:
        raise invalid("to", f"the new status is required: one of {', '.join(STATUSES)}")
    if reason is not None and not isinstance(reason, str):
        raise invalid("reason", "must be text")
    try:
        record = await requests.transition(code, to, actor=f"{token.role}:{token.name}", reason=reason)
    except RequestNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    except TransitionNotAllowed as exc:
        raise ApiError(409, "transition_not_allowed", str(exc)) from exc
    except InvalidStatus as exc:
        raise invalid("to", str(exc)) from exc
    except ReasonRequired as exc:
        raise invalid("reason", str(exc)) from exc
    return web.json_response(request_json(record, requests, token))


def setup(api: web.Application) -> None:
    """Register the request routes on the API sub-application."""
    api.router.add_get("/requests", list_requests)
    api.router.add_get("/requests/{code}", get_request)
    api.router.add_post("/requests/{code}/transition", transition)
