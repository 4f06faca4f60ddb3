"""`/api/v1/services` and `/api/v1/categories`: the catalogue for operators; admins create, change
and retire services.

A change is checked like the YAML (card rules, then every generated menu and page against the USSD
limits), stored as a new content version on top of the one served (409 if another change came
first), and served at once: a service created here with inputs is on the USSD menus with the next
hop, on every worker within a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import phonenumbers
from aiohttp import web

from flows.errors import FlowError
from flows.validators import VALIDATOR_TYPES
from gateway.api.common import AGENCY, ApiError, Call, invalid, matching, not_found, requires
from gateway.api.schema import Json
from gateway.audit import token_actor
from gateway.catalogue import Service
from gateway.catalogue.editing import INPUT_NAME, MAX_ACCOUNT, MAX_LIST, MAX_TEXT, MAXIMA, InvalidCard, candidate, publish_catalogue
from gateway.catalogue.model import CHANNELS, SERVICE_ID, SERVICE_TYPES
from gateway.content.store import StaleVersion
from gateway.runtime import GATEWAY, Gateway

EDITS = web.AppKey("service_edits", asyncio.Lock)
SOURCE = "<api>"
VERSION_HEADER = "Pishkhan-Content-Version"
"""Answers to a change name the content version that holds it."""


def _service(gateway: Gateway, call: Call, service_id: str) -> Service:
    """The service if the caller's scope sees it; 404 otherwise (another agency's service is not named to it)."""
    service = gateway.catalogue.get(service_id)
    if service is None or not call.scope.sees_service(service_id):
        raise not_found(f"service has id {service_id}")
    return service


def _problems(errors: list[FlowError]) -> ApiError:
    first = errors[0]
    text = "; ".join(f"{e.message}" + (f" ({e.hint})" if e.hint else "") for e in errors)
    field = first.message.strip("`").split("`")[0] if first.message.startswith("`") else None
    return ApiError(422, "invalid", text, field)


async def _save(request: web.Request, call: Call, card: dict[str, Any], status: int, note: str,
                action: str = "service.changed") -> web.Response:
    gateway = request.app[GATEWAY]
    async with request.app[EDITS]:
        try:
            catalogue, service = candidate(gateway, card, SOURCE)
            if not call.scope.sees_agency(service.agency):  # made in, or moved to, an agency the token is not for
                agencies = ", ".join(sorted(call.scope.agencies or ()))
                raise ApiError(403, "forbidden", f"agency: this token changes only the services of {agencies}; "
                                                 f"service {service.id} would be {service.agency}'s", "agency")
            version = await publish_catalogue(gateway, catalogue, author=token_actor(call.token), note=note, action=action, subject=service.id)
        except InvalidCard as exc:
            raise _problems(exc.errors) from exc
        except StaleVersion as exc:
            raise ApiError(409, "conflict", f"{exc}; send the change again") from exc
    return web.json_response(service.to_dict(), status=status, headers={VERSION_HEADER: str(version.number)})


_ID_PATTERN = SERVICE_ID.pattern
SERVICE_ID_PARAM = matching("id", "Service id", _ID_PATTERN, "a 9-digit service id", where="path")


def _text(languages: list[str]) -> Json:
    return {"type": "object", "description": f"A text per language; {', '.join(languages)} required",
            "required": languages, "properties": {lang: {"type": "string", "minLength": 1, "maxLength": MAX_TEXT} for lang in languages},
            "additionalProperties": {"type": "string", "maxLength": MAX_TEXT}}


def _texts(languages: list[str]) -> Json:
    return {"type": "array", "maxItems": MAX_LIST, "items": _text(languages)}


def _validator_form(kind: str | list[str], required: tuple[str, ...] = (), **params: Json) -> Json:
    types = {"enum": kind} if isinstance(kind, list) else {"const": kind}
    return {"type": "object", "required": ["type", *required], "additionalProperties": False, "properties": {"type": types, **params}}


_INTEGER = {"type": "integer"}
_LENGTH = {"type": "integer", "minimum": 1}
# each validator type with exactly the parameters flows.validators.build_validator takes for it
_VALIDATOR: Json = {"description": "A validator type, or {type: ...} with that type's parameters", "anyOf": [
    {"type": "string", "enum": list(VALIDATOR_TYPES)},
    _validator_form("choice", ("options",), options={
        "type": "array", "minItems": 1, "maxItems": MAX_LIST, "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}),
    _validator_form("date", past_only={"type": "boolean"}),
    _validator_form("integer", min=_INTEGER, max=_INTEGER),
    _validator_form("mobile", region={"type": "string", "pattern": f"^(?:{'|'.join(sorted(phonenumbers.SUPPORTED_REGIONS))})$",
                                      "description": "A region phonenumbers knows: IR, AF..."}),
    _validator_form(["national_code", "tracking_code"]),
    _validator_form("text", min_length=_LENGTH, max_length=_LENGTH),
]}


def card_properties(languages: list[str], categories: list[str], agencies: list[str]) -> Json:
    """Every field of an identity card, as the API reads and writes it."""
    text, nullable_id = _text(languages), {"anyOf": [{"type": "string", "pattern": _ID_PATTERN}, {"type": "null"}]}
    optional_text = {"anyOf": [text, {"type": "object", "maxProperties": 0, "description": "none"}]}
    return {
        "id": {"type": "string", "pattern": _ID_PATTERN, "description": "9-digit service id; sub-services keep the parent's first 6 digits"},
        "parent": {**nullable_id, "description": "The parent service's id"},
        "category": {"type": "string", "enum": categories, "description": "A category of the catalogue"},
        "agency": {"anyOf": [{"type": "string", "enum": agencies}, {"type": "null"}],
                   "description": "The agency that owns the service (a sub-service's defaults to its parent's)"},
        "title": text, "short": {"anyOf": [text, {"type": "null"}], "description": "Menu label"},
        "type": {"type": "string", "enum": list(SERVICE_TYPES)},
        "description": optional_text, "documents": _texts(languages),
        "days_to_deliver": {"type": "integer", "minimum": 0, "maximum": MAXIMA["days_to_deliver"], "description": "Working days to answer (the SLA)"},
        "hours": optional_text, "visits": {"type": "integer", "minimum": 0, "maximum": MAXIMA["visits"], "description": "In-person visits"},
        "fee": {"type": "integer", "minimum": 0, "maximum": MAXIMA["fee"], "description": "Rials"},
        "account": {"anyOf": [{"type": "string", "minLength": 1, "maxLength": MAX_ACCOUNT}, {"type": "null"}],
                    "description": "Account the fee goes to"},
        "channels": {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": list(CHANNELS)}},
        "complaint": optional_text, "steps": _texts(languages),
        "inputs": {"type": "array", "maxItems": MAX_LIST, "description": "A service with inputs gets a request flow on every channel", "items": {
            "type": "object", "required": ["name", "prompt"], "additionalProperties": False, "properties": {
                "name": {"type": "string", "pattern": INPUT_NAME.pattern, "description": "Variable name"},
                "validator": _VALIDATOR, "prompt": text,
                "personal": {"type": "boolean",
                             "description": "Masked for viewers; national_code, mobile and date inputs are personal unless false"}}}},
        "active": {"type": "boolean"},
        "identity_check": {"type": "boolean", "description": "Check the citizen's mobile number against the national code they type"
                                                               " before submitting (needs a national_code input)"},
    }


def card_schema(request: web.Request, required: Callable[[Sequence[str]], Sequence[str]] = list) -> Json:
    """The card's schema for this configuration; `required` picks the required fields from all of them (default: all)."""
    gateway = request.app[GATEWAY]
    catalogue = gateway.catalogue
    properties = card_properties(list(gateway.settings.flows.languages), [c.id for c in catalogue.categories], [a.id for a in catalogue.agencies])
    return {"type": "object", "description": "A service identity card (seed 001) and the inputs a request asks for",
            "required": list(required(list(properties))), "properties": properties, "additionalProperties": False}


