"""Webhook authentication shared by provider routes: a shared secret and/or an IP allowlist."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from dataclasses import dataclass, field

from aiohttp import web

from gateway.settings_base import settings_section

log = logging.getLogger(__name__)


@settings_section
@dataclass(frozen=True)
class WebhookAuthSettings:
    """How a provider's calls prove who they are: a shared secret (header or query) and/or source addresses."""

    secret: str = ""
    """Empty: no secret is asked for (allow_ips alone, or nothing: a warning at start, refused off loopback)."""
    header: str = "X-Pishkhan-Secret"
    query_param: str = "secret"
    allow_ips: list[str] = field(default_factory=list)
    """Addresses or networks (CIDR) calls may come from; empty: any."""


class WebhookAuth:
    """Checks a request carries the shared secret (header or query) and comes from an allowed address."""

    def __init__(self, settings: WebhookAuthSettings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.networks = [ipaddress.ip_network(n, strict=False) for n in settings.allow_ips]

    @property
    def enabled(self) -> bool:
        """Whether anything is checked at all."""
        return bool(self.settings.secret or self.networks)

    def warn_if_open(self) -> None:
        """Say loudly at start that anyone can call this webhook."""
        if not self.enabled:
            log.warning("%s webhooks are NOT authenticated: set a secret or allow_ips before going live", self.name)

    def allows(self, request: web.Request) -> bool:
        """Whether the request passes every configured check."""
        return self.refusal(request) is None

    def refusal(self, request: web.Request) -> str | None:
        """Why the request is refused (for the log; never the secret), or None when it passes.
        Constant-time secret comparison, then the address check."""
        if self.settings.secret:
            given = request.headers.get(self.settings.header) or request.query.get(self.settings.query_param, "")
            if not hmac.compare_digest(given.encode(), self.settings.secret.encode()):
                return "wrong or missing secret"
        if self.networks:
            try:
                peer = ipaddress.ip_address(request.remote or "")
            except ValueError:
                return f"unreadable peer address {request.remote!r}"
            if not any(peer in network for network in self.networks):
                return f"address {peer} is not in allow_ips"
        return None
