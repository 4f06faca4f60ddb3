"""Where deliveries may go: public hosts only, unless `events.allow_private_urls` (tests, labs).

A subscription's URL is checked when it is made (`is_private` on a literal address or a local name),
and again at every send by the resolver the sender's connections use: a public name that resolves
to a loopback or private address (DNS rebinding, an internal name) is refused there, on the very
addresses aiohttp would connect to, so there is no gap between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult


class PrivateAddress(OSError):
    """A delivery's host is (or resolves to) a loopback or private address; a connection error, so it is logged and retried."""


def is_private(host: str) -> bool:
    """A host that names this machine or a private network: a literal address that is not global, or a local name."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return not address.is_global


class PublicOnlyResolver(AbstractResolver):
    """aiohttp's threaded resolver, refusing any answer with an address that is not global."""

    def __init__(self) -> None:
        self.inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        private = [r["host"] for r in found if is_private(r["host"])]
        if private:
            raise PrivateAddress(f"{host} resolves to {private[0]}, a loopback or private address (events.allow_private_urls)")
        return found

    async def close(self) -> None:
        await self.inner.close()