def _new_card(request: web.Request) -> Json:
    return card_schema(request, lambda fields: ("id", "category", "title", "type"))


def _whole_card(request: web.Request) -> Json:
    return card_schema(request, lambda fields: [name for name in fields if name != "id"])  # the id is in the path


def _some_fields(request: web.Request) -> Json:
    return card_schema(request, lambda fields: ())


@requires("viewer", scope=AGENCY)
async def list_services(request: web.Request, call: Call) -> web.Response:
    """Every service the caller's scope sees, in catalogue order."""
    services = [s for s in request.app[GATEWAY].catalogue.services if call.scope.sees_service(s.id)]
    return web.json_response({"items": [s.to_dict() for s in services], "total": len(services)})


@requires("viewer", scope=AGENCY, path=(SERVICE_ID_PARAM,))
async def get_service(request: web.Request, call: Call) -> web.Response:
    """One service's identity card and inputs."""
    return web.json_response(_service(request.app[GATEWAY], call, call.path["id"]).to_dict())


@requires("admin", scope=AGENCY, body=_new_card)
async def create_service(request: web.Request, call: Call) -> web.Response:
    """Add a service (409 when the id is taken); fields left out take their defaults. A scoped admin adds services to
    its own agencies only (403 naming `agency`)."""
    card = call.body
    if request.app[GATEWAY].catalogue.get(card["id"]) is not None:
        raise ApiError(409, "exists", f"service {card['id']} exists; change it with PUT or PATCH /services/{card['id']}")
    return await _save(request, call, card, 201, f"service {card['id']} created")


