"""`/api/v1/complaints`: operators list and read complaints and suggestions, and answer them.

Viewers see the citizen's address and phone number masked (and those typed into the text); operators and admins, who answer, see them
whole. Answering (`answered`, `rejected`) needs the answer the citizen is sent.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from flows.dates import iso_utc
from flows.masking import mask_digit_runs, mask_phone, masked
from gateway.api.common import AGENCY, OFFSET, Call, first_item_links, matching, not_found, one_of, page_size, requires
from gateway.api.idempotency import idempotent, once_of
from gateway.api.refusals import refused
from gateway.api.requests import CREATED, created_range, tracking_code
from gateway.api.schema import Json
from gateway.audit import token_actor
from gateway.catalogue.model import CHANNELS, SERVICE_ID
from gateway.complaints.lifecycle import KINDS, MAX_TEXT, STATUSES
from gateway.complaints.service import ComplaintService
from gateway.complaints.store import ComplaintEvent, ComplaintFilter, ComplaintRecord
from gateway.lifecycle import LifecycleError
from gateway.requests.masking import masked_text
from gateway.runtime import GATEWAY
from gateway.tokens import TokenInfo


def complaint_json(record: ComplaintRecord, complaints: ComplaintService, token: TokenInfo) -> dict[str, Any]:
    """A complaint as the API shows it to this token: viewers see the address and phone masked, and any
    phone number or national code the citizen typed into the text."""
    full = token.can("operator")
    return {
        "code": record.code, "kind": record.kind, "status": record.status, "service_id": record.service_id,
        "request_code": record.request_code, "channel": record.channel, "address": record.address if full else masked(record.address),
        "phone": record.phone if full or not record.phone else mask_phone(record.phone), "lang": record.lang,
        "text": record.text if full else mask_digit_runs(record.text),
        "answer": masked_text(record.answer, full), "due_date": record.due_date.isoformat(), "late": complaints.is_late(record),
        "created_at": iso_utc(record.created_at), "updated_at": iso_utc(record.updated_at),
    }


def event_json(event: ComplaintEvent, full: bool) -> dict[str, Any]:
    """One lifecycle event; its answer masked for viewers (`full`: an operator or above)."""
    return {"at": iso_utc(event.at), "actor": event.actor, "from": event.from_status, "to": event.to_status,
            "answer": masked_text(event.reason, full)}


CODE = tracking_code("code", "The complaint's code", where="path")
FILTERS = (one_of("status", "Only this status", STATUSES), one_of("kind", "Only complaints or only suggestions", KINDS),
           matching("service_id", "Only this service", SERVICE_ID.pattern, "a 9-digit service id"),
           one_of("channel", "Only from this channel", CHANNELS), *CREATED,
           one_of("late", "true: only open ones past their due date", ("true", "false")),
           one_of("open", "true: only those still waiting for an answer", ("true", "false")), page_size, OFFSET)
TRANSITION: Json = {"type": "object", "required": ["to"], "additionalProperties": False, "properties": {
    "to": {"type": "string", "enum": list(STATUSES)}, "answer": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}}}

COMPLAINT_SCHEMA: Json = {
    "type": "object",
    "required": ["code", "kind", "status", "service_id", "request_code", "channel", "address", "phone", "lang", "text", "answer",
                 "due_date", "late", "created_at", "updated_at"],
    "properties": {
        "code": {"type": "string"}, "kind": {"enum": list(KINDS)}, "status": {"enum": list(STATUSES)}, "service_id": {"type": "string"},
        "request_code": {"type": ["string", "null"], "description": "The tracking code of the request it is about, if any"},
        "channel": {"type": "string"}, "address": {"type": "string", "description": "Masked for viewers"},
        "phone": {"type": ["string", "null"], "description": "E.164; masked for viewers"}, "lang": {"type": "string"},
        "text": {"type": "string", "description": "What the citizen wrote"},
        "answer": {"type": ["string", "null"], "description": "The answer or reason the citizen was sent"},
        "due_date": {"type": "string", "format": "date"}, "late": {"type": "boolean", "description": "Still open after its due date"},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    },
}
EVENT_SCHEMA: Json = {"type": "object", "required": ["at", "actor", "from", "to", "answer"], "properties": {
    "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"}, "from": {"type": ["string", "null"]},
    "to": {"type": "string"}, "answer": {"type": ["string", "null"]}}}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: Json) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> Json:
    return _answer(description, _ref("Error"))


OPENAPI_SCHEMAS: dict[str, Json] = {"Complaint": COMPLAINT_SCHEMA, "ComplaintEvent": EVENT_SCHEMA}
OPENAPI_PATHS: dict[str, dict[str, Json]] = {
    "/complaints": {"get": {
        "summary": "List complaints and suggestions, the most overdue first, then the oldest", "operationId": "listComplaints",
        "responses": {"200": {**_answer("A page of complaints", {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
            "items": {"type": "array", "items": _ref("Complaint")}, "total": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer"}, "offset": {"type": "integer"}}}),
            "links": first_item_links("code", "code", "getComplaint", "transitionComplaint")}}}},
    "/complaints/{code}": {"get": {
        "summary": "Get a complaint with its events", "operationId": "getComplaint", "responses": {
            "200": _answer("The complaint", {"allOf": [_ref("Complaint"), {"type": "object", "required": ["events"], "properties": {
                "events": {"type": "array", "items": _ref("ComplaintEvent")}}}]}),
            "404": _error("No such complaint")}}},
    "/complaints/{code}/transition": {"post": {
        "summary": "Move a complaint to another status (operator); an answer or a rejection is sent to the citizen",
        "description": "filed -> in_review -> answered | rejected -> closed; filed may be answered or rejected at once. "
                       "`answer` is required for answered and rejected (422 without it).",
        "operationId": "transitionComplaint",
        "responses": {"200": _answer("The complaint after the change", _ref("Complaint")), "404": _error("No such complaint"),
                      "409": _error("The lifecycle does not allow this change")}}},
}
"""The document's part for these routes (gateway.api.openapi)."""


