"""`console:` in settings.yaml: the operator console's switch and its sign-in rules."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import PositiveInt

from gateway.settings_base import settings_section


@settings_section
@dataclass(frozen=True)
class ConsoleSettings:
    """`console:` in settings.yaml."""

    enabled: bool = True
    """False: `/console` is not served at all (an API-only deployment)."""
    idle_minutes: PositiveInt = 30
    """A signed-in browser left this long without a request must sign in again."""
    max_failed_logins: PositiveInt = 5
    """Wrong passwords in a row before the account is locked for `lockout_minutes`."""
    lockout_minutes: PositiveInt = 15
    login_attempts_per_minute: PositiveInt = 20
    """Sign-in attempts one client address may make a minute, whatever the account (guessing across accounts)."""
    page_size: PositiveInt = 50
    """Rows on one page of a list (requests, outbox, audit)."""
