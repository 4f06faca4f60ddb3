"""Settings: YAML defaults, PISHKHAN_* overrides, and clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import SettingsError, load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_shipped_settings_load_with_the_embedded_defaults() -> None:
    settings = load_settings(CONFIG, environ={})
    assert settings.server.port == 8080
    assert settings.redis.url == ""
    assert settings.ussd.limits(None) == (182, 80)
    assert settings.flows.languages == ["fa", "en"]


def test_environment_overrides_any_key_with_its_type() -> None:
    settings = load_settings(CONFIG, environ={
        "PISHKHAN_SERVER_PORT": "9100",
        "PISHKHAN_REDIS_URL": "redis://127.0.0.1:6390/0",
        "PISHKHAN_USSD_UCS2_LIMIT": "70",
        "PISHKHAN_FLOWS_LANGUAGES": "fa, en",
        "PISHKHAN_USSD_AUTH_SECRET": "s3cret",
    })
    assert settings.server.port == 9100
    assert settings.redis.url == "redis://127.0.0.1:6390/0"
    assert settings.ussd.limits(None) == (182, 70)
    assert settings.flows.languages == ["fa", "en"]
    assert settings.ussd.auth.secret == "s3cret"


def test_operator_cap_only_lowers_the_limit() -> None:
    settings = load_settings(CONFIG, environ={})
    ussd = settings.ussd.__class__(operator_limits={"43211": {"ucs2_limit": 70, "gsm_limit": 500}})
    assert ussd.limits("43211") == (182, 70)
    assert ussd.limits("other") == (182, 80)


def test_a_misspelt_override_in_the_environment_is_an_error_with_the_right_name() -> None:
    with pytest.raises(SettingsError, match=r"PISHKHAN_STORE_URLL \(did you mean PISHKHAN_STORE_URL\?\)"):
        load_settings(CONFIG, environ={"PISHKHAN_STORE_URLL": "postgresql://db/pishkhan"})
    assert load_settings(CONFIG, environ={"PISHKHAN_TEST_POSTGRES_URL": "x"}).store.url == ""   # not a section: not ours


def test_bad_number_in_the_environment_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="PISHKHAN_SERVER_PORT"):
        load_settings(CONFIG, environ={"PISHKHAN_SERVER_PORT": "eighty"})


def test_unknown_key_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("server:\n  prot: 80\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="settings.yaml: `server.prot`: unknown key \\(did you mean `port`\\?\\)"):
        load_settings(tmp_path, environ={})


def test_a_typo_in_any_section_is_named_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("api:\n  max_pagee: 10\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="`api.max_pagee`: unknown key \\(did you mean `max_page`\\?\\)"):
        load_settings(tmp_path, environ={})


def test_an_unknown_section_is_named_with_the_closest_one(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("reddis:\n  url: redis://x\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="`reddis`: unknown section \\(did you mean `redis`\\?\\)"):
        load_settings(tmp_path, environ={})


@pytest.mark.parametrize("yaml_text, message", [
    ("server:\n  port: eighty\n", "`server.port`: Input should be a valid integer"),
    ("ussd:\n  auth:\n    secrett: x\n", "`ussd.auth.secrett`: unknown key \\(did you mean `secret`\\?\\)"),
    ("telegram:\n  bots:\n    main: {token: '1:x'}\n", "telegram.bots.main.token: not a bot token"),
    ("calendar:\n  weekend: [fri]\n", "not a weekday"),
])
def test_wrong_values_in_nested_sections_are_named(tmp_path: Path, yaml_text: str, message: str) -> None:
    (tmp_path / "settings.yaml").write_text(yaml_text, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(tmp_path, environ={})