async def seen_complaint(complaints: ComplaintService, call: Call, code: str) -> ComplaintRecord:
    """The complaint if the caller's scope sees its service; 404 otherwise (the same answer either way)."""
    record = await complaints.get(code)
    if record is None or not call.scope.sees_service(record.service_id):
        raise not_found(f"complaint has code {code}")
    return record


@requires("viewer", scope=AGENCY, query=FILTERS)
async def list_complaints(request: web.Request, call: Call) -> web.Response:
    """A page of complaints, late first, with the total that match."""
    complaints = request.app[GATEWAY].complaints
    query = call.query
    created_from, created_before = created_range(query, complaints.calendar)
    where = ComplaintFilter(today=complaints.today(), status=query["status"], kind=query["kind"], service_id=query["service_id"],
                            channel=query["channel"], late_only=query["late"] == "true", open_only=query["open"] == "true",
                            created_from=created_from, created_before=created_before, services=call.scope.services,
                            limit=query["limit"], offset=query["offset"])
    records, total = await complaints.search(where)
    return web.json_response({"items": [complaint_json(r, complaints, call.token) for r in records], "total": total,
                              "limit": where.limit, "offset": where.offset})


@requires("viewer", scope=AGENCY, path=(CODE,))
async def get_complaint(request: web.Request, call: Call) -> web.Response:
    """One complaint with its events."""
    complaints = request.app[GATEWAY].complaints
    record = await seen_complaint(complaints, call, call.path["code"])
    events = await complaints.store.events(record.id)
    full = call.token.can("operator")
    return web.json_response({**complaint_json(record, complaints, call.token), "events": [event_json(e, full) for e in events]})


@requires("operator", scope=AGENCY, path=(CODE,), body=TRANSITION)
@idempotent
async def transition(request: web.Request, call: Call) -> web.Response:
    """Move a complaint to another status; an answer reaches the citizen through the outbox. Its service never
    changes, so checking the scope first is enough."""
    complaints = request.app[GATEWAY].complaints
    await seen_complaint(complaints, call, call.path["code"])
    once = once_of(request)
    try:
        await complaints.transition(call.path["code"], call.body["to"], actor=token_actor(call.token), answer=call.body.get("answer"),
                                    then=once.answers(lambda record: complaint_json(record, complaints, call.token)))
    except LifecycleError as exc:
        raise refused(exc) from exc
    return web.json_response(once.answer)


def setup(api: web.Application) -> None:
    """Register the complaint routes on the API sub-application."""
    api.router.add_get("/complaints", list_complaints)
    api.router.add_get("/complaints/{code}", get_complaint)
    api.router.add_post("/complaints/{code}/transition", transition)
