"""Opening the identity check of a gateway: the provider named in settings, its cache, the gate and its retry."""

from __future__ import annotations

from dataclasses import dataclass

from flows.clock import Clock
from gateway.identity.cache import IdentityCache
from gateway.identity.check import IdentityCheck
from gateway.identity.gate import IdentityGate
from gateway.identity.limit import DailyLimit
from gateway.identity.pending import PendingStore
from gateway.identity.providers import IdentityProvider
from gateway.identity.retry import IdentityRetry
from gateway.identity.sandbox import SandboxIdentity
from gateway.identity.settings import IdentitySettings
from gateway.identity.shahkar import ShahkarIdentity
from gateway.outbox import Outbox
from gateway.requests import RequestService
from gateway.settings_base import SettingsError
from gateway.store import Database

ACTION_MARGIN = 1.0
"""Seconds of the flow's action timeout left after the provider's, for the cache and keeping the answers."""


@dataclass(frozen=True)
class Identity:
    """The parts a running gateway holds."""

    provider: IdentityProvider
    gate: IdentityGate
    retry: IdentityRetry


def open_provider(settings: IdentitySettings) -> IdentityProvider:
    """The provider `identity.provider` names."""
    return ShahkarIdentity(settings) if settings.provider == "shahkar" else SandboxIdentity()


def build_identity(settings: IdentitySettings, action_timeout: float, db: Database, requests: RequestService, outbox: Outbox,
                   clock: Clock) -> Identity:
    """The gate over the configured provider; SettingsError when the provider's time leaves the
    submit action none to keep the answers (the citizen would lose them to the action's timeout)."""
    if settings.timeout > action_timeout - ACTION_MARGIN:
        raise SettingsError(f"`identity.timeout` is {settings.timeout} s but `flows.action_timeout` is {action_timeout} s:"
                            f" keep it at most {action_timeout - ACTION_MARGIN:g} s, so an outage is answered politely in time")
    provider = open_provider(settings)
    cache = IdentityCache(db, settings.cache_secret, settings.cache_hours, clock)
    limit = DailyLimit(db, settings.cache_secret, settings.max_checks_per_day, requests.calendar, clock)
    gate = IdentityGate(IdentityCheck(provider, cache, limit, settings.timeout), PendingStore(db), requests, outbox, settings, clock)
    return Identity(provider, gate, IdentityRetry(gate, (cache.prune, limit.prune), db, settings.retry_interval))
