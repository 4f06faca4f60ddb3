"""`/api/v1/consultations`: operators open polls, list and read them with their results, and close them.

Every field is checked (unknown ones are errors), and a poll's texts must fit its USSD screen in every
language; the answer names the field that is wrong. Opening and closing are audited (`consultation.*`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from flows.dates import iso_utc
from gateway.api.common import AGENCY, OFFSET, ApiError, Call, first_item_links, invalid, not_found, page_size, requires, row_id
from gateway.audit import token_actor
from gateway.catalogue.model import SERVICE_ID
from gateway.consultations.service import MAX_OPTIONS, MIN_OPTIONS, PollError, PollNotFound, PollService, at_time
from gateway.consultations.store import Poll
from gateway.runtime import GATEWAY

POLL_ID = row_id("consultation id")
MOMENT = (r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
          r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$")
"""An ISO 8601 date and time with its offset from UTC (a day the month lacks is refused by `at_time`, naming the field)."""


def _texts(request: web.Request) -> dict[str, Any]:
    """A text in each configured language, nothing else."""
    languages = list(request.app[GATEWAY].settings.flows.languages)
    return {"type": "object", "required": languages, "additionalProperties": False,
            "properties": {lang: {"type": "string", "minLength": 1, "maxLength": 300} for lang in languages}}


def new_poll(request: web.Request) -> dict[str, Any]:
    """The body of `POST /consultations`."""
    form = "ISO 8601 with its offset: 2026-12-01T08:00:00+03:30"
    when = {"type": "string", "pattern": MOMENT}
    return {"type": "object", "required": ["question", "options", "closes_at"], "additionalProperties": False, "properties": {
        "question": _texts(request),
        "options": {"type": "array", "minItems": MIN_OPTIONS, "maxItems": MAX_OPTIONS, "items": _texts(request)},
        "opens_at": {**when, "description": f"when citizens may answer from (default: now); {form}"},
        "closes_at": {**when, "description": f"when answers stop; {form}"},
        "audience_service": {"type": "string", "pattern": SERVICE_ID.pattern,
                             "description": "only citizens who made a request for this service (default: everyone)"},
    }}


def poll_json(poll: Poll, now: float) -> dict[str, Any]:
    """A poll as the API shows it."""
    return {"id": poll.id, "question": poll.question, "options": list(poll.options), "state": poll.state(now),
            "opens_at": iso_utc(poll.opens_at), "closes_at": iso_utc(poll.closes_at),
            "audience": {"service_id": poll.audience_service} if poll.audience_service else "everyone",
            "created_by": poll.created_by, "created_at": iso_utc(poll.created_at), "closed_by": poll.closed_by}


def _polls(request: web.Request) -> PollService:
    return request.app[GATEWAY].polls


async def _with_results(polls: PollService, poll: Poll) -> dict[str, Any]:
    return {**poll_json(poll, polls.clock()), "results": await polls.results(poll)}


def _national(call: Call) -> None:
    """A poll for everyone belongs to no agency: only a token limited to none may open or close one."""
    if not call.scope.national:
        raise ApiError(403, "national_only", "a consultation for everyone is every agency's: it needs a token limited to no agency; "
                                             "give `audience_service`, one of this token's services")


async def _seen_poll(polls: PollService, call: Call, poll_id: int) -> Poll:
    """The poll if the caller's scope sees it (for everyone, or for one of its services); 404 otherwise."""
    poll = await polls.get(poll_id)
    if poll is None or (poll.audience_service is not None and not call.scope.sees_service(poll.audience_service)):
        raise not_found(f"consultation has id {poll_id}")
    return poll


@requires("viewer", scope=AGENCY, query=(page_size, OFFSET))
async def list_polls(request: web.Request, call: Call) -> web.Response:
    """Polls newest first, each with its results: everyone's, and those for the caller's scope's services."""
    polls = _polls(request)
    found, total = await polls.page(call.query["limit"], call.query["offset"], call.scope.services)
    return web.json_response({"items": [await _with_results(polls, p) for p in found], "total": total,
                              "limit": call.query["limit"], "offset": call.query["offset"]})


@requires("viewer", scope=AGENCY, path=(POLL_ID,))
async def get_poll(request: web.Request, call: Call) -> web.Response:
    """One poll with its results per option and channel."""
    polls = _polls(request)
    poll = await _seen_poll(polls, call, call.path["id"])
    return web.json_response(await _with_results(polls, poll))


