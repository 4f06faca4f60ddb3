"""The audit trail (issue 13 item 6): token and request-status changes are recorded with who, when and
what, in the change's own transaction, and listed by `pishkhan audit` and `GET /api/v1/audit` (admin)."""

from __future__ import annotations

import asyncio
import datetime
import getpass
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from api_tokens import ACTOR
from ussd_citizen import apply_by_ussd

from gateway.app import GATEWAY
from gateway.audit import AuditLog, cli_actor
from gateway.cli import main
from gateway.requests import RequestNotFound, TransitionNotAllowed
from gateway.settings import Settings
from gateway.tokens import TokenStore

CONFIG = str(Path(__file__).resolve().parents[2] / "config")
UTC = datetime.UTC


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `pishkhan` on the `client` fixture's store, in a thread (it runs its own event loop); (exit code, out, err)."""
    monkeypatch.setenv("PISHKHAN_STORE_URL", settings.store_url())

    async def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = await asyncio.to_thread(main, ["--config", CONFIG, *argv])
        except SystemExit as stop:  # argparse refusing an option
            code = int(stop.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


async def audit(client: Any, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    response = await client.get(f"/api/v1/audit?{query}", headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def token_actor_of(client: Any, name: str) -> str:
    row = await client.app[GATEWAY].db.fetchone("SELECT id FROM api_tokens WHERE name = ?", (name,))
    return f"token {row['id']} ({name})"


async def test_tokens_made_and_revoked_in_a_shell_are_in_the_cli_and_the_api(client, tokens, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = await cli("tokens", "create", "--role", "operator", "--name", "desk 3")
    secret = out.strip()
    assert code == 0 and secret.startswith("pk_")
    token_id = (await client.app[GATEWAY].db.fetchone("SELECT id FROM api_tokens WHERE name = 'desk 3'"))["id"]
    assert (await cli("tokens", "revoke", str(token_id)))[0] == 0
    assert (await cli("tokens", "revoke", str(token_id)))[0] == 1  # nothing to revoke: nothing recorded

    code, out, _ = await cli("audit")
    me = cli_actor()
    lines = out.splitlines()
    assert code == 0 and me.startswith("cli:") and secret not in out
    assert lines[0].split("\t")[1:] == [me, "token.revoked", f"token {token_id}", "name=desk 3 role=operator"]
    assert lines[1].split("\t")[1:] == [me, "token.created", f"token {token_id}", "name=desk 3 role=operator"]
    assert [line.split("\t")[1:4] for line in lines[2:5]] == [
        [ACTOR, "token.created", "token 3"], [ACTOR, "token.created", "token 2"], [ACTOR, "token.created", "token 1"]]
    assert lines[5].split("\t")[1:4] == ["pishkhan (first start)", "content.published", "version 1"]  # config/ became version 1
    assert lines[6] == "6 of 6 entries"
    assert datetime.datetime.fromisoformat(lines[0].split("\t")[0]) >= datetime.datetime.now(UTC) - datetime.timedelta(minutes=1)

    page = await audit(client, tokens["admin"], "action=token.revoked")
    [entry] = page["items"]
    assert page["total"] == 1 and entry["actor"] == me and entry["subject"] == f"token {token_id}"
    assert entry["detail"] == {"name": "desk 3", "role": "operator"}
    assert secret not in json.dumps(await audit(client, tokens["admin"]))


async def test_a_transition_is_recorded_under_the_token_with_from_to_and_reason(client, tokens, cli) -> None:  # type: ignore[no-untyped-def]
    code = await apply_by_ussd(client)
    url = f"/api/v1/requests/{code}/transition"
    assert (await client.post(url, json={"to": "in_review"}, headers=tokens["operator"])).status == 200
    assert (await client.post(url, json={"to": "needs_info", "reason": "Photo unreadable"}, headers=tokens["operator"])).status == 200

    page = await audit(client, tokens["admin"], f"subject={code}")
    operator = await token_actor_of(client, "test operator")
    assert page["total"] == 2 and operator == "token 2 (test operator)"
    assert [(e["actor"], e["action"], e["subject"], e["detail"]) for e in page["items"]] == [
        (operator, "request.transitioned", code, {"from": "in_review", "to": "needs_info", "reason": "Photo unreadable"}),
        (operator, "request.transitioned", code, {"from": "submitted", "to": "in_review", "reason": None}),
    ]
    events = (await (await client.get(f"/api/v1/requests/{code}", headers=tokens["operator"])).json())["events"]
    assert [e["actor"] for e in events] == ["citizen", operator, operator]  # the request's own history names the same token
    _, out, _ = await cli("audit", "--actor", "test operator")
    *lines, footer = out.splitlines()
    assert footer == "2 of 2 entries" and [line.split("\t")[1:] for line in lines] == [
        [operator, "request.transitioned", code, "from=in_review to=needs_info reason=Photo unreadable"],
        [operator, "request.transitioned", code, "from=submitted to=in_review"]]


async def test_a_refused_transition_records_nothing(client, tokens) -> None:  # type: ignore[no-untyped-def]
    code = await apply_by_ussd(client)
    url, op = f"/api/v1/requests/{code}/transition", tokens["operator"]
    assert (await client.post(url, json={"to": "approved"}, headers=op)).status == 409  # the lifecycle refuses
    assert (await client.post(url, json={"to": "done"}, headers=op)).status == 422  # no such status
    assert (await client.post("/api/v1/requests/12345678902/transition", json={"to": "in_review"}, headers=op)).status == 404
    assert (await client.post(url, json={"to": "in_review"}, headers=op)).status == 200
    assert (await client.post(url, json={"to": "rejected"}, headers=op)).status == 422  # a rejection needs a reason
    page = await audit(client, tokens["admin"], "action=request.transitioned")
    assert page["total"] == 1 and page["items"][0]["detail"]["to"] == "in_review"


@pytest.mark.sqlite  # the failure is a SQLite trigger
async def test_a_change_and_its_record_commit_together_or_not_at_all(client, tokens) -> None:  # type: ignore[no-untyped-def]
    """When the audit row cannot be written, the status change and the token are not made either."""
    gateway = client.app[GATEWAY]
    code = await apply_by_ussd(client)
    await gateway.db.execute("CREATE TRIGGER audit_broken BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit disk full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="audit disk full"):
        await gateway.requests.transition(code, "in_review", actor="cli:clerk", reason=None)
    with pytest.raises(sqlite3.IntegrityError, match="audit disk full"):
        await TokenStore(gateway.db).create("admin", "ghost", actor="cli:clerk")
    with pytest.raises(sqlite3.IntegrityError, match="audit disk full"):
        await TokenStore(gateway.db).revoke(1, actor="cli:clerk")
    body = await (await client.get(f"/api/v1/requests/{code}", headers=tokens["viewer"])).json()
    assert body["status"] == "submitted" and [e["to"] for e in body["events"]] == ["submitted"]
    assert [r["name"] for r in await TokenStore(gateway.db).list() if r["revoked_at"] is None] == ["test viewer", "test operator", "test admin"]
    await gateway.db.execute("DROP TRIGGER audit_broken")
    with pytest.raises(RequestNotFound):  # and a code nobody has records nothing
        await gateway.requests.transition("12345678902", "in_review", actor="cli:clerk", reason=None)
    with pytest.raises(TransitionNotAllowed):
        await gateway.requests.transition(code, "delivered", actor="cli:clerk", reason=None)
    assert (await audit(client, tokens["admin"], "action=request.transitioned"))["total"] == 0


def at(day: int, hour: int = 12) -> float:
    return datetime.datetime(2026, 1, day, hour, tzinfo=UTC).timestamp()


async def entries_on_three_days(client: Any) -> None:
    """A content publish at noon UTC on 10, 11 and 12 January 2026 (Tehran is UTC+3:30), each with a diff."""
    db = client.app[GATEWAY].db
    for day in (10, 11, 12):
        detail = {"version": day, "diff": ["--- a/flows/main.yaml", "+++ b/flows/main.yaml", f"-  title: Old {day}", f"+  title: New {day}"]}
        await AuditLog(db, clock=lambda day=day: at(day)).record("cli:lead", "content.published", f"version {day}", detail)


@pytest.mark.parametrize("query, subjects", [
    ("since=2026-01-11&actor=lead", ["version 12", "version 11"]),  # (the gateway's own version 1 is from today)
    ("since=2026-01-11&until=2026-01-11", ["version 11"]),  # a day includes itself whole, in the calendar's time zone
    ("since=1404/10/21&until=1404/10/21", ["version 11"]),  # the same day, Jalali
    ("until=2026-01-11T15:31", ["version 11", "version 10"]),  # a time without an offset is Tehran's: 12:01 UTC
    ("until=2026-01-11T12:00:00Z", ["version 10"]),  # until is before that instant
    ("since=2026-01-11T12:00Z&until=2026-01-12T15:30%2B03:30", ["version 11"]),
    ("actor=lead&limit=2&offset=1", ["version 11", "version 10"]),
    ("subject=version 12", ["version 12"]),
    ("action=content.published&actor=cli:", ["version 12", "version 11", "version 10"]),
])
async def test_filters_and_paging(client, tokens, query: str, subjects: list[str]) -> None:  # type: ignore[no-untyped-def]
    await entries_on_three_days(client)
    page = await audit(client, tokens["admin"], query + "&action=content.published" * ("action=" not in query))
    assert [e["subject"] for e in page["items"]] == subjects
    if "limit" in query:
        assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)


@pytest.mark.parametrize("query, field", [
    ("since=2026-02-30", "since"), ("since=yesterday", "since"), ("until=2026-01-11T24:00", "until"),
    ("since=2026-01-12&until=2026-01-11", "until"), ("action=token.made", "action"), ("actor=", "actor"),
    ("subject=a%0Ab", "subject"), ("limit=0", "limit"), ("limit=201", "limit"), ("offset=-1", "offset"),
    ("who=alice", "who"), ("action=token.created&action=token.revoked", "action"),
])
async def test_bad_filters_are_refused_by_name(client, tokens, query: str, field: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/audit?{query}", headers=tokens["admin"])
    assert response.status == 422, await response.text()
    error = (await response.json())["error"]
    assert error["field"] == field and error["message"].startswith(f"{field}: ")


async def test_only_admins_read_the_trail(client, tokens) -> None:  # type: ignore[no-untyped-def]
    for role in ("viewer", "operator"):
        response = await client.get("/api/v1/audit", headers=tokens[role])
        assert response.status == 403 and (await response.json())["error"]["code"] == "forbidden"
    assert (await client.get("/api/v1/audit")).status == 401


async def test_the_cli_prints_a_diff_in_full_when_asked_or_following_one_subject(client, tokens, cli) -> None:  # type: ignore[no-untyped-def]
    await entries_on_three_days(client)
    code, out, _ = await cli("audit", "--action", "content.published", "--actor", "lead")
    assert code == 0 and out.splitlines()[0].split("\t") == [
        "2026-01-12T12:00:00+00:00", "cli:lead", "content.published", "version 12", "version=12 diff: 4 lines"]
    assert "title: New 12" not in out and out.endswith("3 of 3 entries\n")
    _, out, _ = await cli("audit", "--action", "content.published", "--actor", "lead", "--full", "--limit", "1")
    assert out.splitlines()[1:] == ["    --- a/flows/main.yaml", "    +++ b/flows/main.yaml", "    -  title: Old 12", "    +  title: New 12",
                                    "1 of 3 entries"]
    _, out, _ = await cli("audit", "--subject", "version 10")
    assert "    +  title: New 10" in out and "New 11" not in out
    _, out, _ = await cli("audit", "--since", "2026-01-11", "--until", "1404/10/21", "--json")
    assert json.loads(out) == await audit(client, tokens["admin"], "since=2026-01-11&until=2026-01-11")


@pytest.mark.parametrize("argv, message", [
    (["--since", "2026-02-30"], "argument --since: since: must be a day"),
    (["--action", "token.made"], "argument --action: action: use one of token.created, token.revoked, request.transitioned"),
    (["--limit", "۵"], "argument --limit: limit: must be a whole number"),
    (["--since", "2026-01-12", "--until", "2026-01-11"], "error: until: must be after since"),
])
async def test_the_cli_refuses_bad_filters_with_exit_2(client, cli, argv: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = await cli("audit", *argv)
    assert code == 2 and message in err and out == "", err


async def test_details_never_hold_a_token_or_an_unmasked_phone_or_national_code(client, tokens) -> None:  # type: ignore[no-untyped-def]
    code = await apply_by_ussd(client)
    url, op = f"/api/v1/requests/{code}/transition", tokens["operator"]
    await client.post(url, json={"to": "in_review"}, headers=op)
    reason = "Call ۰۹۱۲۱۲۳۴۵۶۷ or +989121234567 and bring the card of 0499370899"
    assert (await client.post(url, json={"to": "needs_info", "reason": reason}, headers=op)).status == 200
    secret = tokens["admin"]["Authorization"].split()[1]
    await AuditLog(client.app[GATEWAY].db).record("cli:lead", "service.changed", "121095100", {"note": [f"pasted {secret} by mistake"]})

    page = await audit(client, tokens["admin"])
    shown = json.dumps(page, ensure_ascii=False)
    assert secret not in shown and "0499370899" not in shown and "1234567" not in shown and "۱۲۳۴۵۶۷" not in shown
    [moved] = [e for e in page["items"] if e["detail"].get("to") == "needs_info"]
    assert moved["detail"]["reason"] == "Call ۰۹۱۲****۵۶۷ or +98912****567 and bring the card of *******899"
    assert page["items"][0]["detail"] == {"note": ["pasted pk_*** by mistake"]}
    assert code in shown  # the subject names the request


def test_a_shell_user_without_a_name_is_named_by_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    def nameless() -> str:
        raise OSError("No username set in the environment")

    assert cli_actor() == f"cli:{getpass.getuser()}"
    monkeypatch.setattr(getpass, "getuser", nameless)
    assert cli_actor() == f"cli:uid {os.getuid()}"
