"""`/api/v1/flows`: content versions for admins: list, export, publish, roll back.

The flows and the whole catalogue are what every agency shares: only admins limited to no agency (NATIONAL).

The same steps as `pishkhan flows publish` and `rollback` (gateway.content.publish); a body is the
content as `export` gives it, so a version fetched here publishes back to the same version.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from flows.errors import FlowErrors
from gateway.api.common import MAX_ID, NATIONAL, OFFSET, ApiError, Call, page_size, requires, whole
from gateway.api.schema import Json
from gateway.api.services import EDITS
from gateway.audit import token_actor
from gateway.content.model import Content
from gateway.content.publish import NothingToRollBack, Outcome
from gateway.content.store import StaleVersion, UnknownVersion
from gateway.runtime import GATEWAY

VERSION = whole("version", "Content version number", 1, MAX_ID, where="path")
MAX_NOTE = 500
_FILE = "^[A-Za-z0-9_-]{1,64}[.]ya?ml$"
_NOTE: Json = {"type": "string", "maxLength": MAX_NOTE, "description": "Why: shown in `flows versions` and the audit trail"}
PUBLISH_BODY: Json = {
    "type": "object", "required": ["flows", "catalogue"], "additionalProperties": False,
    "description": "A version's content, as GET /flows/{version} gives it",
    "properties": {
        "flows": {"type": "object", "description": "Flow file name → the flow (as its YAML reads)", "maxProperties": 200,
                  "propertyNames": {"pattern": _FILE}, "additionalProperties": {"type": "object"}},
        "catalogue": {"type": "object", "description": "The catalogue (as config/catalogue.yaml reads)"},
        "note": _NOTE,
    },
}
ROLLBACK_BODY: Json = {
    "type": "object", "additionalProperties": False,
    "properties": {"version": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "Default: the one before the live version"}},
}


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """What a publish or rollback did, for the operator who asked."""
    change = outcome.change
    return {
        "version": outcome.version.to_dict(), "created": outcome.created, "unchanged": change.unchanged,
        "removed_nodes": sorted(change.removed), "conversations_moved": change.conversations_moved,
        "summary": change.diff.summary() if change.diff is not None else None,
    }


def flow_problems(errors: FlowErrors) -> ApiError:
    """422 listing every problem with its file, node and hint."""
    details = [{"file": e.file, "node": e.node, "message": e.message, "hint": e.hint} for e in errors.errors]
    return ApiError(422, "invalid", f"{len(details)} problem(s); the first: {errors.errors[0]}", details=details)


@requires("admin", scope=NATIONAL, query=(page_size, OFFSET))
async def list_versions(request: web.Request, call: Call) -> web.Response:
    """Versions, newest first, and the one served now."""
    gateway = request.app[GATEWAY]
    versions, total = await gateway.publisher.store.versions(call.query["limit"], call.query["offset"])
    return web.json_response({"items": [v.to_dict() for v in versions], "total": total,
                              "live": await gateway.publisher.store.live_number(), "served": gateway.content.number})


@requires("admin", scope=NATIONAL, path=(VERSION,))
async def get_version(request: web.Request, call: Call) -> web.Response:
    """One version: its record and its content (flows and catalogue)."""
    try:
        version, content = await request.app[GATEWAY].publisher.store.get(call.path["version"])
    except UnknownVersion as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    return web.json_response({"version": version.to_dict(), "content": {"flows": dict(content.flows), "catalogue": content.catalogue}})


@requires("admin", scope=NATIONAL, body=PUBLISH_BODY, whole_content=True)
async def publish(request: web.Request, call: Call) -> web.Response:
    """Check and publish content as a new live version (200 with `unchanged` when it is the live one)."""
    gateway = request.app[GATEWAY]
    content = Content(flows=call.body["flows"], catalogue=call.body["catalogue"])
    async with request.app[EDITS]:
        try:
            change = await gateway.publisher.prepare_content(content)
            outcome = await gateway.publisher.publish(change, author=token_actor(call.token), note=call.body.get("note", ""))
        except FlowErrors as errors:
            raise flow_problems(errors) from errors
        except StaleVersion as exc:
            raise ApiError(409, "conflict", str(exc)) from exc
        await gateway.watcher.follow()
    return web.json_response(outcome_json(outcome), status=201 if outcome.created else 200)


@requires("admin", scope=NATIONAL, body=ROLLBACK_BODY)
async def roll_back(request: web.Request, call: Call) -> web.Response:
    """Serve an earlier version again (by default the one before the live version)."""
    gateway = request.app[GATEWAY]
    async with request.app[EDITS]:
        try:
            outcome = await gateway.publisher.roll_back(call.body.get("version"), by=token_actor(call.token))
        except UnknownVersion as exc:
            raise ApiError(404, "not_found", str(exc)) from exc
        except NothingToRollBack as exc:
            raise ApiError(409, "nothing_to_roll_back", str(exc)) from exc
        except FlowErrors as errors:
            raise flow_problems(errors) from errors
        except StaleVersion as exc:
            raise ApiError(409, "conflict", str(exc)) from exc
        await gateway.watcher.follow()
    return web.json_response(outcome_json(outcome))


def setup(api: web.Application) -> None:
    """Register the content version routes."""
    api.router.add_get("/flows", list_versions)
    api.router.add_post("/flows", publish)
    api.router.add_post("/flows/rollback", roll_back)
    api.router.add_get(r"/flows/{version:\d+}", get_version)  # digits only: /flows/rollback is not a version


def _json(description: str, schema: Json) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR = _json("See the error's code and message", {"$ref": "#/components/schemas/Error"})
_VERSION: Json = {"type": "object", "required": ["version", "digest", "author", "created_at", "note", "live"], "properties": {
    "version": {"type": "integer", "minimum": 1}, "digest": {"type": "string"}, "author": {"type": "string"},
    "created_at": {"type": "number"}, "note": {"type": "string"}, "live": {"type": "boolean"}}}
_OUTCOME: Json = {"type": "object", "required": ["version", "created", "unchanged", "removed_nodes", "conversations_moved", "summary"],
                  "properties": {
    "summary": {"type": ["string", "null"], "description": "What changed, in one line (the audit trail has the whole diff)"},
    "version": _VERSION, "created": {"type": "boolean"}, "unchanged": {"type": "boolean"},
    "removed_nodes": {"type": "array", "items": {"type": "string"}, "description": "flow:node ids the live version had and this one removes"},
    "conversations_moved": {"type": ["integer", "null"], "description": "Live conversations on removed nodes (moved to a surviving screen)"}}}
OPENAPI_PATHS: dict[str, Any] = {
    "/flows": {
        "get": {"summary": "List content versions, newest first (admin)", "operationId": "listVersions", "responses": {"200": _json(
            "A page of versions; `live` is the version in the store, `served` the one this worker serves", {
                "type": "object", "required": ["items", "total", "live", "served"], "properties": {
                    "items": {"type": "array", "items": _VERSION}, "total": {"type": "integer"},
                    "live": {"type": ["integer", "null"]}, "served": {"type": "integer"}}})}},
        "post": {"summary": "Publish flows and catalogue as a new live version (admin)", "operationId": "publishVersion",
                 "description": "Checked as `pishkhan flows publish` checks config/; 422 lists every problem in `details`. Every worker "
                                "serves the new version within seconds; conversations on removed nodes are moved to a surviving screen.",
                 "responses": {"201": _json("Published", _OUTCOME), "200": _json("The content is the live version's already", _OUTCOME),
                               "409": _ERROR}},
    },
    "/flows/rollback": {
        "post": {"summary": "Serve an earlier version again (admin)", "operationId": "rollBack",
                 "responses": {"200": _json("Live again", _OUTCOME), "404": _ERROR, "409": _ERROR}},
    },
    "/flows/{version}": {
        "get": {"summary": "One version with its content (admin): publishing that content gives the same version", "operationId": "getVersion",
                "responses": {"200": _json("The version", {"type": "object", "required": ["version", "content"], "properties": {
                    "version": _VERSION, "content": {"type": "object", "required": ["flows", "catalogue"], "properties": {
                        "flows": {"type": "object"}, "catalogue": {"type": "object"}}}}}), "404": _ERROR}},
    },
}
