"""`/api/v1/agencies/{agency}/subscriptions` and `/api/v1/events/…`: an agency's systems subscribe to
events, read the delivery log and replay what they missed.

Who: reading needs a viewer, changing an operator; either way an admin token or one scoped to the
agency (an unscoped operator token is the national desk's, not the agency's: 403). A token that does
not see the agency gets 404, as if it did not exist. The secret is in the answer of a create or a
rotate only. Every change and replay is audited.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api.audit import moment, time_range
from gateway.api.common import MAX_ID, ApiError, Call, first_item_links, matching, one_of, page_size, requires, whole
from gateway.audit import token_actor
from gateway.events.deliveries import OUTCOMES, Deliveries, DeliveryFilter, NothingToReplay
from gateway.events.log import TYPES
from gateway.events.subscriptions import STATES, SubscriptionError, SubscriptionNotFound, Subscriptions
from gateway.runtime import GATEWAY
from gateway.scopes import AGENCY as AGENCY_RULE  # every route checks the token sees the agency (`refusal`, `list_deliveries`)
from gateway.tokens import TokenInfo

AGENCY_PATTERN = "^[a-z][a-z0-9_-]{0,31}$"
AGENCY = matching("agency", "The agency's id (catalogue `agencies:`)", AGENCY_PATTERN, "a lower-case agency id such as sabt", where="path")
SUBSCRIPTION = whole("id", "The subscription's id", 1, MAX_ID, where="path")
WEBHOOK_ID = "^msg_[0-9a-f]{24}$"
_ERROR = {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_NEW = {"type": "object", "additionalProperties": False, "required": ["url", "types"], "properties": {
    "url": {"type": "string", "minLength": 1, "maxLength": 8000, "description": "https URL events are POSTed to"},
    "types": {"type": "array", "minItems": 1, "maxItems": len(TYPES), "items": {"enum": list(TYPES)}},
    "personal": {"type": "boolean", "description": "Also send the citizen's phone, national code, inputs and texts (default false)"}}}
_CHANGE = {"type": "object", "additionalProperties": False, "required": ["state"], "properties": {"state": {"enum": list(STATES)}}}
_REPLAY = {"type": "object", "additionalProperties": False, "required": ["agency"], "properties": {
    "agency": {"type": "string", "pattern": AGENCY_PATTERN},
    "webhook_id": {"type": "string", "pattern": WEBHOOK_ID, "description": "One event; else every event of since..until"},
    "since": {"type": "string", "maxLength": 40}, "until": {"type": "string", "maxLength": 40},
    "subscription": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "Only to this subscription"}}}


def refusal(token: TokenInfo, agency: str, writes: bool) -> ApiError | None:
    """Why this token may not manage the agency's events (None: it may). Not seeing the agency is 404, as if
    it did not exist; an unscoped token below admin is the national desk's, not the agency's: 403."""
    if not token.sees(agency):
        return ApiError(404, "not_found", f"no agency {agency}")
    if not token.can("admin") and token.agencies is None:
        return ApiError(403, "forbidden", "an agency's events are managed by an admin token or one scoped to that agency")
    if writes and not token.can("operator"):
        return ApiError(403, "forbidden", f"this needs the operator role; the token has {token.role}")
    return None


def _agency(request: web.Request, call: Call, agency: str, writes: bool = False) -> str:
    """The agency if this token may manage its events; ApiError otherwise (an agency the catalogue lacks: 404)."""
    refused = refusal(call.token, agency, writes)
    if refused is None and request.app[GATEWAY].content.catalogue.agency(agency) is None:
        refused = ApiError(404, "not_found", f"no agency {agency}")
    if refused is not None:
        raise refused
    return agency


def _subscriptions(request: web.Request) -> Subscriptions:
    gateway = request.app[GATEWAY]
    return Subscriptions(gateway.db, gateway.settings.events)


def _field_error(error: SubscriptionError) -> ApiError:
    return ApiError(422, "invalid", str(error), error.field)


@requires("viewer", scope=AGENCY_RULE, path=(AGENCY,))
async def list_subscriptions(request: web.Request, call: Call) -> web.Response:
    """The agency's subscriptions, oldest first (never their secrets)."""
    agency = _agency(request, call, call.path["agency"])
    return web.json_response({"items": [s.as_json() for s in await _subscriptions(request).list(agency)]})


@requires("viewer", scope=AGENCY_RULE, path=(AGENCY,), body=_NEW)
async def create_subscription(request: web.Request, call: Call) -> web.Response:
    """A new subscription; its signing secret is in this answer and never again."""
    agency = _agency(request, call, call.path["agency"], writes=True)
    try:
        made, secret = await _subscriptions(request).create(agency, call.body["url"], call.body["types"],
                                                             personal=call.body.get("personal", False), actor=token_actor(call.token))
    except SubscriptionError as error:
        raise _field_error(error) from error
    return web.json_response({**made.as_json(), "secret": secret}, status=201)


