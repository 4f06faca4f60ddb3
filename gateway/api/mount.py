"""Mounts the operator API under `/api/v1`.

A sub-application, so its JSON errors and body limits apply to its routes only.
"""

from __future__ import annotations

from aiohttp import web

from gateway.api import analytics, audit, bulk, complaints, flows, openapi, outbox, payments, requests, services
from gateway.api.common import SETTINGS, TOKENS, api_errors
from gateway.consultations import api as consultations
from gateway.events import api as events
from gateway.feedback import api as feedback
from gateway.runtime import GATEWAY
from gateway.tokens import TokenStore

PREFIX = "/api/v1"


def setup(app: web.Application) -> None:
    """Mount the API on the gateway's application."""
    gateway = app[GATEWAY]
    settings = gateway.settings.api
    api = web.Application(middlewares=[api_errors], client_max_size=settings.max_body_bytes)
    api[GATEWAY] = gateway
    api[SETTINGS] = settings
    api[TOKENS] = TokenStore(gateway.db)
    for module in (services, flows, requests, payments, outbox, audit, consultations, complaints, feedback, analytics, events, openapi, bulk):
        module.setup(api)
    app.add_subapp(PREFIX, api)
