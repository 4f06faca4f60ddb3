"""The OpenAPI 3.1 document of the operator API: what each route does is written by hand; what it accepts
(parameters, body) is read from the route itself, so the document and the server cannot disagree."""

from __future__ import annotations

from aiohttp import web

from gateway.api.analytics import OPENAPI_PATHS as ANALYTICS_PATHS
from gateway.api.audit import OPENAPI_PATHS as AUDIT_PATHS
from gateway.api.bulk import OPENAPI_PATHS as BULK_PATHS
from gateway.api.common import ROUTE, Route, first_item_links
from gateway.api.complaints import OPENAPI_PATHS as COMPLAINT_PATHS
from gateway.api.complaints import OPENAPI_SCHEMAS as COMPLAINT_SCHEMAS
from gateway.api.flows import OPENAPI_PATHS as FLOW_PATHS
from gateway.api.idempotency import IDEMPOTENCY_KEY, keyed_responses
from gateway.api.outbox import OPENAPI_PATHS as OUTBOX_PATHS
from gateway.api.payments import OPENAPI_PATHS as PAYMENT_PATHS
from gateway.api.requests import TRACKING_CODE
from gateway.api.schema import Json
from gateway.api.services import card_schema
from gateway.consultations.api import OPENAPI_PATHS as CONSULTATION_PATHS
from gateway.events.api import OPENAPI_PATHS as EVENT_PATHS
from gateway.feedback.api import OPENAPI_PATHS as FEEDBACK_PATHS
from gateway.requests import STATUSES
from gateway.requests.lifecycle import PAYMENT_STATES


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: Json) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_PAGE: Json = {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
    "total": {"type": "integer", "minimum": 0}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}}


def _page_of(item: Json) -> Json:
    return {**_PAGE, "properties": {**_PAGE["properties"], "items": {"type": "array", "items": item}}}


_NULLABLE_TEXT = {"type": ["string", "null"]}
REQUEST_SCHEMA: Json = {
    "type": "object",
    "required": ["tracking_code", "service_id", "status", "channel", "address", "phone", "national_code", "lang", "inputs", "fee",
                 "payment_state", "due_date", "late", "created_at", "updated_at"],
    "properties": {
        "tracking_code": {"type": "string", "pattern": TRACKING_CODE}, "service_id": {"type": "string"},
        "status": {"enum": list(STATUSES)}, "channel": {"type": "string"},
        "address": {"type": "string", "description": "Masked for viewers"}, "phone": {**_NULLABLE_TEXT, "description": "E.164; masked for viewers"},
        "national_code": {**_NULLABLE_TEXT, "description": "Masked for viewers"}, "lang": {"type": "string"},
        "inputs": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Inputs the catalogue marks personal are masked for viewers"},
        "fee": {"type": "integer"}, "payment_state": {"enum": list(PAYMENT_STATES)}, "due_date": {"type": "string", "format": "date"},
        "late": {"type": "boolean", "description": "Still open after its due date"},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    },
}

EVENT_SCHEMA: Json = {"type": "object", "required": ["at", "actor", "from", "to", "reason"], "properties": {
    "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
    "from": {"type": ["string", "null"]}, "to": {"type": "string"}, "reason": {"type": ["string", "null"]}}}

ERROR_SCHEMA: Json = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"},
                   "details": {"type": "array", "description": "Every problem of a refused publish: file, node, message, hint",
                               "items": {"type": "object"}}}}}}

