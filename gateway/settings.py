"""Typed settings: `config/settings.yaml`, overridden by `PISHKHAN_<SECTION>_<KEY>` environment variables.

Read once at start. Every key in the YAML can be overridden: `ussd.ucs2_limit` by
`PISHKHAN_USSD_UCS2_LIMIT`, `redis.url` by `PISHKHAN_REDIS_URL`. Feature modules read their own
section from `Settings.raw` into their own dataclass, so this file does not grow with every feature.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import yaml

from flows.errors import PishkhanError

T = TypeVar("T")


class SettingsError(PishkhanError):
    """The configuration cannot be used; the message says which key and why."""


def _coerce(value: str, current: Any) -> Any:
    """An environment string as the type the YAML default has."""
    if isinstance(current, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    if isinstance(current, list):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def apply_env(data: dict[str, Any], environ: Mapping[str, str], prefix: str = "PISHKHAN") -> dict[str, Any]:
    """Override every leaf of `data` that has a matching environment variable."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}_{key}".upper()
        if isinstance(value, dict):
            result[key] = apply_env(value, environ, name)
        elif name in environ:
            try:
                result[key] = _coerce(environ[name], value)
            except ValueError as exc:
                raise SettingsError(f"{name}={environ[name]!r}: {exc}") from exc
        else:
            result[key] = value
    return result


def section(cls: type[T], data: Mapping[str, Any] | None, name: str) -> T:
    """Build a settings dataclass from its YAML section; unknown keys are an error, not a surprise."""
    data = dict(data or {})
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(f"settings `{name}`: unknown keys {unknown}; known: {sorted(known)}")
    return cls(**data)


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = 64 * 1024
    log_level: str = "INFO"
    read_timeout: float = 15.0
    """Seconds a client has to send a request's headers, and again its body, before it is disconnected."""
    insecure: bool = False
    """Allow serving on a non-loopback address while a webhook is unauthenticated."""


@dataclass(frozen=True)
class FlowSettings:
    dir: str = "flows"
    entry: str = "main:language"
    home: str = "main:home"
    languages: list[str] = field(default_factory=lambda: ["fa", "en"])
    default_region: str = "IR"
    max_retries: int = 3
    action_timeout: float = 3.0


@dataclass(frozen=True)
class SessionSettings:
    ussd_ttl: int = 180
    sms_ttl: int = 1800
    telegram_ttl: int = 3600
    language_ttl: int = 365 * 24 * 3600


@dataclass(frozen=True)
class WebhookAuthSettings:
    secret: str = ""
    header: str = "X-Pishkhan-Secret"
    query_param: str = "secret"
    allow_ips: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UssdSettings:
    service_code: str = "*4#"
    gsm_limit: int = 182
    ucs2_limit: int = 80
    operator_limits: dict[str, dict[str, int]] = field(default_factory=dict)
    direct_dial_root: str = "main:home"
    auth: WebhookAuthSettings = field(default_factory=WebhookAuthSettings)

    def limits(self, network: str | None) -> tuple[int, int]:
        """(GSM-7 limit, UCS-2 limit) for an operator: its own cap where lower, else the defaults."""
        cap = self.operator_limits.get(network or "", {})
        return min(self.gsm_limit, cap.get("gsm_limit", self.gsm_limit)), min(self.ucs2_limit, cap.get("ucs2_limit", self.ucs2_limit))


@dataclass(frozen=True)
class Settings:
    """Everything read from the config directory, typed."""

    config_dir: Path
    server: ServerSettings
    flows: FlowSettings
    sessions: SessionSettings
    ussd: UssdSettings
    catalogue_file: str
    redis_url: str
    store_path: str
    raw: Mapping[str, Any]
    store_synchronous: str = "FULL"
    """SQLite `PRAGMA synchronous` for the store: FULL makes an acknowledged write survive power loss."""

    def path(self, relative: str) -> Path:
        """A path from the settings, relative to the config directory unless absolute."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.config_dir / candidate


def load_settings(config_dir: str | Path = "config", environ: Mapping[str, str] | None = None) -> Settings:
    """Read `settings.yaml` from the config directory and apply environment overrides."""
    config_dir = Path(config_dir)
    file = config_dir / "settings.yaml"
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) if file.exists() else {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{file}: not valid YAML: {exc}") from exc
    data = apply_env(data or {}, os.environ if environ is None else environ)
    ussd = dict(data.get("ussd") or {})
    auth = section(WebhookAuthSettings, ussd.pop("auth", None), "ussd.auth")
    try:
        return Settings(
            config_dir=config_dir,
            server=section(ServerSettings, data.get("server"), "server"),
            flows=section(FlowSettings, data.get("flows"), "flows"),
            sessions=section(SessionSettings, data.get("sessions"), "sessions"),
            ussd=section(UssdSettings, {**ussd, "auth": auth}, "ussd"),
            catalogue_file=str((data.get("catalogue") or {}).get("file", "catalogue.yaml")),
            redis_url=str((data.get("redis") or {}).get("url", "")),
            store_path=str((data.get("store") or {}).get("path", "../var/pishkhan.sqlite3")),
            raw=data,
            store_synchronous=str((data.get("store") or {}).get("synchronous", "FULL")).upper(),
        )
    except TypeError as exc:
        raise SettingsError(f"{file}: {exc}") from exc
