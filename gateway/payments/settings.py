"""`payments:` in settings.yaml, typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.settings_base import SettingsError, section, settings_section

PROVIDERS = ("sandbox", "zarinpal")


@settings_section
@dataclass(frozen=True)
class ZarinpalSettings:
    """Where the Zarinpal v4 API is and who we are to it."""

    base_url: str = "https://payment.zarinpal.com"
    sandbox: bool = False
    """Use Zarinpal's own test gateway (sandbox.zarinpal.com) when base_url is left at its default."""
    merchant_id: str = ""
    timeout: float = 10.0

    @property
    def url(self) -> str:
        """The base URL actually used."""
        if self.sandbox and self.base_url == ZarinpalSettings.base_url:
            return "https://sandbox.zarinpal.com"
        return self.base_url.rstrip("/")


@settings_section
@dataclass(frozen=True)
class PaymentSettings:
    """Links, the provider and the sweeper."""

    provider: str = "sandbox"
    link_ttl: float = 86400.0
    """Seconds a link can start a payment; after that the link page offers to send a new one."""
    verify_after: float = 900.0
    """Seconds after a citizen went to the provider before the sweeper asks it about a payment with no callback."""
    sweep_interval: float = 60.0
    sweep_batch: int = 100
    description: str = "Pishkhan {code}"
    """What the provider shows the payer; `{code}` is the tracking code."""
    zarinpal: ZarinpalSettings = field(default_factory=ZarinpalSettings)


def payment_settings(raw: Mapping[str, Any] | None, name: str = "payments") -> PaymentSettings:
    """Read the `payments:` section; a SettingsError names a wrong key or value."""
    data = dict(raw or {})
    zarinpal = section(ZarinpalSettings, data.pop("zarinpal", None), "payments.zarinpal")
    settings = section(PaymentSettings, {**data, "zarinpal": zarinpal}, "payments")
    if settings.provider not in PROVIDERS:
        raise SettingsError(f"payments.provider is {settings.provider!r}; use one of {', '.join(PROVIDERS)}")
    if settings.provider == "zarinpal" and not zarinpal.merchant_id:
        raise SettingsError("payments.provider is zarinpal but payments.zarinpal.merchant_id is empty; "
                            "set it (PISHKHAN_PAYMENTS_ZARINPAL_MERCHANT_ID) or use provider: sandbox")
    if settings.link_ttl <= 0 or settings.sweep_interval <= 0:
        raise SettingsError("payments.link_ttl and payments.sweep_interval must be positive seconds")
    return settings
