"""`POST /api/v1/requests/transitions`: an agency's back-office system moves many requests in one call.

Each tracking code goes through the single route's own path (`gateway.api.requests.move`: the same checks,
audit entry and citizen's message), in its own transaction, in the order given; the answer has one result
per code, moved (with the request as the single route shows it) or refused (with the status, code and
message the single route would have answered), so the caller retries just the refused ones. With an
`Idempotency-Key`, each code's result is stored in its transition's transaction: a retry after a crash half
way moves only the codes the first run did not reach (a refusal is not stored: asked again, it is looked at
again, and nothing was changed by it).
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from gateway.api.common import AGENCY, ApiError, Call, requires
from gateway.api.idempotency import idempotent, once_of
from gateway.api.requests import MANY, TRACKING_CODE, TRANSITION, move, shown_to
from gateway.api.schema import Json
from gateway.requests import RequestRecord

MAX_CODES = 100
"""Codes per call: a hundred transitions took 0.6 s on SQLite and 0.7 to 0.9 s on PostgreSQL (a busy 2-core machine),
well inside a client's timeout."""

BULK: Json = {"type": "object", "required": ["tracking_codes", "to"], "additionalProperties": False, "properties": {
    "tracking_codes": {"type": "array", "minItems": 1, "maxItems": MAX_CODES, "uniqueItems": True,
                       "items": {"type": "string", "pattern": TRACKING_CODE}, "description": "The requests to move, each once"},
    **TRANSITION["properties"]}}

RESULT: Json = {"type": "object", "required": ["tracking_code", "moved"], "properties": {
    "tracking_code": {"type": "string", "pattern": TRACKING_CODE},
    "moved": {"type": "boolean"},
    "request": {"$ref": "#/components/schemas/Request", "description": "When moved: the request after the change"},
    "status": {"type": "integer", "description": "When refused: the HTTP status the single route would have answered (404, 409, 422)"},
    "error": {"type": "object", "required": ["code", "message"], "description": "When refused: the single route's error",
              "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}}

OPENAPI_PATHS: dict[str, dict[str, Json]] = {
    "/requests/transitions": {"post": {
        "summary": "Move many requests to one status (operator); each citizen is notified",
        "description": f"At most {MAX_CODES} tracking codes, each at most once. Each goes through transitionRequest's own checks, "
                       "audit and notification, in the order given; one refused does not stop the others. The answer is 200 with a "
                       "result per code: `moved` with the request, or the status and error transitionRequest would have answered.",
        "operationId": "transitionRequests",
        "responses": {"200": {"description": "A result per code, in the order given", "content": {"application/json": {"schema": {
            "type": "object", "required": ["results", "moved", "refused"], "properties": {
                "results": {"type": "array", "items": RESULT},
                "moved": {"type": "integer", "minimum": 0}, "refused": {"type": "integer", "minimum": 0}}}}}}}}},
}
"""The document's part for this route (gateway.api.openapi)."""


def _moved(shown: Callable[[RequestRecord], Json]) -> Callable[[RequestRecord], Json]:
    return lambda record: {"tracking_code": record.tracking_code, "moved": True, "request": shown(record)}


def _refused(code: str, error: ApiError) -> Json:
    return {"tracking_code": code, "moved": False, "status": error.status, "error": error.body()}


@requires("operator", scope=AGENCY, body=BULK)
@idempotent
async def transitions(request: web.Request, call: Call) -> web.Response:
    """Move each code in turn; a result per code (another agency's code: refused as not found, by `move`)."""
    once = once_of(request)
    moved = _moved(shown_to(request, call.token))
    codes = call.body["tracking_codes"]
    for code in codes:
        if code in once.parts:  # moved by this key's first run, which died before answering
            continue
        try:
            await move(request, call, code, once.part(code, moved))
        except ApiError as error:
            once.parts[code] = _refused(code, error)
    results = [once.parts[code] for code in codes]
    done = sum(result["moved"] for result in results)
    return web.json_response({"results": results, "moved": done, "refused": len(results) - done})


def setup(api: web.Application) -> None:
    """Register the bulk route on the API sub-application."""
    api.router.add_post(f"/requests/{MANY}", transitions)
