"""The privacy statement file is checked strictly: every section, every language, the retention period only
ever as `{retention_days}` (filled in from the setting), no unknown key; its SMS summary must fit."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.loader import read_yaml
from gateway.cli import main
from gateway.privacy.setup import build_privacy
from gateway.privacy.statement import parse_statement
from gateway.settings import load_settings
from gateway.settings_base import SettingsError

CONFIG = Path(__file__).resolve().parents[2] / "config"
SHIPPED = read_yaml((CONFIG / "privacy.yaml").read_text(encoding="utf-8"))


def parsed(data: Any, days: int = 90) -> Any:
    return parse_statement(data, where="privacy.yaml", languages=("fa", "en"), retention_days=days, url="https://p.example/privacy")


def changed(change: Any) -> Any:
    data = copy.deepcopy(SHIPPED)
    change(data)
    return data


def test_the_shipped_statement_says_the_settings_period_in_each_language() -> None:
    statement = parsed(SHIPPED, days=90)
    assert "۹۰ روز" in statement.full("fa") and "90" not in statement.full("fa")
    assert "erased 90 days after it ends" in statement.full("en")
    assert statement.short("en").endswith("\nhttps://p.example/privacy")
    assert [heading["en"] for heading, _ in statement.sections] == ["What we collect", "Why", "For how long", "Who sees it", "How to ask"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["sections"].pop("who_sees"), "`privacy.yaml.sections.who_sees`: Field required"),
    (lambda d: d["sections"].update(cookies=d["sections"]["why"]), "`privacy.yaml.sections.cookies`: unknown key"),
    (lambda d: d.update(titel=d["title"]), "`privacy.yaml.titel`: unknown key (did you mean `title`?)"),
    (lambda d: d["sections"]["why"]["text"].pop("en"), "`privacy.yaml: sections.why.text`: no en text"),
    (lambda d: d["summary"].update(de="Datenschutz"), "`privacy.yaml: summary`: languages de are not in flows.languages"),
    (lambda d: d["sections"]["how_long"]["text"].update(fa="پس از ۳۶۵ روز پاک می‌شود."),
     "`privacy.yaml: sections.how_long.text.fa`: must say {retention_days}"),
    (lambda d: d["summary"].update(en="Kept {retention} days."), "`privacy.yaml: summary.en`: unknown placeholder {retention}"),
])
def test_a_wrong_statement_is_refused_naming_the_key(change: Any, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        parsed(changed(change))
    assert message in str(error.value)


def test_a_summary_too_long_for_the_sms_parts_stops_the_gateway(tmp_path: Path) -> None:
    long = changed(lambda d: d["summary"].update(fa="پیشخوان " * 40))
    (tmp_path / "privacy.yaml").write_text(yaml.safe_dump(long, allow_unicode=True), encoding="utf-8")
    settings = load_settings(CONFIG, environ={}).updated({"privacy": {"statement": str(tmp_path / "privacy.yaml")}})
    with pytest.raises(SettingsError) as error:
        build_privacy(settings, None, lambda: None)  # type: ignore[arg-type]
    assert "`summary.fa` with the link (http://127.0.0.1:8080/privacy) is 6 SMS parts; at most 3" in str(error.value)


def test_the_retention_period_must_be_a_positive_number_of_days() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(CONFIG, environ={"PISHKHAN_PRIVACY_RETENTION_DAYS": "0"})
    assert "`privacy.retention_days`" in str(error.value)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["sections"].pop("who_sees"), "privacy.yaml.sections.who_sees`: Field required"),
    (lambda d: d["sections"]["how_long"]["text"].update(en="Erased after a year."), "privacy.yaml: sections.how_long.text.en`: must say"),
    (lambda d: d["summary"].update(fa="پیشخوان " * 40), "`summary.fa` with the link (http://127.0.0.1:8080/privacy) is 6 SMS parts"),
])
def test_flows_validate_checks_the_statement_as_the_start_does(tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any,
                                                                message: str) -> None:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    assert main(["--config", str(config), "flows", "validate"]) == 0 and capsys.readouterr().out.startswith("ok:")
    (config / "privacy.yaml").write_text(yaml.safe_dump(changed(change), allow_unicode=True), encoding="utf-8")
    assert main(["--config", str(config), "flows", "validate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"{config / 'privacy.yaml'}" in err and message in err, err
    (config / "privacy.yaml").unlink()
    assert main(["--config", str(config), "flows", "validate"]) == 1
    assert "the privacy statement is missing (privacy.statement)" in capsys.readouterr().err
