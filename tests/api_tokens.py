"""Bearer tokens for the operator API: one per role, created in the gateway's own store."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.app import GATEWAY
from gateway.store import Database
from gateway.tokens import TokenStore

ROLES = ("viewer", "operator", "admin")
ACTOR = "cli:test"
"""Who made these tokens, in the audit trail."""


async def role_headers(db: Database) -> dict[str, dict[str, str]]:
    """`Authorization` headers by role, for a gateway that is not the `client` fixture's."""
    store = TokenStore(db)
    return {role: {"Authorization": f"Bearer {await store.create(role, f'test {role}', actor=ACTOR)}"} for role in ROLES}


@pytest.fixture
async def tokens(client: Any) -> dict[str, dict[str, str]]:
    """`Authorization` headers by role for the `client` fixture's gateway."""
    return await role_headers(client.app[GATEWAY].db)
