"""`/api/v1/outbox`: operators find outbound messages (dead-lettered ones above all) and send them again.

Part of the operator API sub-application (same JSON errors, bearer-token roles and OpenAPI
document). Lists never carry a message's text or meta (payment-link tokens, personal data); one
message shows them, with the address unmasked, to operators and admins only, who may also retry.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api.common import AGENCY, MAX_ID, ApiError, Call, first_item_links, matching, not_found, one_of, page_size, requires, row_id, whole
from gateway.audit import token_actor
from gateway.outbox.admin import RETRYABLE, STATES, MessageNotFound, NotRetryable, OutboxAdmin, OutboxFilter, OutboxRow
from gateway.runtime import GATEWAY

_NAME = "^[a-z][a-z0-9_]{0,31}$"
MESSAGE_ID = row_id("outbox message id")
CHANNEL = matching("channel", "Only this channel: sms, telegram...", _NAME, "a lower-case name such as sms or telegram")
KIND = matching("kind", "Only this kind: reply, receipt, notification, payment_link...", _NAME,
                "a lower-case name such as receipt or notification")
FILTERS = (one_of("state", "Only this state", STATES), CHANNEL, KIND, page_size,
           whole("before_id", "Next page: the previous page's next_before_id", 1, MAX_ID))


def _admin(request: web.Request) -> OutboxAdmin:
    return OutboxAdmin(request.app[GATEWAY].outbox)


async def _seen_message(request: web.Request, call: Call, message_id: int) -> OutboxRow:
    """The message if the caller's scope sees it (it is about one of the scope's services); 404 otherwise."""
    row = await _admin(request).get(message_id)
    if row is None or not call.scope.sees_service(row.service_id):
        raise not_found(f"outbox message has id {message_id}")
    return row


@requires("viewer", scope=AGENCY, query=FILTERS)
async def list_outbox(request: web.Request, call: Call) -> web.Response:
    """A page of messages, newest first; `next_before_id` fetches the next page (null on the last)."""
    where = OutboxFilter(**call.query, services=call.scope.services)
    rows = await _admin(request).search(where)
    more = rows[-1].id if len(rows) == where.limit else None
    return web.json_response({"items": [r.as_json() for r in rows], "limit": where.limit, "next_before_id": more})


@requires("viewer", scope=AGENCY, path=(MESSAGE_ID,))
async def get_message(request: web.Request, call: Call) -> web.Response:
    """One message; its text, meta and full address for operators and admins."""
    row = await _seen_message(request, call, call.path["id"])
    return web.json_response(row.as_json(full=call.token.can("operator")))


@requires("operator", scope=AGENCY, path=(MESSAGE_ID,))
async def retry(request: web.Request, call: Call) -> web.Response:
    """Send a dead or failed message again (pending, due now, attempts from zero); 409 for any other state. A message's
    service never changes, so checking the scope before the retry is enough."""
    await _seen_message(request, call, call.path["id"])
    try:
        done = await _admin(request).retry(call.path["id"], actor=token_actor(call.token))
    except MessageNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    except NotRetryable as exc:
        raise ApiError(409, "not_retryable", str(exc)) from exc
    return web.json_response(done.as_json())


_ERROR = {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_NULLABLE = {"type": ["string", "null"]}
_MESSAGE = {"type": "object", "required": ["id", "channel", "address", "kind", "state", "attempts"], "properties": {
    "id": {"type": "integer"}, "channel": {"type": "string"},
    "address": {"type": "string", "description": "Masked, except for operators reading one message"},
    "kind": {"type": "string"}, "state": {"enum": list(STATES)}, "attempts": {"type": "integer"}, "last_error": _NULLABLE,
    "delivery": _NULLABLE, "provider": _NULLABLE, "provider_message_id": _NULLABLE,
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}}
OPENAPI_PATHS: dict[str, Any] = {
    "/outbox": {"get": {
        "summary": "List outbound messages, newest first (viewer); never their text", "operationId": "listOutbox",
        "responses": {"200": {"description": "A page of messages", "content": {"application/json": {"schema": {
            "type": "object", "required": ["items", "limit", "next_before_id"], "properties": {
                "items": {"type": "array", "items": _MESSAGE}, "limit": {"type": "integer"}, "next_before_id": {"type": ["integer", "null"]}}}}},
            "links": first_item_links("id", "id", "getOutboxMessage", "retryOutboxMessage")}}}},
    "/outbox/{id}": {"get": {
        "summary": "One outbound message (viewer); text, meta and the full address for operators", "operationId": "getOutboxMessage",
        "responses": {"200": {"description": "The message", "content": {"application/json": {"schema": {"allOf": [_MESSAGE, {
            "type": "object", "properties": {"text": {"type": "string"}, "meta": {"type": "object"}}}]}}}},
            "404": _ERROR}}},
    "/outbox/{id}/retry": {"post": {
        "summary": "Send a dead or failed message again (operator)", "operationId": "retryOutboxMessage",
        "description": f"Only {' or '.join(RETRYABLE)} messages: back to pending, due now, attempts from zero; the answer says what "
                       "its last error was. A sent message is never sent again and a suppressed one (opted out) is not: 409. "
                       "Two retries at once make one. No body.",
        "responses": {"200": {"description": "Retried", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "id": {"type": "integer"}, "state": {"const": "pending"}, "previous_state": {"enum": list(RETRYABLE)},
            "last_error": _NULLABLE}}}}},
            "404": _ERROR, "409": _ERROR}}},
}
"""What these routes do and answer, relative to /api/v1, for the API's document (which adds their parameters and errors)."""


def setup(api: web.Application) -> None:
    """Register /outbox, /outbox/{id} and /outbox/{id}/retry on the operator API."""
    api.router.add_get("/outbox", list_outbox)
    api.router.add_get("/outbox/{id}", get_message)
    api.router.add_post("/outbox/{id}/retry", retry)
