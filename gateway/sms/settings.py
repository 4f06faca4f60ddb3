"""`sms:` in settings.yaml: providers, short numbers, limits and keyword lists, checked at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from channels.sms import DIALECTS
from channels.sms.surface import DEFAULT_MAX_SEGMENTS
from gateway.settings_base import SettingsError, section, settings_section
from gateway.webhook_auth import WebhookAuthSettings

DEFAULT_KEYWORDS: dict[str, list[str]] = {
    "help": ["HELP", "راهنما"],
    "status": ["STATUS", "وضعیت", "پیگیری"],
    "stop": ["STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "11", "لغو"],
    "start": ["START", "12", "شروع"],
    "more": ["MORE", "بیشتر"],
    "poll": ["POLL", "نظر", "نظرسنجی"],
    "privacy": ["PRIVACY", "حریم", "حریم خصوصی"],
}


@settings_section
@dataclass(frozen=True)
class ProviderSettings:
    """One aggregator account: where to send, how it authenticates to us, how fast it may be called."""

    type: str
    base_url: str = ""
    """Empty: nothing is sent through this provider (inbound still works)."""
    username: str = ""
    password: str = ""
    secret: str = ""
    """Shared secret the provider sends back on every inbound call (header or query)."""
    header: str = "X-Pishkhan-Secret"
    query_param: str = "secret"
    allow_ips: list[str] = field(default_factory=list)
    rate: float = 10.0
    """Messages per second sent to this provider, by all workers together when Redis is configured ..."""
    burst: int = 10
    """... with up to this many at once."""
    timeout: float = 10.0
    """Seconds to wait for the provider's answer before trying again later."""
    dlr_mask: int = 31
    dlr_level: int = 3

    @property
    def auth(self) -> WebhookAuthSettings:
        """How inbound calls from this provider are authenticated."""
        return WebhookAuthSettings(secret=self.secret, header=self.header, query_param=self.query_param, allow_ips=list(self.allow_ips))


@settings_section
@dataclass(frozen=True)
class ShortNumber:
    """A number citizens text: the provider that serves it, the sender id we reply with, its flow."""

    number: str
    provider: str
    sender: str = ""
    entry: str = "main:home"


@settings_section
@dataclass(frozen=True)
class SmsSettings:
    """The SMS channel's settings."""

    providers: Mapping[str, ProviderSettings]
    short_numbers: Mapping[str, ShortNumber]
    default_short_number: str = ""
    """Where messages not answering a text (receipts, notifications) are sent from."""
    keywords: Mapping[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_KEYWORDS))
    max_segments: int = DEFAULT_MAX_SEGMENTS
    max_body_bytes: int = 8192
    max_text_chars: int = 1600
    dedupe_ttl: int = 86400
    reply_budget: float = 5.0
    """Seconds a webhook waits for the reply before answering the provider; the turn goes on."""
    callback_base_url: str = ""
    """Where providers reach our /sms/dlr routes; empty: `server.public_base_url`."""


def _short_number(number: str, data: Any) -> ShortNumber:
    if not isinstance(data, Mapping):
        raise SettingsError(f"settings `sms.short_numbers.{number}`: expected provider, sender and entry")
    fields = {"sender": str(number), **data}
    return section(ShortNumber, {"number": str(number), **fields}, f"sms.short_numbers.{number}")


def sms_settings(raw: Mapping[str, Any] | None, name: str = "sms") -> SmsSettings:
    """The `sms:` section, checked: every short number names a configured provider of a known type."""
    data = dict(raw or {})
    providers: dict[str, ProviderSettings] = {}
    for name, spec in dict(data.pop("providers", None) or {}).items():
        provider = section(ProviderSettings, spec, f"sms.providers.{name}")
        if provider.type not in DIALECTS:
            raise SettingsError(f"settings `sms.providers.{name}.type`: {provider.type!r} is not one of {', '.join(DIALECTS)}")
        if provider.rate <= 0 or provider.burst < 1:
            raise SettingsError(f"settings `sms.providers.{name}`: rate must be > 0 and burst >= 1")
        providers[str(name)] = provider
    numbers = {str(n): _short_number(str(n), spec) for n, spec in dict(data.pop("short_numbers", None) or {}).items()}
    for number in numbers.values():
        if number.provider not in providers:
            raise SettingsError(
                f"settings `sms.short_numbers.{number.number}.provider`: {number.provider!r} is not under sms.providers"
                f" (configured: {', '.join(providers) or 'none'})"
            )
    keywords = {**DEFAULT_KEYWORDS, **{k: [str(w) for w in v] for k, v in dict(data.pop("keywords", None) or {}).items()}}
    sms = section(SmsSettings, {**data, "providers": providers, "short_numbers": numbers, "keywords": keywords}, "sms")
    if numbers and sms.default_short_number not in numbers:
        raise SettingsError(f"settings `sms.default_short_number`: {sms.default_short_number!r} is not under sms.short_numbers")
    if sms.max_segments < 1:
        raise SettingsError("settings `sms.max_segments`: at least 1")
    return sms
