"""`/api/v1/services`: the catalogue for operators; admins create and change services.

A change is checked like the YAML (card rules, then every generated menu and page against the USSD
limits) before it is stored, and the engine is rebuilt at once: a service created here with inputs
is on the USSD menus with the next hop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from flows.errors import FlowError, FlowErrors
from gateway.api.common import ApiError, json_body, requires
from gateway.catalogue import Catalogue, Service, parse_catalogue
from gateway.catalogue.store import CatalogueStore
from gateway.runtime import GATEWAY, Gateway
from gateway.tokens import TokenInfo

EDITS = web.AppKey("service_edits", asyncio.Lock)
SOURCE = "<api>"


def _service(gateway: Gateway, service_id: str) -> Service:
    service = gateway.catalogue.get(service_id)
    if service is None:
        raise ApiError(404, "not_found", f"no service has id {service_id}")
    return service


def _problems(errors: list[FlowError]) -> ApiError:
    first = errors[0]
    text = "; ".join(f"{e.message}" + (f" ({e.hint})" if e.hint else "") for e in errors)
    field = first.message.strip("`").split("`")[0] if first.message.startswith("`") else None
    return ApiError(422, "invalid", text, field)


def _missing_languages(service: Service, languages: tuple[str, ...]) -> list[FlowError]:
    """Every text the menus show must exist in every language (the YAML loader leaves this to the flows)."""
    texts: list[tuple[str, Any]] = [("title", service.title), ("short", service.short or {})]
    texts += [(key, getattr(service, key)) for key in ("description", "hours", "complaint")]
    texts += [(f"documents[{i}]", t) for i, t in enumerate(service.documents)]
    texts += [(f"steps[{i}]", t) for i, t in enumerate(service.steps)]
    texts += [(f"inputs[{i}].prompt", item.prompt) for i, item in enumerate(service.inputs)]
    return [
        FlowError(SOURCE, f"service {service.id}", f"`{key.split('[')[0]}` has no {', '.join(missing)} text", f"give it {{{', '.join(languages)}}}")
        for key, text in texts
        if (key in ("title",) or text) and (missing := [lang for lang in languages if not text.get(lang)])
    ]


def _candidate(gateway: Gateway, card: dict[str, Any]) -> tuple[Catalogue, Service]:
    """The catalogue with `card` added or replacing its id, checked as a whole; ApiError 422 if not valid."""
    current = gateway.catalogue
    services = [card if s.id == card.get("id") else s.to_dict() for s in current.services]  # a change keeps its place
    if current.get(str(card.get("id"))) is None:
        services.append(card)
    data = {"categories": [{"id": c.id, "title": dict(c.title)} for c in current.categories], "services": services}
    errors: list[FlowError] = []
    catalogue = parse_catalogue(data, SOURCE, errors, default_region=gateway.settings.flows.default_region)
    service = catalogue.get(str(card.get("id")))
    if service is not None:
        errors.extend(_missing_languages(service, tuple(gateway.settings.flows.languages)))
    if errors:
        raise _problems(errors)
    try:
        gateway.engine_for(catalogue)
    except FlowErrors as exc:
        raise _problems(exc.errors) from exc
    assert service is not None
    return catalogue, service


async def _save(request: web.Request, card: dict[str, Any], status: int) -> web.Response:
    gateway = request.app[GATEWAY]
    async with request.app[EDITS]:
        catalogue, service = _candidate(gateway, card)
        await CatalogueStore(gateway.db, default_region=gateway.settings.flows.default_region).save_service(service)
        gateway.use_catalogue(catalogue)
    return web.json_response(service.to_dict(), status=status)


@requires("viewer")
async def list_services(request: web.Request, token: TokenInfo) -> web.Response:
    """Every service, in catalogue order."""
    services = request.app[GATEWAY].catalogue.services
    return web.json_response({"items": [s.to_dict() for s in services], "total": len(services)})


@requires("viewer")
async def get_service(request: web.Request, token: TokenInfo) -> web.Response:
    """One service's identity card and inputs."""
    return web.json_response(_service(request.app[GATEWAY], request.match_info["id"]).to_dict())


@requires("admin")
async def create_service(request: web.Request, token: TokenInfo) -> web.Response:
    """Add a service (409 when the id is taken)."""
    card = await json_body(request)
    if request.app[GATEWAY].catalogue.get(str(card.get("id"))) is not None:
        raise ApiError(409, "exists", f"service {card.get('id')} exists; change it with PUT or PATCH /services/{card.get('id')}")
    return await _save(request, card, 201)


@requires("admin")
async def replace_service(request: web.Request, token: TokenInfo) -> web.Response:
    """PUT: the body is the whole card; PATCH: only the fields given change."""
    service_id = request.match_info["id"]
    existing = _service(request.app[GATEWAY], service_id)
    body = await json_body(request)
    if "id" in body and str(body["id"]) != service_id:
        raise ApiError(422, "invalid", "id: the id in the body differs from the one in the path; ids cannot change", "id")
    card = {**existing.to_dict(), **body} if request.method == "PATCH" else body
    return await _save(request, {**card, "id": service_id}, 200)


def setup(api: web.Application) -> None:
    """Register the service routes on the API sub-application."""
    api[EDITS] = asyncio.Lock()
    api.router.add_get("/services", list_services)
    api.router.add_post("/services", create_service)
    api.router.add_get("/services/{id}", get_service)
    api.router.add_put("/services/{id}", replace_service)
    api.router.add_patch("/services/{id}", replace_service)
