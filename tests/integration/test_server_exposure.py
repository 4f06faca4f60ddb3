"""`serve` on an address other machines reach refuses while a webhook is unauthenticated, unless
told `--insecure` (or `server.insecure`); on loopback, or with every webhook closed, it serves."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from gateway_process import gateway_env, refused, serving

SECRETS = {"PISHKHAN_USSD_AUTH_SECRET": "s3cret-ussd", "PISHKHAN_SMS_PROVIDERS_KANNEL_SECRET": "s3cret-kannel",
           "PISHKHAN_SMS_PROVIDERS_JASMIN_ALLOW_IPS": "10.0.0.0/8"}


def answers(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
        return response.status == 200


def test_open_webhooks_on_all_interfaces_are_refused_naming_each_and_the_way_out(tmp_path: Path) -> None:
    done = refused(gateway_env(tmp_path / "s.sqlite3"), "--host", "0.0.0.0")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("error: refusing to serve on 0.0.0.0: anyone who reaches it could call the unauthenticated webhooks of ")
    for where in ("USSD (ussd.auth.secret or ussd.auth.allow_ips)", "SMS provider kannel (sms.providers.kannel.secret",
                  "SMS provider jasmin (sms.providers.jasmin.secret", "--insecure (server.insecure: true)"):
        assert where in line


def test_one_open_provider_is_enough_to_refuse(tmp_path: Path) -> None:
    env = gateway_env(tmp_path / "s.sqlite3", **{**SECRETS, "PISHKHAN_SMS_PROVIDERS_JASMIN_ALLOW_IPS": ""})
    done = refused(env, "--host", "0.0.0.0")
    assert done.returncode == 1
    assert "webhooks of SMS provider jasmin (sms.providers.jasmin.secret or .allow_ips). Set those" in done.stderr


def test_insecure_serves_open_webhooks_anyway(tmp_path: Path) -> None:
    with serving(gateway_env(tmp_path / "s.sqlite3"), args=["--host", "0.0.0.0", "--insecure"]) as served:
        assert answers(served.base)


def test_the_insecure_setting_does_the_same(tmp_path: Path) -> None:
    env = gateway_env(tmp_path / "s.sqlite3", PISHKHAN_SERVER_INSECURE="true")
    with serving(env, args=["--host", "0.0.0.0"]) as served:
        assert answers(served.base)


def test_every_webhook_authenticated_serves_on_all_interfaces(tmp_path: Path) -> None:
    with serving(gateway_env(tmp_path / "s.sqlite3", **SECRETS), args=["--host", "0.0.0.0"]) as served:
        assert answers(served.base)


def test_loopback_serves_open_webhooks_for_development(tmp_path: Path) -> None:
    with serving(gateway_env(tmp_path / "s.sqlite3"), args=["--host", "127.0.0.1"]) as served:
        assert answers(served.base)
