"""`metrics:` and `logging:` in settings.yaml."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import AfterValidator

from gateway.settings_base import settings_section

LOOPBACK = ["127.0.0.1", "::1"]


def _network(value: str) -> str:
    """An address or CIDR network, checked alone (an error quoting the whole section would quote the token)."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError("not an address or network") from None
    return value


Network = Annotated[str, AfterValidator(_network)]


@settings_section
@dataclass(frozen=True)
class MetricsSettings:
    """`metrics:`: whether `GET /metrics` is served and who may scrape it.

    The default answers only this machine (a Prometheus or an agent beside the gateway): the numbers
    hold no personal data, but queue depths and error rates are an attacker's map of a government
    service, so opening them is a decision, never a default. A scrape must pass every check set:
    the bearer `token` when there is one, and `allow_ips` when it is not empty."""

    enabled: bool = True
    """False: `/metrics` is not served (404) and the hops count nothing."""
    token: str = ""
    """When set, a scrape must send `Authorization: Bearer <token>` (Prometheus: `authorization.credentials`)."""
    allow_ips: list[Network] = field(default_factory=lambda: list(LOOPBACK))
    """Addresses or networks (CIDR) a scrape may come from, as the gateway sees the peer (not X-Forwarded-For);
    empty: any address, which needs a `token`."""

    def __post_init__(self) -> None:
        if self.enabled and not self.token and not self.allow_ips:
            raise ValueError("allow_ips is empty and there is no token: anyone could scrape /metrics; "
                             "set a token, list the scrapers' addresses, or set enabled: false")


@settings_section
@dataclass(frozen=True)
class LoggingSettings:
    """`logging:`: how log lines are written to stderr."""

    format: Literal["text", "json"] = "text"
    """text: one readable line each; json: one JSON object each (for Loki, Elasticsearch, journald
    exporters), with the request id that follows a hop into the outbox and its provider call."""
