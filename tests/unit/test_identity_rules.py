"""The identity check's rules without a network: the card key, the settings, the sandbox's rule, the
texts' sizes, and the cache (a real store, an injected clock)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from clock import ManualClock

from flows.errors import FlowError, ProviderError
from flows.gsm7 import sms_encoding
from gateway.catalogue import parse_catalogue
from gateway.catalogue.model import TITLE_LIMIT, TITLE_LIMITS
from gateway.identity import texts
from gateway.identity.cache import IdentityCache
from gateway.identity.sandbox import SandboxIdentity
from gateway.identity.settings import identity_settings
from gateway.identity.setup import build_identity
from gateway.settings_base import SettingsError
from gateway.store import Database

CATALOGUE = Path(__file__).resolve().parents[2] / "config" / "catalogue.yaml"
DUPLICATE = "121096101"
ALI, ALI_CODE = "+989121234567", "0499370899"


def _card_errors(change: dict, service_id: str = DUPLICATE) -> list[str]:  # type: ignore[type-arg]
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    next(s for s in data["services"] if s["id"] == service_id).update(change)
    errors: list[FlowError] = []
    catalogue = parse_catalogue(data, "catalogue.yaml", errors)
    assert catalogue.get(DUPLICATE) is not None
    return [str(e) for e in errors]


def test_the_sample_duplicate_certificate_requires_the_check() -> None:
    errors: list[FlowError] = []
    catalogue = parse_catalogue(yaml.safe_load(CATALOGUE.read_text(encoding="utf-8")), "catalogue.yaml", errors)
    assert errors == [] and [s.id for s in catalogue.services if s.identity_check] == [DUPLICATE]


def test_a_card_requiring_the_check_without_a_national_code_question_is_refused_naming_the_service() -> None:
    no_code = [{"name": "reason", "validator": {"type": "choice", "options": ["1", "2"]}, "prompt": {"fa": "علت", "en": "Reason"}}]
    assert _card_errors({"inputs": no_code}) == [
        f"catalogue.yaml: node `service {DUPLICATE}`: `identity_check` is true but no input asks for a national code to check"
        " the mobile number against (add an input with `validator: national_code`, or set `identity_check: false`)"]


def test_identity_check_must_be_true_or_false() -> None:
    assert _card_errors({"identity_check": "yes"}) == [
        f"catalogue.yaml: node `service {DUPLICATE}`: `identity_check` must be true or false, not 'yes'"]


def test_a_misspelt_identity_check_key_is_an_error() -> None:
    assert any("unknown key `identity_checks` (did you mean `identity_check`?)" in e for e in _card_errors({"identity_checks": True}))


def test_the_section_is_strict() -> None:
    with pytest.raises(SettingsError, match=r"`identity.cache_hour`: unknown key \(did you mean `cache_hours`\?\)"):
        identity_settings({"cache_hour": 2})
    with pytest.raises(SettingsError, match="use one of sandbox, shahkar"):
        identity_settings({"provider": "shahkr"})
    with pytest.raises(SettingsError, match="PISHKHAN_IDENTITY_PASSWORD"):
        identity_settings({"provider": "shahkar", "base_url": "https://shahkar.example", "username": "agency"})
    with pytest.raises(SettingsError, match=r"`identity.max_checks_per_day` is -1; use 0 \(no limit\) or more"):
        identity_settings({"max_checks_per_day": -1})


async def test_a_provider_timeout_that_leaves_no_time_to_keep_the_answers_is_refused(database: Database) -> None:
    with pytest.raises(SettingsError, match="keep it at most 2 s"):
        build_identity(identity_settings({"timeout": 2.5}), 3.0, database, None, None, ManualClock())  # type: ignore[arg-type]


async def test_the_sandbox_rule_gives_every_outcome() -> None:
    sandbox = SandboxIdentity()
    assert await sandbox.check(ALI, ALI_CODE) is True
    assert await sandbox.check(ALI, "0001234005") is False
    with pytest.raises(ProviderError) as raised:
        await sandbox.check(ALI, "9991234004")
    assert raised.value.retryable


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_messages_after_the_check_fit_two_sms_parts_with_the_longest_title(lang: str) -> None:
    title = "ب" * TITLE_LIMITS.get(lang, TITLE_LIMIT) if lang == "fa" else "x" * TITLE_LIMIT
    for text in (texts.LATE_NO_MATCH, texts.LATE_GAVE_UP):
        assert sms_encoding(texts.late_message(text, title, lang)).segments <= 2


def test_persian_messages_show_persian_digits() -> None:
    assert texts.late_message(texts.LATE_NO_MATCH, "خدمت 12", "fa").count("۱۲") == 1


async def test_an_answer_is_reused_for_cache_hours_and_kept_only_as_a_keyed_digest(database: Database) -> None:
    clock = ManualClock()
    cache = IdentityCache(database, "server-secret", 2, clock)
    assert await cache.get(ALI, ALI_CODE) is None
    await cache.put(ALI, ALI_CODE, True)
    await cache.put(ALI, "0013542419", False)
    clock.advance(2 * 3600 - 1)
    assert await cache.get(ALI, ALI_CODE) is True and await cache.get(ALI, "0013542419") is False
    rows = [dict(r) for r in await database.fetchall("SELECT * FROM identity_checks")]
    assert all("9121234567" not in r["digest"] and ALI_CODE not in r["digest"] for r in rows)
    assert IdentityCache(database, "another-secret", 2, clock).digest(ALI, ALI_CODE) != cache.digest(ALI, ALI_CODE)
    clock.advance(1)
    assert await cache.get(ALI, ALI_CODE) is None
    assert await cache.prune() == 2 and await database.fetchall("SELECT * FROM identity_checks") == []


async def test_without_a_secret_nothing_is_cached(database: Database) -> None:
    cache = IdentityCache(database, "", 24, ManualClock())
    await cache.put(ALI, ALI_CODE, True)
    assert await cache.get(ALI, ALI_CODE) is None and await database.fetchall("SELECT * FROM identity_checks") == []
