"""Typed settings: `config/settings.yaml`, overridden by `PISHKHAN_<SECTION>_<KEY>` environment variables.

Read once, completely, before anything starts: every section is built and checked here, so a typo
under any section (`api:`, `sms:`, …) stops `flows validate`, `serve` and each worker alike with one
line naming the file, the key and the closest known key. Each feature owns its section's dataclass
(`gateway/sms/settings.py` …); this module gathers them.

Every key in the YAML can be overridden: `ussd.ucs2_limit` by `PISHKHAN_USSD_UCS2_LIMIT`, `redis.url`
by `PISHKHAN_REDIS_URL`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import PositiveFloat

from flows.errors import PishkhanError
from flows.loader import read_yaml
from gateway.analytics.settings import AnalyticsSettings
from gateway.api.settings import ApiSettings
from gateway.calendar import CalendarSettings, calendar_settings
from gateway.complaints.settings import ComplaintSettings
from gateway.console.settings import ConsoleSettings
from gateway.events.settings import EventSettings
from gateway.feedback.settings import FeedbackSettings
from gateway.identity.settings import IdentitySettings, identity_settings
from gateway.observability.settings import LoggingSettings, MetricsSettings
from gateway.payments.settings import PaymentSettings, payment_settings
from gateway.privacy.settings import PrivacySettings
from gateway.requests.settings import RequestSettings
from gateway.settings_base import SettingsError, section, settings_section
from gateway.sms.settings import SmsSettings, sms_settings
from gateway.state.settings import RedisSettings, redis_settings
from gateway.store.base import StoreError
from gateway.store.sqlite import SYNCHRONOUS
from gateway.store.url import SQLITE, check_url, sqlite_path, sqlite_url
from gateway.telegram.settings import TelegramSettings, telegram_settings
from gateway.webhook_auth import WebhookAuthSettings

__all__ = ["Settings", "SettingsError", "load_settings", "apply_env"]


def _coerce(value: str, current: Any) -> Any:
    """An environment string as the type the YAML default has (lists: comma-separated)."""
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


def env_names(data: Mapping[str, Any], prefix: str = "PISHKHAN") -> set[str]:
    """The environment variable of every leaf of `data` (what `apply_env` reads)."""
    names: set[str] = set()
    for key, value in data.items():
        name = f"{prefix}_{key}".upper()
        names |= env_names(value, name) if isinstance(value, dict) else {name}
    return names


def check_env(data: Mapping[str, Any], environ: Mapping[str, str], prefix: str = "PISHKHAN") -> None:
    """A `PISHKHAN_<SECTION>_…` variable that names no key of that section is an error, not ignored:
    `PISHKHAN_STORE_URLL=postgresql://…` would otherwise leave a host quietly on its SQLite file.
    Variables outside the sections (PISHKHAN_TEST_…) are not the settings' business."""
    known = env_names(data, prefix)
    sections = tuple(f"{prefix}_{section}_".upper() for section in data)
    unknown = sorted(name for name in environ if name.startswith(sections) and name not in known)
    if unknown:
        hints = [f"{name} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(name, known, 1)) else name
                 for name in unknown]
        raise SettingsError(f"unknown setting in the environment: {', '.join(hints)}; "
                            "only keys listed in settings.yaml can be overridden")


@settings_section
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


@settings_section
@dataclass(frozen=True)
class FlowSettings:
    dir: str = "flows"
    entry: str = "main:language"
    home: str = "main:home"
    languages: list[str] = field(default_factory=lambda: ["fa", "en"])
    default_region: str = "IR"
    max_retries: int = 3
    action_timeout: float = 3.0
    live_check_interval: PositiveFloat = 1.0
    """Seconds between two looks at which content version is live (with Redis, a publish also wakes
    every worker at once)."""


@settings_section
@dataclass(frozen=True)
class SessionSettings:
    ussd_ttl: int = 180
    sms_ttl: int = 1800
    telegram_ttl: int = 3600
    language_ttl: int = 365 * 24 * 3600


@settings_section
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


@settings_section
@dataclass(frozen=True)
class CatalogueSettings:
    file: str = "catalogue.yaml"


DEFAULT_STORE_PATH = "../var/pishkhan.sqlite3"


@settings_section
@dataclass(frozen=True)
class StoreSettings:
    url: str = ""
    """Where durable records live: `sqlite:///relative/file`, `sqlite:////absolute/file` or
    `postgresql://user:password@host:5432/database`. Empty: the SQLite file `path`."""
    path: str = DEFAULT_STORE_PATH
    """SQLite file, relative to the config directory unless absolute (the embedded default)."""
    synchronous: str = "FULL"
    """SQLite `PRAGMA synchronous`: FULL makes an acknowledged write survive power loss."""
    pool_size: int = 10
    """PostgreSQL: connections per worker at most (each transaction holds one while it runs)."""
    timeout: float = 5.0
    """PostgreSQL: seconds to get a connection or finish a statement before the hop gives up politely."""


def store_settings(raw: Mapping[str, Any] | None, name: str = "store") -> StoreSettings:
    """The `store:` section; `synchronous` is one of SQLite's levels, in any case; `url` and `path`
    are two ways to say one thing, so only one may be given."""
    store = section(StoreSettings, raw, name)
    level = store.synchronous.upper()
    if level not in SYNCHRONOUS:
        raise SettingsError(f"`{name}.synchronous`: {store.synchronous!r} is not one of {', '.join(SYNCHRONOUS)}")
    if store.url:
        try:
            check_url(store.url)
        except StoreError as error:
            raise SettingsError(f"`{name}.url`: {error}") from None
        if store.path != DEFAULT_STORE_PATH:
            raise SettingsError(f"`{name}.url` and `{name}.path` are both set: keep `url` (sqlite:///{store.path} says the same)")
    if store.pool_size < 1 or store.timeout <= 0:
        raise SettingsError(f"`{name}.pool_size` must be at least 1 and `{name}.timeout` above 0")
    return dataclasses.replace(store, synchronous=level)