async def _one(request: web.Request, call: Call, writes: bool) -> tuple[Subscriptions, str, int]:
    return _subscriptions(request), _agency(request, call, call.path["agency"], writes), call.path["id"]


@requires("viewer", scope=AGENCY_RULE, path=(AGENCY, SUBSCRIPTION))
async def get_subscription(request: web.Request, call: Call) -> web.Response:
    """One subscription."""
    subscriptions, agency, subscription_id = await _one(request, call, False)
    try:
        return web.json_response((await subscriptions.get(agency, subscription_id)).as_json())
    except SubscriptionNotFound as error:
        raise ApiError(404, "not_found", str(error)) from error


@requires("viewer", scope=AGENCY_RULE, path=(AGENCY, SUBSCRIPTION), body=_CHANGE)
async def change_subscription(request: web.Request, call: Call) -> web.Response:
    """Enable or disable a subscription."""
    subscriptions, agency, subscription_id = await _one(request, call, True)
    try:
        changed = await subscriptions.set_state(agency, subscription_id, call.body["state"], actor=token_actor(call.token))
    except SubscriptionNotFound as error:
        raise ApiError(404, "not_found", str(error)) from error
    return web.json_response(changed.as_json())


@requires("viewer", scope=AGENCY_RULE, path=(AGENCY, SUBSCRIPTION))
async def delete_subscription(request: web.Request, call: Call) -> web.Response:
    """Remove a subscription; what was queued for it is not sent."""
    subscriptions, agency, subscription_id = await _one(request, call, True)
    try:
        await subscriptions.delete(agency, subscription_id, actor=token_actor(call.token))
    except SubscriptionNotFound as error:
        raise ApiError(404, "not_found", str(error)) from error
    return web.Response(status=204)


@requires("viewer", scope=AGENCY_RULE, path=(AGENCY, SUBSCRIPTION))
async def rotate_secret(request: web.Request, call: Call) -> web.Response:
    """A new secret, in this answer only; the old one still signs for `events.rotation_overlap` seconds."""
    subscriptions, agency, subscription_id = await _one(request, call, True)
    try:
        rotated, secret = await subscriptions.rotate(agency, subscription_id, actor=token_actor(call.token))
    except SubscriptionNotFound as error:
        raise ApiError(404, "not_found", str(error)) from error
    return web.json_response({**rotated.as_json(), "secret": secret})


DELIVERY_FILTERS = (
    matching("agency", "Only this agency's events", AGENCY_PATTERN, "a lower-case agency id such as sabt"),
    matching("webhook_id", "Only this event (its webhook-id)", WEBHOOK_ID, "msg_ and 24 hexadecimal digits"),
    whole("subscription", "Only this subscription", 1, MAX_ID), one_of("outcome", "Only this outcome", OUTCOMES),
    moment("since", "Only attempts at or after this time"), moment("until", "Only attempts before this time (a day: up to its end)"),
    page_size, whole("before_id", "Next page: the previous page's next_before_id", 1, MAX_ID))


@requires("viewer", scope=AGENCY_RULE, query=DELIVERY_FILTERS)
async def list_deliveries(request: web.Request, call: Call) -> web.Response:
    """A page of delivery attempts, newest first, of the agencies this token sees."""
    q, token = call.query, call.token
    if q["agency"] is not None and not token.sees(q["agency"]):
        raise ApiError(404, "not_found", f"no agency {q['agency']}")
    since, until = time_range(q["since"], q["until"], request.app[GATEWAY].requests.calendar.tz)
    where = DeliveryFilter(token.agencies, q["agency"], q["webhook_id"], q["subscription"], q["outcome"], since, until, q["limit"], q["before_id"])
    items = await Deliveries(request.app[GATEWAY].db).search(where)
    return web.json_response({"items": items, "limit": where.limit, "next_before_id": items[-1]["id"] if len(items) == where.limit else None})


@requires("viewer", scope=AGENCY_RULE, body=_REPLAY)
async def replay(request: web.Request, call: Call) -> web.Response:
    """Queue one event (by webhook-id) or every event of a time range again, to the agency's subscriptions."""
    body, gateway = call.body, request.app[GATEWAY]
    agency = _agency(request, call, body["agency"], writes=True)
    if "webhook_id" not in body and "since" not in body:
        raise ApiError(422, "invalid", "since: give a webhook_id, or since (and until) for a time range", "since")
    window = {name: moment(name, name).parse(body[name]) if name in body else None for name in ("since", "until")}
    since, until = time_range(window["since"], window["until"], gateway.requests.calendar.tz)
    try:
        done = await Deliveries(gateway.db).replay(agency, actor=token_actor(call.token), webhook_id=body.get("webhook_id"), since=since,
                                                    until=until, subscription=body.get("subscription"), limit=gateway.settings.events.max_replay)
    except NothingToReplay as error:
        raise ApiError(404, "not_found", str(error)) from error
    return web.json_response(done, status=202)