def _same_id(call: Call) -> str:
    service_id = call.path["id"]
    if call.body.get("id", service_id) != service_id:
        raise invalid("id", "the id in the body differs from the one in the path; ids cannot change")
    return service_id


@requires("admin", scope=AGENCY, path=(SERVICE_ID_PARAM,), body=_whole_card)
async def replace_service(request: web.Request, call: Call) -> web.Response:
    """PUT: the body is the whole card, every field of it, so nothing is reset by being left out."""
    service_id = _same_id(call)
    _service(request.app[GATEWAY], call, service_id)
    return await _save(request, call, {**call.body, "id": service_id}, 200, f"service {service_id} replaced")


@requires("admin", scope=AGENCY, path=(SERVICE_ID_PARAM,), body=_some_fields)
async def update_service(request: web.Request, call: Call) -> web.Response:
    """PATCH: only the fields given change."""
    service_id = _same_id(call)
    existing = _service(request.app[GATEWAY], call, service_id)
    return await _save(request, call, {**existing.to_dict(), **call.body, "id": service_id}, 200,
                       f"service {service_id}: {', '.join(sorted(call.body)) or 'nothing'} changed")


@requires("admin", scope=AGENCY, path=(SERVICE_ID_PARAM,))
async def retire_service(request: web.Request, call: Call) -> web.Response:
    """DELETE: the service leaves every menu (`active: false`) in a new version; it stays in the
    catalogue and the store, so its old requests keep their titles and status lookups."""
    service_id = call.path["id"]
    existing = _service(request.app[GATEWAY], call, service_id)
    if not existing.active:
        return web.json_response(existing.to_dict(), headers={VERSION_HEADER: str(request.app[GATEWAY].content.number)})
    return await _save(request, call, {**existing.to_dict(), "active": False}, 200, f"service {service_id} retired", "service.retired")


@requires("viewer", scope=AGENCY)
async def list_categories(request: web.Request, call: Call) -> web.Response:
    """Every category (the menus every agency shares), in menu order, with how many active services each holds of those
    the caller's scope sees."""
    catalogue = request.app[GATEWAY].catalogue
    items = [{"id": c.id, "title": dict(c.title),
              "services": sum(1 for s in catalogue.services if s.category == c.id and s.active and call.scope.sees_service(s.id))}
             for c in catalogue.categories]
    return web.json_response({"items": items, "total": len(items)})


def setup(api: web.Application) -> None:
    """Register the service routes on the API sub-application."""
    api[EDITS] = asyncio.Lock()
    api.router.add_get("/services", list_services)
    api.router.add_post("/services", create_service)
    api.router.add_get("/services/{id}", get_service)
    api.router.add_put("/services/{id}", replace_service)
    api.router.add_patch("/services/{id}", update_service)
    api.router.add_delete("/services/{id}", retire_service)
    api.router.add_get("/categories", list_categories)
