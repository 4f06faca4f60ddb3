"""`redis.sentinels` and `redis.service_name`: read from settings.yaml or the environment, and every
wrong combination refused with the key named before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import SettingsError, load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_sentinels_come_from_the_environment_comma_separated() -> None:
    settings = load_settings(CONFIG, environ={"PISHKHAN_REDIS_SENTINELS": "10.0.0.5:26379, 10.0.0.6:26380,[::1]:26381",
                                              "PISHKHAN_REDIS_SERVICE_NAME": "pishkhan"})
    assert settings.redis.sentinel_addresses() == [("10.0.0.5", 26379), ("10.0.0.6", 26380), ("::1", 26381)]
    assert settings.redis.service_name == "pishkhan"
    assert settings.redis.enabled and not settings.redis.url


def test_without_url_or_sentinels_redis_is_not_used() -> None:
    assert not load_settings(CONFIG, environ={}).redis.enabled


@pytest.mark.parametrize(("environ", "message"), [
    ({"PISHKHAN_REDIS_SENTINELS": "10.0.0.5:26379", "PISHKHAN_REDIS_SERVICE_NAME": "p", "PISHKHAN_REDIS_URL": "redis://r:6379/0"},
     "`redis.url` and `redis.sentinels`: set one of them"),
    ({"PISHKHAN_REDIS_SENTINELS": "10.0.0.5:26379"}, "`redis.service_name`: required with `redis.sentinels`"),
    ({"PISHKHAN_REDIS_SERVICE_NAME": "p"}, "`redis.service_name`: only with `redis.sentinels`"),
    ({"PISHKHAN_REDIS_SENTINELS": "10.0.0.5:26379,10.0.0.6", "PISHKHAN_REDIS_SERVICE_NAME": "p"},
     "`redis.sentinels[1]`: '10.0.0.6' is not host:port"),
    ({"PISHKHAN_REDIS_SENTINELS": "10.0.0.5:99999", "PISHKHAN_REDIS_SERVICE_NAME": "p"}, "`redis.sentinels[0]`: '10.0.0.5:99999'"),
    ({"PISHKHAN_REDIS_URL": "redis://r:6379/0", "PISHKHAN_REDIS_PASSWORD": "s"}, "`redis.password`: only with `redis.sentinels`"),
    ({"PISHKHAN_REDIS_URL": "redis://r:6379/0", "PISHKHAN_REDIS_TLS": "yes"}, "write rediss://"),
])
def test_a_wrong_combination_is_refused_naming_the_key(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match="settings.yaml: .*" + message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        load_settings(CONFIG, environ=environ)


def test_sentinels_in_yaml_must_be_a_list(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("redis:\n  sentinels: 10.0.0.5:26379\n  service_name: p\n")
    with pytest.raises(SettingsError, match=r"`redis.sentinels`: Input should be a valid list"):
        load_settings(tmp_path, environ={})
