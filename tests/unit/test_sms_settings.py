"""The `sms:` settings: shipped defaults load; mistakes name the key and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.settings import Settings, SettingsError, load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config"


def _with(changes: dict) -> Settings:
    settings = load_settings(CONFIG, environ={})
    return settings.updated({"sms": changes})


def test_the_shipped_settings_load() -> None:
    sms = load_settings(CONFIG, environ={}).sms
    assert sms.short_numbers["4000"].provider == "kannel" and sms.short_numbers["4001"].entry == "main:track"
    assert sms.max_segments == 3 and "لغو" in sms.keywords["stop"]


def test_secrets_come_from_the_environment() -> None:
    settings = load_settings(CONFIG, environ={"PISHKHAN_SMS_PROVIDERS_KANNEL_PASSWORD": "pw", "PISHKHAN_SMS_MAX_SEGMENTS": "2"})
    sms = settings.sms
    assert sms.providers["kannel"].password == "pw" and sms.max_segments == 2


@pytest.mark.parametrize("changes,message", [
    ({"short_numbers": {"5000": {"provider": "magfa"}}}, "sms.short_numbers.5000.provider`: 'magfa' is not under sms.providers"),
    ({"providers": {"x": {"type": "clickatell"}}, "short_numbers": {}}, "sms.providers.x.type`: 'clickatell' is not one of"),
    ({"default_short_number": "9999"}, "sms.default_short_number`: '9999' is not under sms.short_numbers"),
    ({"max_segmnets": 2}, "`sms.max_segmnets`: unknown key (did you mean `max_segments`?)"),
])
def test_mistakes_are_named(changes: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        _with(changes)