@requires("operator", scope=AGENCY, body=new_poll)
async def open_poll(request: web.Request, call: Call) -> web.Response:
    """Open a poll (201 with it). A scoped token opens polls for its own services only: another agency's service is
    unknown to it, as in its service list, and a poll for everyone is national."""
    polls, body = _polls(request), call.body
    audience = body.get("audience_service")
    if audience is None:
        _national(call)
    elif not call.scope.sees_service(audience):
        raise invalid("audience_service", f"no service has id {audience}")
    try:
        opens_at = at_time("opens_at", body["opens_at"]) if "opens_at" in body else None
        new = polls.checked(body["question"], body["options"], opens_at, at_time("closes_at", body["closes_at"]),
                            body.get("audience_service"))
    except PollError as error:
        raise invalid(error.field, str(error).partition(": ")[2]) from None
    poll = await polls.open(new, token_actor(call.token))
    return web.json_response(await _with_results(polls, poll), status=201)


@requires("operator", scope=AGENCY, path=(POLL_ID,))
async def close_poll(request: web.Request, call: Call) -> web.Response:
    """End a poll now; its answers so far stay. Another agency's poll is not found; one for everyone is national."""
    polls = _polls(request)
    if (await _seen_poll(polls, call, call.path["id"])).audience_service is None:
        _national(call)
    try:
        poll = await polls.close(call.path["id"], token_actor(call.token))
    except PollNotFound as error:
        raise ApiError(404, "not_found", str(error).partition(": ")[2]) from None
    return web.json_response(await _with_results(polls, poll))


_TEXT = {"type": "object", "additionalProperties": {"type": "string"}, "description": "The text in each configured language"}
_POLL = {"type": "object", "required": ["id", "question", "options", "state", "opens_at", "closes_at", "audience", "results"], "properties": {
    "id": {"type": "integer"}, "question": _TEXT, "options": {"type": "array", "items": _TEXT},
    "state": {"enum": ["scheduled", "open", "closed"]}, "opens_at": {"type": "string", "format": "date-time"},
    "closes_at": {"type": "string", "format": "date-time"},
    "audience": {"oneOf": [{"const": "everyone"}, {"type": "object", "properties": {"service_id": {"type": "string"}}}]},
    "created_by": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}, "closed_by": {"type": ["string", "null"]},
    "results": {"type": "object", "description": "`total`; per option (1-based) its `votes` and `by_channel`; `by_channel` in all"}}}
_ERROR = {"description": "No such consultation", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


OPENAPI_PATHS: dict[str, Any] = {
    "/consultations": {
        "get": {"summary": "List consultations (polls), newest first, with their results (viewer)", "operationId": "listConsultations",
                "responses": {"200": {**_answer("A page of polls", {"type": "object", "required": ["items", "total"], "properties": {
                    "items": {"type": "array", "items": _POLL}, "total": {"type": "integer"}}}),
                    "links": first_item_links("id", "id", "getConsultation", "closeConsultation")}}},
        "post": {"summary": "Open a consultation (operator)", "operationId": "openConsultation",
                 "description": "Texts in every configured language; 2 to 9 options; the question with its options must fit one USSD "
                                "page in each language (422 says by how much it is over). One answer per phone number, on any channel.",
                 "responses": {"201": _answer("The poll", _POLL)}},
    },
    "/consultations/{id}": {"get": {"summary": "One consultation with its results per option and channel (viewer)",
                                    "operationId": "getConsultation", "responses": {"200": _answer("The poll", _POLL), "404": _ERROR}}},
    "/consultations/{id}/close": {"post": {"summary": "Close a consultation now (operator); its answers stay", "operationId": "closeConsultation",
                                           "responses": {"200": _answer("The poll", _POLL), "404": _ERROR}}},
}
"""What these routes do and answer, relative to /api/v1, for the API's document."""


def setup(api: web.Application) -> None:
    """Register the consultation routes on the API sub-application."""
    api.router.add_get("/consultations", list_polls)
    api.router.add_post("/consultations", open_poll)
    api.router.add_get("/consultations/{id}", get_poll)
    api.router.add_post("/consultations/{id}/close", close_poll)
