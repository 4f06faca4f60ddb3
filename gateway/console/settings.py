"""`console:` in settings.yaml: the operator console's switch and its sign-in rules."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

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
    trusted_proxies: list[str] = field(default_factory=list)
    """Addresses or networks of reverse proxies (nginx) whose `X-Forwarded-For` names the browser; without
    them every browser behind the proxy would share the proxy's sign-in attempt limit."""
    page_size: PositiveInt = 50
    """Rows on one page of a list (requests, outbox, audit)."""

    def __post_init__(self) -> None:
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {proxy!r} is not an address or network") from None

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The browser's address: the peer's, or the last hop `X-Forwarded-For` names when the peer is a
        trusted proxy (the proxy appends the address it saw; earlier entries are the client's to forge)."""
        if not peer or not forwarded_for or not self.trusted_proxies:
            return peer or ""
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return peer
        if not any(address in ipaddress.ip_network(proxy, strict=False) for proxy in self.trusted_proxies):
            return peer
        return forwarded_for.split(",")[-1].strip() or peer
