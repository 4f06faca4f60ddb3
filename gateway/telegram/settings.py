"""`telegram:` in settings.yaml: the bots (name -> token, secret, base_url) and outbound pacing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.settings_base import SettingsError, section, settings_section

DEFAULT_BASE_URL = "https://api.telegram.org/bot{token}"
_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
"""What the Bot API accepts as a webhook secret_token."""
_TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{10,100}$")


@settings_section
@dataclass(frozen=True)
class BotSettings:
    """One bot: its token, the webhook secret Telegram sends back, and where its Bot API lives."""

    name: str
    token: str
    secret: str = ""
    base_url: str = DEFAULT_BASE_URL
    """Bot API prefix; `{token}` is replaced by the token (Bale: https://tapi.bale.ai/bot{token}).
    python-telegram-bot >= 21.11 fills the placeholder itself (without one it appends the token)."""


@settings_section
@dataclass(frozen=True)
class TelegramSettings:
    """All bots and how fast we may talk to them (Bot API limits: ~1 message/s a chat, ~30/s a bot)."""

    bots: Mapping[str, Any] = field(default_factory=dict)
    per_chat_interval: float = 1.0
    per_second: float = 25.0
    reply_wait_limit: float = 10.0
    """Longest 429 `retry_after` a live reply waits out; longer, and the reply is dropped with a log line."""
    timeout: float = 10.0
    """Seconds for a Bot API call (connect and read)."""
    gates_readiness: bool = False
    """Whether a bot whose Bot API is unreachable makes /readyz fail (503). Off: the bot is reported
    (`bot:<name>: false`) but USSD and SMS stay in the load balancer, which matters where the Bot
    API is filtered from the host's network."""
    ready_retry: float = 30.0
    """Seconds between attempts to reach a Bot API that was unreachable at start (the bot is not
    ready meanwhile: its webhook answers 503 and /readyz reports `bot:<name>: false`)."""

    def configured(self) -> list[BotSettings]:
        """The bots with a token, checked; SettingsError names the bot and the key at fault."""
        found = []
        for name, raw in (self.bots or {}).items():
            where = f"telegram.bots.{name}"
            if not _NAME.match(str(name)):
                raise SettingsError(f"{where}: a bot name is 1-32 of a-z, 0-9, _ and - (it appears in URLs and addresses)")
            bot = section(BotSettings, {"name": str(name), **dict(raw or {})}, where)
            if not bot.token:
                continue
            if not _TOKEN.match(bot.token):
                raise SettingsError(f"{where}.token: not a bot token (expected <digits>:<secret> as @BotFather or Bale's bot father gives)")
            if bot.secret and not _SECRET.match(bot.secret):
                raise SettingsError(f"{where}.secret: use 1-256 characters of A-Z, a-z, 0-9, _ and - (the Bot API's rule)")
            if not re.match(r"^https?://", bot.base_url):
                raise SettingsError(f"{where}.base_url: must start with http:// or https://, e.g. {DEFAULT_BASE_URL}")
            if "{" in bot.base_url.replace("{token}", ""):
                raise SettingsError(f"{where}.base_url: the only placeholder is {{token}}")
            found.append(bot)
        return found


def telegram_settings(raw: Mapping[str, Any] | None, name: str = "telegram") -> TelegramSettings:
    """The `telegram:` section, every bot checked (a bot's typo stops the start, not its first update)."""
    telegram = section(TelegramSettings, raw, name)
    telegram.configured()
    if telegram.per_chat_interval < 0 or telegram.per_second <= 0:
        raise SettingsError("telegram: per_chat_interval must be >= 0 and per_second > 0")
    if telegram.ready_retry <= 0:
        raise SettingsError("telegram.ready_retry: must be > 0 (seconds between attempts to reach a Bot API that is down)")
    return telegram
