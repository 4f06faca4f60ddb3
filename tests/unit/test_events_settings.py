"""`events:` in settings.yaml: strict, each wrong key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import SettingsError, load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_the_shipped_events_settings_refuse_private_urls() -> None:
    events = load_settings(CONFIG, environ={}).events
    assert events.allow_private_urls is False and events.retry_delays == [5, 300, 1800, 7200, 18000]


@pytest.mark.parametrize(("change", "named"), [
    ({"allow_privat_urls": True}, "`events.allow_privat_urls`: unknown key (did you mean `allow_private_urls`?)"),
    ({"timeout": 90}, "timeout: 90 s is over 60"),
    ({"retry_delays": []}, "retry_delays: give at least one delay"),
    ({"retry_delays": [5, -1]}, "`events.retry_delays.1`"),
    ({"max_url_length": 20}, "max_url_length: 20 is not from 100 to 8000"),
])
def test_a_wrong_events_setting_is_refused_naming_it(change: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(CONFIG, environ={}).updated({"events": change})
    assert named in str(refused.value)
