"""`telegram:` settings: bots by name with token, secret and a {token} base URL; clear errors."""

from __future__ import annotations

import pytest

from gateway.settings import SettingsError, load_settings
from gateway.telegram.settings import DEFAULT_BASE_URL

TOKEN = "123456:TEST-token_abcdefghij"


def configured(tmp_settings, bots: dict) -> list:  # type: ignore[no-untyped-def]
    return tmp_settings.updated({"telegram": {"bots": bots}}).telegram.configured()


def test_the_shipped_default_has_no_bots(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.telegram.configured() == []


def test_telegram_and_bale_bots(settings) -> None:  # type: ignore[no-untyped-def]
    bots = configured(settings, {"main": {"token": TOKEN, "secret": "s1"},
                                 "bale": {"token": TOKEN, "secret": "s2", "base_url": "https://tapi.bale.ai/bot{token}"},
                                 "later": {"token": ""}})
    assert [(b.name, b.base_url) for b in bots] == [("main", DEFAULT_BASE_URL), ("bale", "https://tapi.bale.ai/bot{token}")]


def test_the_token_comes_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "settings.yaml").write_text("telegram:\n  bots:\n    main: {token: '', secret: ''}\n")
    settings = load_settings(tmp_path, environ={"PISHKHAN_TELEGRAM_BOTS_MAIN_TOKEN": TOKEN, "PISHKHAN_TELEGRAM_BOTS_MAIN_SECRET": "abc"})
    [bot] = settings.telegram.configured()
    assert (bot.token, bot.secret) == (TOKEN, "abc")


@pytest.mark.parametrize("bots, message", [
    ({"Main Bot": {"token": TOKEN}}, "a bot name is"),
    ({"main": {"token": "not-a-token"}}, "main.token: not a bot token"),
    ({"main": {"token": TOKEN, "secret": "has space"}}, "main.secret"),
    ({"main": {"token": TOKEN, "base_url": "tapi.bale.ai/bot{token}"}}, "must start with http"),
    ({"main": {"token": TOKEN, "base_url": "https://x/bot{tokn}"}}, "only placeholder"),
    ({"main": {"token": TOKEN, "webhook": "x"}}, "`telegram.bots.main.webhook`: unknown key"),
])
def test_mistakes_are_named(settings, bots, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        configured(settings, bots)
