"""`identity:` in settings.yaml: which ownership-check provider answers, and how long its answers are kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.settings_base import SettingsError, section, settings_section

PROVIDERS = ("sandbox", "shahkar")


@settings_section
@dataclass(frozen=True)
class IdentitySettings:
    """The provider, its credentials, and the cache and retry of its answers."""

    provider: str = "sandbox"
    """`sandbox` (offline, answers by a documented rule) or `shahkar` (an ownership-check API over HTTPS)."""
    base_url: str = ""
    username: str = ""
    password: str = ""
    """HTTP Basic credentials of the `shahkar` provider (PISHKHAN_IDENTITY_PASSWORD; never logged)."""
    timeout: float = 1.5
    """Seconds the provider has to answer while the citizen waits; past it the check counts as down.
    Below `flows.action_timeout` with time to spare, so the citizen is told politely and the answers are kept."""
    cache_hours: float = 24.0
    """Hours a provider's answer for one (mobile, national code) pair is reused; 0: ask every time."""
    cache_secret: str = ""
    """The key of the HMAC the cache is keyed by (PISHKHAN_IDENTITY_CACHE_SECRET), the same on every
    host; empty: nothing is cached."""
    retry_interval: float = 60.0
    """Seconds between two background passes over requests waiting for the provider."""
    give_up_hours: float = 24.0
    """Hours a request waits for the provider; then the citizen is asked to apply again and the answers are erased."""
    max_checks_per_day: int = 5
    """Provider questions one mobile number may cause per local day (`calendar.timezone`), answers from
    the cache not counted: each costs money and tells whose national code a number is. 0: no limit."""


def identity_settings(raw: Mapping[str, Any] | None, name: str = "identity") -> IdentitySettings:
    """Read the `identity:` section; a SettingsError names a wrong key or value."""
    settings = section(IdentitySettings, raw, name)
    if settings.provider not in PROVIDERS:
        raise SettingsError(f"`{name}.provider` is {settings.provider!r}; use one of {', '.join(PROVIDERS)}")
    if settings.provider == "shahkar" and not (settings.base_url.startswith(("https://", "http://")) and settings.username and settings.password):
        raise SettingsError(f"`{name}.provider` is shahkar but `{name}.base_url`, `{name}.username` or `{name}.password` is not set;"
                            " set them (PISHKHAN_IDENTITY_PASSWORD for the password) or use provider: sandbox")
    if settings.timeout <= 0 or settings.retry_interval <= 0 or settings.give_up_hours <= 0 or settings.cache_hours < 0:
        raise SettingsError(f"`{name}.timeout`, `{name}.retry_interval` and `{name}.give_up_hours` must be above 0,"
                            f" `{name}.cache_hours` 0 or more")
    if settings.max_checks_per_day < 0:
        raise SettingsError(f"`{name}.max_checks_per_day` is {settings.max_checks_per_day}; use 0 (no limit) or more")
    return settings