@settings_section
@dataclass(frozen=True)
class ResumeSettings:
    window: float = 300.0
    """Seconds after a dropped USSD session during which the next dial offers to continue it; 0: never."""


def _plain(cls: type[Any]) -> Callable[[Mapping[str, Any] | None, str], Any]:
    return lambda data, name: section(cls, data, name)


SECTIONS: dict[str, Callable[[Mapping[str, Any] | None, str], Any]] = {
    "server": _plain(ServerSettings),
    "flows": _plain(FlowSettings),
    "sessions": _plain(SessionSettings),
    "ussd": _plain(UssdSettings),
    "catalogue": _plain(CatalogueSettings),
    "store": store_settings,
    "redis": redis_settings,
    "resume": _plain(ResumeSettings),
    "requests": _plain(RequestSettings),
    "calendar": calendar_settings,
    "api": _plain(ApiSettings),
    "telegram": telegram_settings,
    "payments": payment_settings,
    "sms": sms_settings,
    "console": _plain(ConsoleSettings),
    "complaints": _plain(ComplaintSettings),
    "metrics": _plain(MetricsSettings),
    "logging": _plain(LoggingSettings),
    "feedback": _plain(FeedbackSettings),
    "analytics": _plain(AnalyticsSettings),
    "identity": identity_settings,
    "events": _plain(EventSettings),
    "privacy": _plain(PrivacySettings),
}
"""Every top-level section and how it is read; a key not listed here is an error."""


@dataclass(frozen=True)
class Settings:
    """Everything read from the config directory, typed and checked."""

    config_dir: Path
    server: ServerSettings
    flows: FlowSettings
    sessions: SessionSettings
    ussd: UssdSettings
    catalogue: CatalogueSettings
    store: StoreSettings
    redis: RedisSettings
    resume: ResumeSettings
    requests: RequestSettings
    calendar: CalendarSettings
    api: ApiSettings
    telegram: TelegramSettings
    payments: PaymentSettings
    sms: SmsSettings
    console: ConsoleSettings
    complaints: ComplaintSettings
    metrics: MetricsSettings
    logging: LoggingSettings
    feedback: FeedbackSettings
    analytics: AnalyticsSettings
    identity: IdentitySettings
    events: EventSettings
    privacy: PrivacySettings
    source: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The merged YAML and environment these were built from (for `updated`)."""
    file: str = "settings.yaml"

    def store_url(self) -> str:
        """`store.url` with a relative SQLite path made absolute, or the URL of `store.path`."""
        if not self.store.url:
            return sqlite_url(self.path(self.store.path))
        if self.store.url.startswith(SQLITE):
            return sqlite_url(sqlite_path(self.store.url, self.config_dir))
        return self.store.url

    def with_sqlite_store(self, file: Path, **others: Mapping[str, Any]) -> Settings:
        """These settings writing to the SQLite `file` instead (a scratch store), whatever the store was;
        `others`: more sections to change alike."""
        return self.updated({"store": {"url": "", "path": str(file)}, **others})

    def with_scratch_store(self, file: Path) -> Settings:
        """A trial's settings (simulate, flows test): the SQLite `file` and no Redis, whose sessions
        and outbox stream are the running workers' — a trial must neither join nor feed them."""
        return self.with_sqlite_store(file, redis={"url": "", "sentinels": [], "service_name": "", "password": "",
                                                   "sentinel_password": "", "tls": False})

    def path(self, relative: str) -> Path:
        """A path from the settings, relative to the config directory unless absolute."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.config_dir / candidate

    def updated(self, changes: Mapping[str, Any]) -> Settings:
        """These settings with `changes` merged in (nested mappings key by key), checked again."""
        return build_settings(self.config_dir, _merge(self.source, changes), self.file)


def _merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def build_settings(config_dir: Path, data: Mapping[str, Any], file: str) -> Settings:
    """Every section from `data`; SettingsError names the file and each wrong key."""
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), SECTIONS, n=1)
            hints.append(f"`{key}`: unknown section" + (f" (did you mean `{close[0]}`?)" if close else ""))
        raise SettingsError(f"{file}: " + "; ".join(hints) + f"; known: {', '.join(SECTIONS)}")
    built: dict[str, Any] = {}
    for name, read in SECTIONS.items():
        try:
            built[name] = read(data.get(name), name)
        except PishkhanError as exc:  # SettingsError, or a section's own (CalendarError)
            raise SettingsError(f"{file}: {exc}") from None
    return Settings(config_dir=config_dir, source=dict(data), file=file, **built)


def load_settings(config_dir: str | Path = "config", environ: Mapping[str, str] | None = None) -> Settings:
    """Read `settings.yaml` from the config directory, apply environment overrides, check everything."""
    config_dir = Path(config_dir)
    file = config_dir / "settings.yaml"
    try:
        data = read_yaml(file.read_text(encoding="utf-8")) if file.exists() else {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{file}: not valid YAML: {exc}") from exc
    if data is not None and not isinstance(data, dict):
        raise SettingsError(f"{file}: expected sections (server:, flows:, …) at the top level")
    environ = os.environ if environ is None else environ
    check_env(data or {}, environ)
    data = apply_env(data or {}, environ)
    return build_settings(config_dir, data, str(file))
