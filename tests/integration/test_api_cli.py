"""The operator commands: `db migrate`, `catalogue import`, `tokens create|list|revoke`."""

from __future__ import annotations

from pathlib import Path

import pytest
from postgres_server import query

from gateway.cli import main
from gateway.tokens import token_hash

CONFIG = str(Path(__file__).resolve().parents[2] / "config")


@pytest.fixture
def store(empty_store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PISHKHAN_STORE_URL", empty_store_url)
    return empty_store_url


def test_migrate_then_import_the_catalogue(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", CONFIG, "db", "migrate"]) == 0
    assert "applied 0011_requests" in capsys.readouterr().out
    assert main(["--config", CONFIG, "db", "migrate"]) == 0
    assert "(0 applied)" in capsys.readouterr().out
    assert main(["--config", CONFIG, "catalogue", "import"]) == 0
    assert "ok: version 1 published" in capsys.readouterr().out
    assert query(store, "SELECT fee, days_to_deliver, parent FROM services WHERE id = '121095100'") == [
        {"fee": 300000, "days_to_deliver": 30, "parent": "121095000"}]


def test_a_broken_catalogue_is_refused_with_every_problem(store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [{id: a, title: {fa: الف, en: A}}]\nservices:\n  - {id: '12', type: G2C}\n", encoding="utf-8")
    assert main(["--config", CONFIG, "catalogue", "import", "--file", str(bad)]) == 1
    assert "9-digit service id" in capsys.readouterr().err


def test_tokens_are_printed_once_and_stored_hashed(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", CONFIG, "tokens", "create", "--role", "operator", "--name", "desk 3"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("pk_") and len(token) > 40
    assert query(store, "SELECT name, role, token_hash FROM api_tokens") == [{"name": "desk 3", "role": "operator", "token_hash": token_hash(token)}]
    assert main(["--config", CONFIG, "tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "operator\tdesk 3" in listed and token not in listed
    assert main(["--config", CONFIG, "tokens", "revoke", "1"]) == 0
    assert main(["--config", CONFIG, "tokens", "revoke", "1"]) == 1
    with pytest.raises(SystemExit):
        main(["--config", CONFIG, "tokens", "create", "--role", "root"])


@pytest.mark.parametrize("argv, field", [
    (["tokens", "revoke", "٣"], "id"), (["tokens", "revoke", "1_000"], "id"), (["outbox", "retry", "٣"], "id"),
    (["outbox", "list", "--limit", "²"], "limit"), (["outbox", "list", "--channel", "SMS!"], "channel"),
])
def test_the_cli_reads_numbers_and_names_as_the_api_does(store: str, capsys: pytest.CaptureFixture[str], argv: list[str], field: str) -> None:
    """int() takes "٣" and "1_000", so `tokens revoke ٣` revoked token 3; the API's ASCII rules apply in a shell too."""
    with pytest.raises(SystemExit) as stop:
        main(["--config", CONFIG, *argv])
    assert stop.value.code == 2 and f"{field}: must be" in capsys.readouterr().err
