"""Deliveries go to public hosts only (gateway/events/egress.py): by literal or local name when a
subscription is made, and by the addresses a name resolves to when it is sent."""

from __future__ import annotations

import pytest

from gateway.events.egress import PrivateAddress, PublicOnlyResolver, is_private


@pytest.mark.parametrize(("host", "private"), [
    ("127.0.0.1", True), ("[::1]", True), ("10.0.0.7", True), ("192.168.1.1", True), ("169.254.169.254", True), ("100.64.0.1", True),
    ("localhost", True), ("LOCALHOST.", True), ("db.internal", True), ("printer.local", True),
    ("8.8.8.8", False), ("[2001:4860:4860::8888]", False), ("sabt.example", False),
])
def test_private_hosts_are_told_by_literal_and_local_name(host: str, private: bool) -> None:
    assert is_private(host) is private


async def test_a_name_that_resolves_to_a_loopback_address_is_refused() -> None:
    resolver = PublicOnlyResolver()
    try:
        with pytest.raises(PrivateAddress, match="localhost resolves to"):
            await resolver.resolve("localhost", 443)
    finally:
        await resolver.close()
