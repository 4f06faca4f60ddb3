"""Which addresses `serve` treats as reachable only from this machine (open webhooks are fine there)."""

from __future__ import annotations

import pytest

from gateway.commands.serve import is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "gateway.example.ir"])
def test_addresses_other_machines_reach(host: str) -> None:
    assert not is_loopback(host)
