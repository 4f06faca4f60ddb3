"""The operator API under `/api/v1`: JSON, bearer tokens with roles, an OpenAPI document.

A sub-application, so its JSON errors and body limits apply to its routes only.
"""

from __future__ import annotations

from aiohttp import web

from gateway.api import openapi, outbox, payments, requests, services
from gateway.api.common import SETTINGS, TOKENS, ApiSettings, api_errors
from gateway.app import GATEWAY
from gateway.settings import section
from gateway.tokens import TokenStore

PREFIX = "/api/v1"


def setup(app: web.Application) -> None:
    """Mount the API on the gateway's application."""
    gateway = app[GATEWAY]
    settings = section(ApiSettings, gateway.settings.raw.get("api"), "api")
    api = web.Application(middlewares=[api_errors], client_max_size=settings.max_body_bytes)
    api[GATEWAY] = gateway
    api[SETTINGS] = settings
    api[TOKENS] = TokenStore(gateway.db)
    for module in (services, requests, payments, outbox, openapi):
        module.setup(api)
    app.add_subapp(PREFIX, api)
