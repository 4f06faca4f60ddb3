"""`requests:` in settings.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.settings_base import settings_section


@settings_section
@dataclass(frozen=True)
class RequestSettings:
    """`requests:` in settings.yaml."""

    tracking_code_length: int = 11
    idempotency_window: float = 3600.0
    """Seconds during which the same citizen submitting the same service with the same answers gets
    the first request back (from any conversation or channel)."""
    lookup_limit: int = 10
    lookup_window: float = 600.0
    """At most `lookup_limit` status lookups per address within this many seconds."""
    my_requests_limit: int = 20
