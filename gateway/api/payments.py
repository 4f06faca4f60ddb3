"""`/api/v1/payments`: operators list, filter and read payments, see what needs reconciling and repair it.

Part of the operator API sub-application (same JSON errors, bearer-token roles and OpenAPI
document); viewers and above may read, operators and admins may repair.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from flows.dates import iso_utc
from gateway.api.common import AGENCY, NATIONAL, OFFSET, ApiError, Call, first_item_links, not_found, one_of, page_size, requires, row_id
from gateway.api.requests import CREATED, created_range, tracking_code
from gateway.payments import STATES, Payment, PaymentEvent, PaymentFilter, PaymentService
from gateway.payments.reconcile import PROBLEMS, reconcile
from gateway.payments.repair import RESULTS, repair
from gateway.payments.settings import PROVIDERS
from gateway.runtime import GATEWAY

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


async def _seen_payment(payments: PaymentService, call: Call, payment_id: int) -> tuple[Payment, str | None]:
    """The payment and its request's tracking code if the caller's scope sees its request; 404 otherwise."""
    payment = await payments.store.get(payment_id)
    record = await payments.requests.store.get_by_id(payment.request_id) if payment else None
    if payment is None or not call.scope.sees_service(record.service_id if record else None):
        raise not_found(f"payment has id {payment_id}")
    return payment, record.tracking_code if record else None


PAYMENT_ID = row_id("payment id")
FILTERS = (one_of("state", "Only this state", STATES), one_of("provider", "Only this provider", PROVIDERS),
           tracking_code("request", "Only this request's payments (its tracking code)"),
           *CREATED, page_size, OFFSET)


@requires("viewer", scope=AGENCY, query=FILTERS)
async def list_payments(request: web.Request, call: Call) -> web.Response:
    """A page of payments, newest first, with the total that match; a tracking code no request has (or none the
    caller's scope sees) matches none."""
    payments = _service(request)
    query = call.query
    record = await payments.requests.get(query["request"]) if query["request"] else None
    if query["request"] and (record is None or not call.scope.sees_service(record.service_id)):
        return web.json_response({"items": [], "total": 0, "limit": query["limit"], "offset": query["offset"]})
    created_from, created_before = created_range(query, payments.requests.calendar)
    where = PaymentFilter(state=query["state"], provider=query["provider"], request_id=record.id if record else None, created_from=created_from,
                          created_before=created_before, services=call.scope.services, limit=query["limit"], offset=query["offset"])
    found, total = await payments.store.search(where)
    items = [payment_json(p, await _code_of(payments, p.request_id)) for p in found]
    return web.json_response({"items": items, "total": total, "limit": where.limit, "offset": where.offset})


@requires("viewer", scope=AGENCY, path=(PAYMENT_ID,))
async def get_payment(request: web.Request, call: Call) -> web.Response:
    """One payment with its history."""
    payments = _service(request)
    payment, code = await _seen_payment(payments, call, call.path["id"])
    events = await payments.store.events(payment.id)
    return web.json_response({**payment_json(payment, code), "events": [event_json(e) for e in events]})


@requires("viewer", scope=NATIONAL)  # findings include orphaned payments of no request, so of no agency
async def reconcile_report(request: web.Request, call: Call) -> web.Response:
    """Pending, mismatched and orphaned payments (what `pishkhan payments reconcile` prints)."""
    findings = await reconcile(_service(request).store)
    return web.json_response({"items": [f.as_json() for f in findings], "total": len(findings)})


@requires("operator", scope=NATIONAL)  # one run repairs every agency's payments at once
async def reconcile_repair(request: web.Request, call: Call) -> web.Response:
    """Act on every finding (what `pishkhan payments reconcile --repair` does) and say what was done."""
    done = await repair(_service(request))
    counts = {result: sum(d.result == result for d in done) for result in RESULTS}
    log.info("payments repair run by token %d (%s): %s", call.token.id, call.token.name, counts)
    return web.json_response({"items": [d.as_json() for d in done], "total": len(done), "counts": counts,
                              "left": sum(d.left for d in done)})


_ERROR = {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_DISABLED = {"description": "No such payment, or payments are not enabled", **_ERROR}
_NULLABLE_TEXT, _WHEN = {"type": ["string", "null"]}, {"type": ["string", "null"], "format": "date-time"}
_PAYMENT = {"type": "object", "required": ["id", "tracking_code", "amount", "currency", "provider", "state"], "properties": {
    "id": {"type": "integer"}, "tracking_code": _NULLABLE_TEXT, "amount": {"type": "integer", "description": "rials"},
    "currency": {"const": "IRR"}, "provider": {"enum": list(PROVIDERS)}, "authority": _NULLABLE_TEXT,
    "ref_id": _NULLABLE_TEXT, "card_pan": _NULLABLE_TEXT, "state": {"enum": list(STATES)},
    "reason": _NULLABLE_TEXT, "verify_attempts": {"type": "integer"}, "link_expires_at": _WHEN, "link_sent_at": _WHEN,
    "started_at": _WHEN, "created_at": _WHEN, "updated_at": _WHEN}}
_EVENT = {"type": "object", "properties": {"at": _WHEN, "kind": {"type": "string"}, "from": _NULLABLE_TEXT, "to": _NULLABLE_TEXT,
                                           "detail": _NULLABLE_TEXT}}
_FINDING = {"type": "object", "required": ["kind", "problem", "detail"], "properties": {
    "kind": {"enum": ["pending", "mismatched", "orphaned"]}, "problem": {"enum": list(PROBLEMS), "description": "; ".join(PROBLEMS.values())},
    "detail": {"type": "string"}, "payment_id": {"type": ["integer", "null"]}, "tracking_code": {"type": ["string", "null"]},
    "state": {"type": ["string", "null"]}, "amount": {"type": ["integer", "null"]}, "provider": {"type": ["string", "null"]}}}
_REPAIR = {"allOf": [_FINDING, {"type": "object", "required": ["result", "why"], "properties": {
    "result": {"enum": list(RESULTS)}, "before": {"type": ["string", "null"]}, "after": {"type": ["string", "null"]},
    "why": {"type": "string"}}}]}
OPENAPI_PATHS: dict[str, Any] = {
    "/payments": {"get": {
        "summary": "List payments, newest first (viewer)", "operationId": "listPayments",
        "responses": {"200": {"description": "A page of payments", "content": {"application/json": {"schema": {
            "type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
                "items": {"type": "array", "items": _PAYMENT}, "total": {"type": "integer"}, "limit": {"type": "integer"},
                "offset": {"type": "integer"}}}}},
            "links": first_item_links("id", "id", "getPayment")},
            "404": _DISABLED}}},
    "/payments/reconcile": {
        "get": {
            "summary": "Pending, mismatched and orphaned payments (viewer)", "operationId": "reconcilePayments",
            "responses": {"200": {"description": "Findings", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"items": {"type": "array", "items": _FINDING}, "total": {"type": "integer"}}}}}},
                "404": _DISABLED}},
        "post": {
            "summary": "Repair what reconcile finds (operator)", "operationId": "repairPayments",
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
                          "404": _DISABLED}},
    },
    "/payments/{id}": {"get": {
        "summary": "One payment with its history (viewer)", "operationId": "getPayment",
        "responses": {"200": {"description": "The payment and its events", "content": {"application/json": {"schema": {"allOf": [
            _PAYMENT, {"type": "object", "required": ["events"], "properties": {"events": {"type": "array", "items": _EVENT}}}]}}}},
                      "404": _DISABLED}}},
}
"""What these routes do and answer, relative to /api/v1, for the API's document (which adds their parameters and errors)."""


def setup(api: web.Application) -> None:
    """Register /payments, /payments/reconcile (GET lists, POST repairs) and /payments/{id} on the operator API."""
    api.router.add_get("/payments", list_payments)
    api.router.add_get("/payments/reconcile", reconcile_report)
    api.router.add_post("/payments/reconcile", reconcile_repair)
    api.router.add_get("/payments/{id}", get_payment)
