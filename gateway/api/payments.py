"""`/api/v1/payments`: operators list, filter and read payments, see what needs reconciling and repair it.

Part of the operator API sub-application (same JSON errors, bearer-token roles and OpenAPI
document); viewers and above may read, operators and admins may repair.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from flows.dates import iso_utc
from gateway.api.common import SETTINGS, ApiError, invalid, requires
from gateway.api.requests import request_filter
from gateway.payments import STATES, Payment, PaymentEvent, PaymentFilter, PaymentService
from gateway.payments.reconcile import PROBLEMS, reconcile
from gateway.payments.repair import RESULTS, repair
from gateway.payments.settings import PROVIDERS
from gateway.runtime import GATEWAY
from gateway.tokens import TokenInfo

log = logging.getLogger(__name__)


def _iso(timestamp: float | None) -> str | None:
    return iso_utc(timestamp) if timestamp else None


def payment_json(payment: Payment, tracking_code: str | None) -> dict[str, Any]:
    """A payment as the API shows it (never the link token: only its hash is kept)."""
    return {
        "id": payment.id, "tracking_code": tracking_code, "amount": payment.amount, "currency": payment.currency,
        "provider": payment.provider, "authority": payment.authority, "ref_id": payment.ref_id, "card_pan": payment.card_pan,
        "state": payment.state, "reason": payment.reason, "link_expires_at": _iso(payment.link_expires_at),
        "link_sent_at": _iso(payment.link_sent_at), "started_at": _iso(payment.started_at),
        "verify_attempts": payment.verify_attempts, "created_at": _iso(payment.created_at), "updated_at": _iso(payment.updated_at),
    }


def event_json(event: PaymentEvent) -> dict[str, Any]:
    """One history entry."""
    return {"at": _iso(event.at), "kind": event.kind, "from": event.from_state, "to": event.to_state, "detail": event.detail}


def _service(request: web.Request) -> PaymentService:
    payments = request.app[GATEWAY].payments
    if payments is None:
        raise ApiError(404, "not_found", "payments are not enabled")
    return payments


async def _code_of(payments: PaymentService, request_id: int) -> str | None:
    record = await payments.requests.store.get_by_id(request_id)
    return record.tracking_code if record else None


async def _filter(request: web.Request, payments: PaymentService) -> PaymentFilter:
    """state, provider, request (tracking code), created_from/created_to, limit/offset; 422 naming a bad one."""
    query = request.query
    state, provider, code = query.get("state"), query.get("provider"), query.get("request")
    if state is not None and state not in STATES:
        raise invalid("state", f"use one of {', '.join(STATES)}")
    if provider is not None and provider not in PROVIDERS:
        raise invalid("provider", f"use one of {', '.join(PROVIDERS)}")
    request_id = None
    if code is not None:
        record = await payments.requests.get(code) if code.isdigit() and len(code) <= 32 else None
        if record is None:
            raise invalid("request", "no request has this tracking code")
        request_id = record.id
    settings = request.app[SETTINGS]
    # the requests API already parses dates and paging the same way: reuse it on the shared keys only
    shared = {k: v for k, v in query.items() if k in ("created_from", "created_to", "limit", "offset")}
    common = request_filter(shared, payments.requests, settings.default_page, settings.max_page)
    return PaymentFilter(state=state, provider=provider, request_id=request_id, created_from=common.created_from,
                         created_before=common.created_before, limit=common.limit, offset=common.offset)


@requires("viewer")
async def list_payments(request: web.Request, token: TokenInfo) -> web.Response:
    """A page of payments, newest first, with the total that match."""
    payments = _service(request)
    where = await _filter(request, payments)
    found, total = await payments.store.search(where)
    items = [payment_json(p, await _code_of(payments, p.request_id)) for p in found]
    return web.json_response({"items": items, "total": total, "limit": where.limit, "offset": where.offset})


@requires("viewer")
async def get_payment(request: web.Request, token: TokenInfo) -> web.Response:
    """One payment with its history."""
    payments = _service(request)
    raw = request.match_info["id"]
    payment = await payments.store.get(int(raw)) if raw.isdigit() and len(raw) < 18 else None
    if payment is None:
        raise ApiError(404, "not_found", f"no payment has id {raw[:20]}")
    events = await payments.store.events(payment.id)
    return web.json_response({**payment_json(payment, await _code_of(payments, payment.request_id)),
                              "events": [event_json(e) for e in events]})


@requires("viewer")
async def reconcile_report(request: web.Request, token: TokenInfo) -> web.Response:
    """Pending, mismatched and orphaned payments (what `pishkhan payments reconcile` prints)."""
    findings = await reconcile(_service(request).store)
    return web.json_response({"items": [f.as_json() for f in findings], "total": len(findings)})


@requires("operator")
async def reconcile_repair(request: web.Request, token: TokenInfo) -> web.Response:
    """Act on every finding (what `pishkhan payments reconcile --repair` does) and say what was done."""
    done = await repair(_service(request))
    counts = {result: sum(d.result == result for d in done) for result in RESULTS}
    log.info("payments repair run by token %d (%s): %s", token.id, token.name, counts)
    return web.json_response({"items": [d.as_json() for d in done], "total": len(done), "counts": counts,
                              "left": sum(d.left for d in done)})


_ERROR = {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_AUTH_ERRORS = {"401": _ERROR, "403": _ERROR}
_PAYMENT = {"type": "object", "required": ["id", "amount", "currency", "provider", "state"], "properties": {
    "id": {"type": "integer"}, "tracking_code": {"type": ["string", "null"]}, "amount": {"type": "integer", "description": "rials"},
    "currency": {"const": "IRR"}, "provider": {"enum": list(PROVIDERS)}, "authority": {"type": ["string", "null"]},
    "ref_id": {"type": ["string", "null"]}, "card_pan": {"type": ["string", "null"]}, "state": {"enum": list(STATES)},
    "reason": {"type": ["string", "null"]}, "verify_attempts": {"type": "integer"}}}
_FINDING = {"type": "object", "required": ["kind", "problem", "detail"], "properties": {
    "kind": {"enum": ["pending", "mismatched", "orphaned"]}, "problem": {"enum": list(PROBLEMS), "description": "; ".join(PROBLEMS.values())},
    "detail": {"type": "string"}, "payment_id": {"type": ["integer", "null"]}, "tracking_code": {"type": ["string", "null"]},
    "state": {"type": ["string", "null"]}, "amount": {"type": ["integer", "null"]}, "provider": {"type": ["string", "null"]}}}
_REPAIR = {"allOf": [_FINDING, {"type": "object", "required": ["result", "why"], "properties": {
    "result": {"enum": list(RESULTS)}, "before": {"type": ["string", "null"]}, "after": {"type": ["string", "null"]},
    "why": {"type": "string"}}}]}
OPENAPI_PATHS: dict[str, Any] = {
    "/payments": {"get": {
        "summary": "List payments, newest first (viewer)",
        "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d} for n, d in (
            ("state", f"one of {', '.join(STATES)}"), ("provider", f"one of {', '.join(PROVIDERS)}"), ("request", "a tracking code"),
            ("created_from", "a date"), ("created_to", "a date (inclusive)"), ("limit", "page size"), ("offset", "skip"))],
        "responses": {"200": {"description": "A page of payments", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"items": {"type": "array", "items": _PAYMENT}, "total": {"type": "integer"}}}}}},
            "422": _ERROR, **_AUTH_ERRORS}}},
    "/payments/reconcile": {
        "get": {
            "summary": "Pending, mismatched and orphaned payments (viewer)",
            "responses": {"200": {"description": "Findings", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"items": {"type": "array", "items": _FINDING}, "total": {"type": "integer"}}}}}},
                **_AUTH_ERRORS}},
        "post": {
            "summary": "Repair what reconcile finds (operator)",
            "description": "Pending payments at the provider are verified with the stored amount (paid once with one receipt; an amount "
                           "mismatch fails with the reason; unpaid expires after payments.verify_after); links past their life expire; "
                           "a request's payment state is set from its payments; a request with a fee and no payment gets its link. "
                           "Refunds and unknown rows are left for a person. A provider that does not answer leaves its payments as they "
                           "were (result provider_down). A second run changes nothing the first settled. No body.",
            "responses": {"200": {"description": "What was done per finding; `left` counts provider_down and needs_person",
                                  "content": {"application/json": {"schema": {"type": "object", "properties": {
                                      "items": {"type": "array", "items": _REPAIR}, "total": {"type": "integer"},
                                      "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                                      "left": {"type": "integer"}}}}}},
                          **_AUTH_ERRORS}},
    },
    "/payments/{id}": {"get": {
        "summary": "One payment with its history (viewer)",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "description": "payment id"}],
        "responses": {"200": {"description": "The payment and its events", "content": {"application/json": {"schema": _PAYMENT}}},
                      "404": _ERROR, **_AUTH_ERRORS}}},
}
"""These routes in OpenAPI 3.1 form, relative to /api/v1, for the API's document to merge."""


def setup(api: web.Application) -> None:
    """Register /payments, /payments/reconcile (GET lists, POST repairs) and /payments/{id} on the operator API."""
    api.router.add_get("/payments", list_payments)
    api.router.add_get("/payments/reconcile", reconcile_report)
    api.router.add_post("/payments/reconcile", reconcile_repair)
    api.router.add_get("/payments/{id}", get_payment)
