"""`events:` in settings.yaml: how events reach agency systems (docs-events.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import PositiveFloat, PositiveInt

from gateway.settings_base import settings_section

RETRY_DELAYS = [5.0, 300.0, 1800.0, 7200.0, 18000.0]
"""The Standard Webhooks specification's example schedule, as far as the outbox's attempts go (6)."""


@settings_section
@dataclass(frozen=True)
class EventSettings:
    """`events:` in settings.yaml."""

    allow_private_urls: bool = False
    """Let subscriptions name `http://` URLs and loopback or private hosts (tests, a lab). Off in
    production: an agency's URL must be public https, so a subscription cannot make the gateway call
    into its own network (SSRF)."""
    max_url_length: PositiveInt = 2000
    timeout: PositiveFloat = 15.0
    """Seconds an agency's system has to answer one delivery (the specification suggests 15 to 30)."""
    retry_delays: list[PositiveFloat] = field(default_factory=lambda: list(RETRY_DELAYS))
    """Seconds before the 2nd, 3rd… attempt of a delivery that got no 2xx (5xx, timeout, 408, 429);
    the last one repeats. The outbox's attempts bound how many there are; then the delivery is dead
    and later events of its request go on (replay sends it again)."""
    rotation_overlap: PositiveFloat = 24 * 3600.0
    """Seconds after a secret rotation during which deliveries are signed with the old secret too."""
    max_subscriptions: PositiveInt = 20
    """Subscriptions one agency may have."""
    max_replay: PositiveInt = 10000
    """Events one replay may queue."""

    def __post_init__(self) -> None:
        if not self.retry_delays:
            raise ValueError("retry_delays: give at least one delay")
        if self.timeout > 60:
            raise ValueError(f"timeout: {self.timeout:g} s is over 60 (the outbox leases a message for 120 s, a send must end well within)")
        if not 100 <= self.max_url_length <= 8000:
            raise ValueError(f"max_url_length: {self.max_url_length} is not from 100 to 8000")