_SUBSCRIPTION: dict[str, Any] = {"type": "object", "required": ["id", "agency", "url", "types", "personal", "state"], "properties": {
    "id": {"type": "integer"}, "agency": {"type": "string"}, "url": {"type": "string"}, "types": {"type": "array", "items": {"enum": list(TYPES)}},
    "personal": {"type": "boolean"}, "state": {"enum": list(STATES)}, "disabled_reason": {"type": ["string", "null"]},
    "created_by": {"type": "string"}, "created_at": {"type": "number"}, "updated_at": {"type": "number"},
    "rotating_until": {"type": ["number", "null"], "description": "The previous secret signs too until then"}}}
_WITH_SECRET = {"allOf": [_SUBSCRIPTION, {"type": "object", "required": ["secret"], "properties": {
    "secret": {"type": "string", "description": "whsec_ and base64: shown once"}}}]}


def _answer(description: str, schema: Any, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}, "404": _ERROR}


OPENAPI_PATHS: dict[str, Any] = {
    "/agencies/{agency}/subscriptions": {
        "get": {"summary": "An agency's event subscriptions (viewer; admin or scoped to the agency)", "operationId": "listSubscriptions",
                "responses": {"200": {"description": "Subscriptions", "links": first_item_links("id", "id", "getSubscription"),
                                      "content": {"application/json": {"schema": {"type": "object", "properties": {
                                          "items": {"type": "array", "items": _SUBSCRIPTION}}}}}}, "404": _ERROR}},
        "post": {"summary": "Subscribe a URL to event types (operator); the secret is answered once", "operationId": "createSubscription",
                 "responses": {**_answer("Made", _WITH_SECRET, "201"), "422": _ERROR}}},
    "/agencies/{agency}/subscriptions/{id}": {
        "get": {"summary": "One subscription (viewer)", "operationId": "getSubscription", "responses": _answer("The subscription", _SUBSCRIPTION)},
        "patch": {"summary": "Enable or disable (operator)", "operationId": "changeSubscription", "responses": _answer("Changed", _SUBSCRIPTION)},
        "delete": {"summary": "Remove (operator); what was queued for it is not sent", "operationId": "deleteSubscription",
                   "responses": {"204": {"description": "Removed"}, "404": _ERROR}}},
    "/agencies/{agency}/subscriptions/{id}/rotate": {"post": {
        "summary": "A new signing secret (operator), answered once; the old one signs too for events.rotation_overlap",
        "operationId": "rotateSubscriptionSecret", "responses": _answer("Rotated", _WITH_SECRET)}},
    "/events/deliveries": {"get": {
        "summary": "The delivery log: every attempt, newest first (viewer; only the agencies the token sees)", "operationId": "listDeliveries",
        "responses": _answer("Attempts", {"type": "object", "required": ["items", "limit", "next_before_id"], "properties": {
            "items": {"type": "array", "items": {"type": "object"}}, "limit": {"type": "integer"},
            "next_before_id": {"type": ["integer", "null"]}}})}},
    "/events/replay": {"post": {
        "summary": "Send one event or a time range's events again (operator; admin or scoped to the agency)", "operationId": "replayEvents",
        "description": "Replayed deliveries keep the event's webhook-id (receivers drop what they have) and leave in order per subject.",
        "responses": {**_answer("Queued", {"type": "object", "properties": {"events": {"type": "integer"}, "deliveries": {"type": "integer"}}},
                                "202"), "422": _ERROR}}},
}
"""What these routes do and answer, relative to /api/v1, for the API's document."""


def setup(api: web.Application) -> None:
    """Register the subscription, delivery-log and replay routes on the operator API."""
    api.router.add_get("/agencies/{agency}/subscriptions", list_subscriptions)
    api.router.add_post("/agencies/{agency}/subscriptions", create_subscription)
    api.router.add_get("/agencies/{agency}/subscriptions/{id}", get_subscription)
    api.router.add_patch("/agencies/{agency}/subscriptions/{id}", change_subscription)
    api.router.add_delete("/agencies/{agency}/subscriptions/{id}", delete_subscription)
    api.router.add_post("/agencies/{agency}/subscriptions/{id}/rotate", rotate_secret)
    api.router.add_get("/events/deliveries", list_deliveries)
    api.router.add_post("/events/replay", replay)