# What each route does and answers when it works; parameters, bodies and the errors every route shares are
# added from the routes themselves (gateway.api.common.Route), so the document cannot say more or less than they accept.
OPERATIONS: dict[str, dict[str, Json]] = {
    **PAYMENT_PATHS,  # kept beside their handlers in gateway.api.payments
    **OUTBOX_PATHS,  # and in gateway.api.outbox
    **FLOW_PATHS,  # and in gateway.api.flows
    **AUDIT_PATHS,  # and in gateway.api.audit
    **CONSULTATION_PATHS,  # and in gateway.consultations.api
    **COMPLAINT_PATHS,  # and in gateway.api.complaints
    **FEEDBACK_PATHS,  # and in gateway.feedback.api
    **ANALYTICS_PATHS,  # and in gateway.api.analytics
    **BULK_PATHS,  # and in gateway.api.bulk
    **EVENT_PATHS,  # and in gateway.events.api
    "/services": {
        "get": {"summary": "List services", "operationId": "listServices", "responses": {
            "200": _ok("Every service in catalogue order", {"type": "object", "required": ["items", "total"], "properties": {
                "items": {"type": "array", "items": _ref("Service")}, "total": {"type": "integer", "minimum": 0}}})}},
        "post": {"summary": "Create a service (admin); it is on the menus at once", "operationId": "createService",
                 "description": "Fields left out take their defaults. 422 also when the card breaks a catalogue rule the schema cannot say "
                                "(a parent that does not exist or has another id prefix, a text the menus cannot fit, a validator's "
                                "parameters that do not suit its type).",
                 "responses": {"201": _ok("Created", _ref("Service")), "409": _error("The id is taken")}},
    },
    "/services/{id}": {
        "get": {"summary": "Get a service", "operationId": "getService", "responses": {"200": _ok("The service", _ref("Service")), "404": _error("No such service")}},
        "put": {"summary": "Replace a service (admin): the body is the whole card, every field of it", "operationId": "replaceService",
                "description": "`id` may be left out; if given it must be the path's. 422 also for the catalogue rules of createService.",
                "responses": {"200": _ok("Replaced", _ref("Service")), "404": _error("No such service")}},
        "patch": {"summary": "Change some fields of a service (admin); the others stay as they are", "operationId": "updateService",
                  "description": "`id` may be given only as the path's. 422 also for the catalogue rules of createService.",
                  "responses": {"200": _ok("Changed", _ref("Service")), "404": _error("No such service")}},
        "delete": {"summary": "Retire a service (admin): off every menu, kept for its requests' history and status lookups",
                   "operationId": "retireService", "description": "Sets `active: false` in a new content version; PATCH `active: true` brings it back.",
                   "responses": {"200": _ok("Retired", _ref("Service")), "404": _error("No such service"),
                                 "409": _error("Another change was published meanwhile; send it again")}},
    },
    "/categories": {
        "get": {"summary": "List categories in menu order", "operationId": "listCategories", "responses": {
            "200": _ok("Every category with its count of active services", {"type": "object", "required": ["items", "total"], "properties": {
                "items": {"type": "array", "items": {"type": "object", "required": ["id", "title", "services"], "properties": {
                    "id": {"type": "string"}, "title": {"type": "object", "additionalProperties": {"type": "string"}},
                    "services": {"type": "integer", "minimum": 0}}}},
                "total": {"type": "integer", "minimum": 0}}})}},
    },
    "/requests": {
        "get": {"summary": "List requests, newest first", "operationId": "listRequests",
                "responses": {"200": {**_ok("A page of requests", _page_of(_ref("Request"))),
                                      "links": first_item_links("code", "tracking_code", "getRequest", "transitionRequest")}}},
    },
    "/requests/{code}": {
        "get": {"summary": "Get a request with its events", "operationId": "getRequest", "responses": {
            "200": _ok("The request", {"allOf": [_ref("Request"), {"type": "object", "required": ["events"], "properties": {
                "events": {"type": "array", "items": _ref("Event")}}}]}),
            "404": _error("No such request")}},
    },
    "/requests/{code}/transition": {
        "post": {"summary": "Move a request to another status (operator); the citizen is notified",
                 "description": "submitted -> in_review -> (needs_info -> in_review) -> approved | rejected -> delivered; cancelled from "
                                "submitted, in_review or needs_info. `reason` is required for rejected and needs_info (422 without it).",
                 "operationId": "transitionRequest",
                 "responses": {"200": _ok("The request after the change", _ref("Request")), "404": _error("No such request"),
                               "409": _error("The lifecycle does not allow this change")}},
    },
}

_SHARED_ERRORS = {"401": _error("No token, or an unknown, revoked or expired one (`token_expired` says when it stopped)"),
                  "403": _error("The token's role is too low, or the route is every agency's and the token is limited to some"),
                  "422": _error("A parameter or body field is invalid or unknown; `field` names it")}
_BODY_ERRORS = {"400": _error("The body is not JSON"), "413": _error("The body is too large")}


def _operation(request: web.Request, path: str, method: str, route: Route) -> Json:
    """The hand-written part of an operation with the route's own parameters, body and shared errors."""
    operation = {**OPERATIONS[path][method], "x-pishkhan-scope": route.scope or "national"}  # agency: a scoped token sees its agencies' only
    parameters = route.parameters(request)
    if parameters:
        operation["parameters"] = [p.openapi() for p in parameters]
    body = route.body_schema(request)
    responses = {**operation["responses"], **_SHARED_ERRORS}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        responses.update(_BODY_ERRORS)
    if IDEMPOTENCY_KEY in parameters:
        responses = keyed_responses(responses)
    return {**operation, "responses": responses}


def document(request: web.Request) -> Json:
    """The whole OpenAPI document of the API `request` reached."""
    prefix = request.path.removesuffix("/openapi.json")
    paths: dict[str, Json] = {}
    for route in request.app.router.routes():
        accepts = getattr(route.handler, ROUTE, None)
        if route.method == "HEAD" or accepts is None:  # HEAD is aiohttp's twin of GET; the document route itself is open
            continue
        assert route.resource is not None, "only aiohttp's system routes (match errors) have no resource"
        path = route.resource.canonical.removeprefix(prefix)
        paths.setdefault(path, {})[route.method.lower()] = _operation(request, path, route.method.lower(), accepts)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pishkhan operator API", "version": "1",
                 "description": "Services and requests for staff. Bearer tokens from `pishkhan tokens create --role viewer|operator|admin`: "
                                "viewers read, operators move requests, admins edit services. Errors are `{error: {code, message, field?}}`. "
                                "Unknown query parameters and body fields are refused (422 naming them)."},
        "servers": [{"url": prefix}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Service": card_schema(request), "Request": REQUEST_SCHEMA, "Event": EVENT_SCHEMA, "Error": ERROR_SCHEMA,
                        **COMPLAINT_SCHEMAS},
        },
    }


async def openapi(request: web.Request) -> web.Response:
    """GET /api/v1/openapi.json (no token needed: it describes, it does not reveal)."""
    return web.json_response(document(request))


def setup(api: web.Application) -> None:
    """Register the document route."""
    api.router.add_get("/openapi.json", openapi)
