"""`pishkhan telegram set-webhook` and `serve --telegram-polling`, against the fake Bot API."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from fakes.bot_api import SECRET, TOKEN, Citizen, base_url_of, with_bot

from gateway.app import GATEWAY, create_app
from gateway.cli import main
from gateway.telegram.polling import enable_polling

CONFIG = Path(__file__).resolve().parents[2] / "config"


def config_with_bot(tmp_path: Path, base_url: str, secret: str = SECRET) -> Path:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    text = (config / "settings.yaml").read_text(encoding="utf-8")
    bots = f'bots:\n    main: {{token: "{TOKEN}", secret: "{secret}", base_url: "{base_url}"}}'
    assert "  bots: {}" in text
    (config / "settings.yaml").write_text(text.replace("bots: {}", bots, 1), encoding="utf-8")
    return config


async def test_set_webhook_registers_the_url_the_secret_and_the_commands(tmp_path, bot_api, capsys) -> None:  # type: ignore[no-untyped-def]
    config = config_with_bot(tmp_path, base_url_of(bot_api))
    code = await asyncio.to_thread(main, ["--config", str(config), "telegram", "set-webhook", "--url", "https://gw.example.ir/"])
    assert code == 0
    hook = bot_api.webhooks[TOKEN]
    assert (hook["url"], hook["secret_token"]) == ("https://gw.example.ir/telegram/main", SECRET)
    assert hook["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    fa, en = bot_api.calls_of("setMyCommands")
    assert [c["command"] for c in fa.params["commands"]] == ["start", "myrequests", "verify", "polls", "privacy", "mydata"]
    assert "language_code" not in fa.params and en.params["language_code"] == "en"
    assert "webhook set to https://gw.example.ir/telegram/main" in capsys.readouterr().out


async def test_set_webhook_refuses_a_bot_without_a_secret_or_an_unknown_bot(tmp_path, bot_api, capsys) -> None:  # type: ignore[no-untyped-def]
    config = config_with_bot(tmp_path, base_url_of(bot_api), secret="")
    assert await asyncio.to_thread(main, ["--config", str(config), "telegram", "set-webhook"]) == 1
    assert "set telegram.bots.main.secret first" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["--config", str(config), "telegram", "set-webhook", "--bot", "bale"]) == 1
    assert "no bot 'bale' is configured" in capsys.readouterr().err
    assert bot_api.webhooks == {}


async def test_a_command_menu_the_bot_api_refuses_leaves_the_webhook_set_and_says_so(tmp_path, bot_api, capsys) -> None:  # type: ignore[no-untyped-def]
    config = config_with_bot(tmp_path, base_url_of(bot_api))
    bot_api.fail(500, "Internal Server Error", method="setMyCommands")
    code = await asyncio.to_thread(main, ["--config", str(config), "telegram", "set-webhook", "--url", "https://gw.example.ir/"])
    assert code == 3                                                          # partial: not 0, not the 1 of a webhook not set
    assert bot_api.webhooks[TOKEN]["url"] == "https://gw.example.ir/telegram/main"
    out, err = capsys.readouterr()
    assert "bot main: webhook set to https://gw.example.ir/telegram/main" in out
    assert "warning: bot main: its command menu (/start, /myrequests, /verify) is not registered: the Bot API refused: Internal Server Error" in err
    assert TOKEN not in err


async def test_a_getme_answer_outside_the_contract_is_an_error_naming_the_bot(tmp_path, bot_api, capsys) -> None:  # type: ignore[no-untyped-def]
    config = config_with_bot(tmp_path, base_url_of(bot_api))
    bot_api.garble("getMe", lambda user: {k: v for k, v in user.items() if k != "is_bot"})
    assert await asyncio.to_thread(main, ["--config", str(config), "telegram", "set-webhook"]) == 1
    err = capsys.readouterr().err
    assert "error: bot main: webhook not set: the Bot API answered outside its contract (TypeError: User.__init__() missing" in err
    assert bot_api.webhooks == {}


async def test_polling_feeds_updates_through_the_same_path(aiohttp_client, settings, bot_api) -> None:  # type: ignore[no-untyped-def]
    app = await create_app(with_bot(settings, base_url_of(bot_api)))
    enable_polling(app, app[GATEWAY].bots)
    bot_api.webhooks[TOKEN] = {"url": "https://old.example/telegram/main"}   # polling must remove it first
    await aiohttp_client(app)
    ali = Citizen(user_id=6001)
    update = ali.text("/start")
    bot_api.queue_update(update)
    bot_api.queue_update(update)                         # redelivered: handled once
    await bot_api.wait_for("sendMessage", 2)
    await asyncio.sleep(0.1)
    assert bot_api.calls_of("deleteWebhook") and TOKEN not in bot_api.webhooks
    assert "Language" in bot_api.menu(6001).text and len(bot_api.calls_of("sendMessage")) == 2
    offsets = [c.params.get("offset") for c in bot_api.calls_of("getUpdates")]
    assert update["update_id"] + 1 in offsets
