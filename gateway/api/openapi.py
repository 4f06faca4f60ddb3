"""The OpenAPI 3.1 document of the operator API, written by hand next to the routes it describes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api.outbox import OPENAPI_PATHS as OUTBOX_PATHS
from gateway.api.payments import OPENAPI_PATHS as PAYMENT_PATHS
from gateway.requests import STATUSES

Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: Json) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_AUTH = {"401": _error("No token, or an unknown or revoked one"), "403": _error("The token's role is too low")}
_BODY = {"400": _error("The body is not JSON"), "413": _error("The body is too large"), "422": _error("A field is invalid; `field` names it")}
_LOCALISED = {"type": "object", "description": "A text per language", "properties": {"fa": {"type": "string"}, "en": {"type": "string"}},
              "required": ["fa", "en"], "additionalProperties": {"type": "string"}}
_PAGE = {"type": "object", "required": ["items", "total"], "properties": {"total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}}}


def _query(name: str, description: str, schema: Json) -> Json:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _path(name: str, description: str) -> Json:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


SERVICE_SCHEMA: Json = {
    "type": "object",
    "description": "A service identity card (seed 001) and the inputs a request asks for",
    "required": ["id", "category", "title", "type"],
    "properties": {
        "id": {"type": "string", "pattern": "^[1-9][0-9]{8}$", "description": "9-digit service id; sub-services keep the parent's prefix"},
        "parent": {"type": ["string", "null"], "description": "The parent service's id"},
        "category": {"type": "string", "description": "A category id of the catalogue"},
        "title": _LOCALISED, "short": {"oneOf": [_LOCALISED, {"type": "null"}], "description": "Menu label"},
        "type": {"enum": ["G2C", "G2B", "G2G"]},
        "description": _LOCALISED, "documents": {"type": "array", "items": _LOCALISED},
        "days_to_deliver": {"type": "integer", "minimum": 0, "description": "Working days to answer (the SLA)"},
        "hours": _LOCALISED, "visits": {"type": "integer", "minimum": 0, "description": "In-person visits"},
        "fee": {"type": "integer", "minimum": 0, "description": "Rials"}, "account": {"type": ["string", "null"], "description": "Account the fee goes to"},
        "channels": {"type": "array", "items": {"enum": ["web", "email", "ivr", "app", "sms", "ussd", "telegram", "counter"]}},
        "complaint": _LOCALISED, "steps": {"type": "array", "items": _LOCALISED},
        "inputs": {"type": "array", "description": "A service with inputs gets a request flow on every channel", "items": {
            "type": "object", "required": ["name", "prompt"], "properties": {
                "name": {"type": "string", "description": "Variable name"},
                "validator": {"description": "choice, integer, text, national_code, mobile, date, tracking_code; or {type: ..., options/min/max/max_length}",
                              "oneOf": [{"type": "string"}, {"type": "object"}]},
                "prompt": _LOCALISED}}},
        "active": {"type": "boolean", "default": True},
    },
}

REQUEST_SCHEMA: Json = {
    "type": "object",
    "properties": {
        "tracking_code": {"type": "string", "pattern": "^[0-9]{10,12}$"}, "service_id": {"type": "string"},
        "status": {"enum": list(STATUSES)}, "channel": {"type": "string"},
        "address": {"type": "string", "description": "Masked for viewers"}, "phone": {"type": ["string", "null"], "description": "E.164; masked for viewers"},
        "national_code": {"type": ["string", "null"], "description": "Masked for viewers"}, "lang": {"type": "string"},
        "inputs": {"type": "object", "additionalProperties": {"type": "string"}}, "fee": {"type": "integer"},
        "payment_state": {"enum": ["none", "pending", "paid", "failed"]}, "due_date": {"type": "string", "format": "date"},
        "late": {"type": "boolean", "description": "Still open after its due date"},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    },
}

EVENT_SCHEMA: Json = {"type": "object", "properties": {
    "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
    "from": {"type": ["string", "null"]}, "to": {"type": "string"}, "reason": {"type": ["string", "null"]}}}


def document() -> Json:
    """The whole OpenAPI document."""
    service_id = _path("id", "9-digit service id")
    code = _path("code", "Tracking code")
    service_body = {"required": True, "content": {"application/json": {"schema": _ref("Service")}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pishkhan operator API", "version": "1",
                 "description": "Services and requests for staff. Bearer tokens from `pishkhan tokens create --role viewer|operator|admin`: "
                                "viewers read, operators move requests, admins edit services. Errors are `{error: {code, message, field?}}`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            **PAYMENT_PATHS,  # kept beside their handlers in gateway.api.payments
            **OUTBOX_PATHS,  # and in gateway.api.outbox
            "/services": {
                "get": {"summary": "List services", "operationId": "listServices", "responses": {
                    "200": _ok("Every service in catalogue order", {**_PAGE, "properties": {**_PAGE["properties"], "items": {"type": "array", "items": _ref("Service")}}}), **_AUTH}},
                "post": {"summary": "Create a service (admin); it is on the menus at once", "operationId": "createService", "requestBody": service_body,
                         "responses": {"201": _ok("Created", _ref("Service")), "409": _error("The id is taken"), **_AUTH, **_BODY}},
            },
            "/services/{id}": {
                "parameters": [service_id],
                "get": {"summary": "Get a service", "operationId": "getService", "responses": {"200": _ok("The service", _ref("Service")), "404": _error("No such service"), **_AUTH}},
                "put": {"summary": "Replace a service (admin)", "operationId": "replaceService", "requestBody": service_body,
                        "responses": {"200": _ok("Replaced", _ref("Service")), "404": _error("No such service"), **_AUTH, **_BODY}},
                "patch": {"summary": "Change some fields of a service (admin)", "operationId": "updateService",
                          "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                          "responses": {"200": _ok("Changed", _ref("Service")), "404": _error("No such service"), **_AUTH, **_BODY}},
            },
            "/requests": {
                "get": {"summary": "List requests, newest first", "operationId": "listRequests", "parameters": [
                    _query("status", "Only this status", {"enum": list(STATUSES)}),
                    _query("service_id", "Only this service", {"type": "string"}),
                    _query("created_from", "Created on or after this day (ISO or Jalali)", {"type": "string"}),
                    _query("created_to", "Created on or before this day (ISO or Jalali)", {"type": "string"}),
                    _query("late", "true: only open requests past their due date", {"enum": ["true", "false"]}),
                    _query("limit", "Page size", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
                    _query("offset", "Rows to skip", {"type": "integer", "minimum": 0, "default": 0}),
                ], "responses": {"200": _ok("A page of requests", {**_PAGE, "properties": {**_PAGE["properties"], "items": {"type": "array", "items": _ref("Request")}}}),
                                 "422": _error("A filter is invalid"), **_AUTH}},
            },
            "/requests/{code}": {
                "parameters": [code],
                "get": {"summary": "Get a request with its events", "operationId": "getRequest", "responses": {
                    "200": _ok("The request", {"allOf": [_ref("Request"), {"type": "object", "properties": {"events": {"type": "array", "items": _ref("Event")}}}]}),
                    "404": _error("No such request"), **_AUTH}},
            },
            "/requests/{code}/transition": {
                "parameters": [code],
                "post": {"summary": "Move a request to another status (operator); the citizen is notified",
                         "description": "submitted -> in_review -> (needs_info -> in_review) -> approved | rejected -> delivered; cancelled from "
                                        "submitted, in_review or needs_info. `reason` is required for rejected and needs_info.",
                         "operationId": "transitionRequest",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["to"], "properties": {"to": {"enum": list(STATUSES)}, "reason": {"type": "string", "maxLength": 500}}}}}},
                         "responses": {"200": _ok("The request after the change", _ref("Request")), "404": _error("No such request"),
                                       "409": _error("The lifecycle does not allow this change"), **_AUTH, **_BODY}},
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Service": SERVICE_SCHEMA, "Request": REQUEST_SCHEMA, "Event": EVENT_SCHEMA,
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}},
            },
        },
    }


async def openapi(request: web.Request) -> web.Response:
    """GET /api/v1/openapi.json (no token needed: it describes, it does not reveal)."""
    return web.json_response(document())


def setup(api: web.Application) -> None:
    """Register the document route."""
    api.router.add_get("/openapi.json", openapi)
