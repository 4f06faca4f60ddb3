"""`/api/v1/outbox`: operators find outbound messages (dead-lettered ones above all) and send them again.

Part of the operator API sub-application (same JSON errors, bearer-token roles and OpenAPI
document). Lists never carry a message's text or meta (payment-link tokens, personal data); one
message shows them, with the address unmasked, to operators and admins only, who may also retry.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from gateway.api.common import SETTINGS, ApiError, invalid, requires
from gateway.api.requests import request_filter
from gateway.outbox.admin import RETRYABLE, STATES, MessageNotFound, NotRetryable, OutboxAdmin, OutboxFilter
from gateway.runtime import GATEWAY
from gateway.tokens import TokenInfo

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_MAX_ID_DIGITS = 17


def _admin(request: web.Request) -> OutboxAdmin:
    return OutboxAdmin(request.app[GATEWAY].outbox)


def _id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= _MAX_ID_DIGITS else None


def _filter(request: web.Request) -> OutboxFilter:
    """state, channel, kind, limit, before_id; 422 naming a bad one."""
    query = request.query
    state, channel, kind, before = query.get("state"), query.get("channel"), query.get("kind"), query.get("before_id")
    if state is not None and state not in STATES:
        raise invalid("state", f"use one of {', '.join(STATES)}")
    for name, value, example in (("channel", channel, "sms or telegram"), ("kind", kind, "reply, receipt, notification or payment_link")):
        if value is not None and not _NAME.match(value):
            raise invalid(name, f"a lower-case name such as {example}")
    before_id = _id(before) if before is not None else None
    if before is not None and not before_id:
        raise invalid("before_id", "the id of the last message of the previous page (a positive whole number)")
    settings = request.app[SETTINGS]
    # paging is parsed as the requests API does it: reuse it on the shared key only
    limit = request_filter({k: v for k, v in query.items() if k == "limit"}, request.app[GATEWAY].requests,
                           settings.default_page, settings.max_page).limit
    return OutboxFilter(state=state, channel=channel, kind=kind, limit=limit, before_id=before_id)


def _message_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    found = _id(raw)
    if found is None:
        raise ApiError(404, "not_found", f"no outbox message has id {raw[:20]}")
    return found


@requires("viewer")
async def list_outbox(request: web.Request, token: TokenInfo) -> web.Response:
    """A page of messages, newest first; `next_before_id` fetches the next page (null on the last)."""
    where = _filter(request)
    rows = await _admin(request).search(where)
    more = rows[-1].id if len(rows) == where.limit else None
    return web.json_response({"items": [r.as_json() for r in rows], "limit": where.limit, "next_before_id": more})


@requires("viewer")
async def get_message(request: web.Request, token: TokenInfo) -> web.Response:
    """One message; its text, meta and full address for operators and admins."""
    message_id = _message_id(request)
    row = await _admin(request).get(message_id)
    if row is None:
        raise ApiError(404, "not_found", f"no outbox message has id {message_id}")
    return web.json_response(row.as_json(full=token.can("operator")))


@requires("operator")
async def retry(request: web.Request, token: TokenInfo) -> web.Response:
    """Send a dead or failed message again (pending, due now, attempts from zero); 409 for any other state."""
    try:
        done = await _admin(request).retry(_message_id(request), actor=f"{token.role}:{token.name}")
    except MessageNotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    except NotRetryable as exc:
        raise ApiError(409, "not_retryable", str(exc)) from exc
    return web.json_response(done.as_json())


_ERROR = {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_AUTH_ERRORS = {"401": _ERROR, "403": _ERROR}
_NULLABLE = {"type": ["string", "null"]}
_MESSAGE = {"type": "object", "required": ["id", "channel", "address", "kind", "state", "attempts"], "properties": {
    "id": {"type": "integer"}, "channel": {"type": "string"},
    "address": {"type": "string", "description": "Masked, except for operators reading one message"},
    "kind": {"type": "string"}, "state": {"enum": list(STATES)}, "attempts": {"type": "integer"}, "last_error": _NULLABLE,
    "delivery": _NULLABLE, "provider": _NULLABLE, "provider_message_id": _NULLABLE,
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}}
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "description": "outbox message id"}]
OPENAPI_PATHS: dict[str, Any] = {
    "/outbox": {"get": {
        "summary": "List outbound messages, newest first (viewer); never their text",
        "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d} for n, d in (
            ("state", f"one of {', '.join(STATES)}"), ("channel", "sms, telegram..."), ("kind", "reply, receipt, notification, payment_link..."),
            ("limit", "page size"), ("before_id", "next page: the previous page's next_before_id"))],
        "responses": {"200": {"description": "A page of messages", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"items": {"type": "array", "items": _MESSAGE}, "limit": {"type": "integer"},
                                             "next_before_id": {"type": ["integer", "null"]}}}}}},
            "422": _ERROR, **_AUTH_ERRORS}}},
    "/outbox/{id}": {"get": {
        "summary": "One outbound message (viewer); text, meta and the full address for operators",
        "parameters": _ID,
        "responses": {"200": {"description": "The message", "content": {"application/json": {"schema": {"allOf": [_MESSAGE, {
            "type": "object", "properties": {"text": {"type": "string"}, "meta": {"type": "object"}}}]}}}},
            "404": _ERROR, **_AUTH_ERRORS}}},
    "/outbox/{id}/retry": {"post": {
        "summary": "Send a dead or failed message again (operator)",
        "description": f"Only {' or '.join(RETRYABLE)} messages: back to pending, due now, attempts from zero; the answer says what "
                       "its last error was. A sent message is never sent again and a suppressed one (opted out) is not: 409. "
                       "Two retries at once make one. No body.",
        "parameters": _ID,
        "responses": {"200": {"description": "Retried", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "id": {"type": "integer"}, "state": {"const": "pending"}, "previous_state": {"enum": list(RETRYABLE)},
            "last_error": _NULLABLE}}}}},
            "404": _ERROR, "409": _ERROR, **_AUTH_ERRORS}}},
}
"""These routes in OpenAPI 3.1 form, relative to /api/v1, for the API's document to merge."""


def setup(api: web.Application) -> None:
    """Register /outbox, /outbox/{id} and /outbox/{id}/retry on the operator API."""
    api.router.add_get("/outbox", list_outbox)
    api.router.add_get("/outbox/{id}", get_message)
    api.router.add_post("/outbox/{id}/retry", retry)
