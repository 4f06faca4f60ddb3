"""Shared fixtures: the shipped config with a scratch store, and the gateway's aiohttp app.

The fakes' and servers' fixtures are plugins, so a test names them as parameters and imports only
the helpers it calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from gateway.app import create_app
from gateway.settings import Settings, load_settings
from gateway.store import Database
from gateway.store.url import database_at

pytest_plugins = ["api_tokens", "browser", "console_browser", "fakes.bot_api", "fakes.sms_gateway", "fakes.zarinpal", "redis_server",
                  "redis_sentinel", "postgres_server", "fakes.shahkar"]

# Property tests check correctness, not speed (speed lives in bench/): hypothesis's default 200 ms deadline per
# example failed test_tracking on a loaded machine (270 ms) with nothing wrong.
hypothesis_settings.register_profile("pishkhan", deadline=None)
hypothesis_settings.load_profile("pishkhan")

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"


@pytest.fixture
def settings(store_url: str) -> Settings:
    """The shipped configuration, writing to this test's own store (postgres_server.py: SQLite or PostgreSQL)."""
    return load_settings(CONFIG, environ={}).updated({"store": {"url": store_url}})


@pytest.fixture
async def database(store_url: str) -> AsyncIterator[Database]:
    """This test's store, open and migrated."""
    db = await database_at(store_url).open()
    yield db
    await db.close()


@pytest.fixture
async def client(aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    """A test client for the gateway on the embedded default."""
    return await aiohttp_client(await create_app(settings))


@pytest.fixture
async def connections(store_url: str) -> AsyncIterator[Callable[[], Database]]:
    """Opens separate connections to this test's store, as workers on one host or several hold them."""
    opened: list[Database] = []

    async def open_one() -> Database:
        opened.append(await database_at(store_url).open())
        return opened[-1]

    yield open_one  # type: ignore[misc]
    for db in opened:
        await db.close()
