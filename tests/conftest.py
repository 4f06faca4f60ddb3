"""Shared fixtures: the shipped config with a scratch store, and the gateway's aiohttp app.

The fakes' and servers' fixtures are plugins, so a test names them as parameters and imports only
the helpers it calls.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.app import create_app
from gateway.settings import Settings, load_settings

pytest_plugins = ["api_tokens", "fakes.bot_api", "fakes.sms_gateway", "fakes.zarinpal", "redis_server", "redis_sentinel"]

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shipped configuration, writing to a store in this test's temporary directory."""
    return load_settings(CONFIG, environ={}).updated({"store": {"path": str(tmp_path / "pishkhan.sqlite3")}})


@pytest.fixture
async def client(aiohttp_client, settings: Settings):  # type: ignore[no-untyped-def]
    """A test client for the gateway on the embedded default."""
    return await aiohttp_client(await create_app(settings))
