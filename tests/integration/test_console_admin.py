"""The console's operations pages as staff use them: who may open which, retrying a dead message,
reconcile findings and their repair, API tokens made and revoked (the API then refuses the token),
and console users administered, an admin never able to lock themselves out; every change in the
audit trail under the user's name."""

from __future__ import annotations

import html
import re

from console_pages import PASSWORD, csrf_of, make_user, post_form, sign_in
from waiting import eventually

from gateway.app import GATEWAY
from gateway.audit import AuditLog
from gateway.console.users import LoginRefused, UserStore

ALI = "+989121234567"
SECRET_TEXT = "Pay here: https://gw.example/pay/tok_s3cret-link"


async def signed_in_as(client, name: str, role: str) -> None:  # type: ignore[no-untyped-def]
    await make_user(client, name, role, language="en")
    assert (await sign_in(client, name)).status == 303


async def actions_of(client, name: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    entries, _ = await AuditLog(client.app[GATEWAY].db).list(actor=f"console:{name}", limit=100)
    return [(entry.action, entry.subject) for entry in reversed(entries) if entry.action != "user.signed_in"]


async def text_of(client, path: str) -> str:  # type: ignore[no-untyped-def]
    answer = await client.get(path)
    assert answer.status == 200, (path, answer.status)
    return html.unescape(await answer.text())


async def test_each_page_opens_for_its_roles_only(client) -> None:  # type: ignore[no-untyped-def]
    pages = ("/console/simulator", "/console/outbox", "/console/payments", "/console/tokens", "/console/users")
    allowed = {"viewer": 1, "operator": 3, "admin": 5}
    for role, reach in allowed.items():
        await signed_in_as(client, f"{role}1", role)
        statuses = [(await client.get(path)).status for path in pages]
        assert statuses == [200] * reach + [403] * (len(pages) - reach), role
        menu = await text_of(client, "/console")
        assert [name in menu for name in ("Simulator", "Outbox", "Payments", "API tokens", "Users")] == [True] * reach + [False] * (5 - reach)
        refused = await post_form(client, "/console/tokens", {"name": "x", "role": "admin"})
        assert refused.status == (200 if role == "admin" else 403), role  # an admin's form makes the token
        assert (await post_form(client, "/console/logout", {})).status == 303


async def test_an_operator_finds_a_dead_message_and_sends_it_again(client) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    message_id = await gateway.outbox.enqueue("sms", f"tel:{ALI}", SECRET_TEXT, kind="payment_link", meta={"url": SECRET_TEXT.split()[-1]})
    await eventually(lambda: _state_is(gateway, message_id, "sent"))
    await gateway.db.execute("UPDATE outbox SET state = 'dead', attempts = 6, last_error = 'HTTP 503' WHERE id = ?", (message_id,))
    await signed_in_as(client, "omid", "operator")

    dead = await text_of(client, "/console/outbox?state=dead")
    assert f'href="/console/outbox/{message_id}"' in dead and ALI in dead and "HTTP 503" in dead
    assert f'href="/console/outbox/{message_id}"' not in await text_of(client, "/console/outbox?state=sent")
    assert (await client.get("/console/outbox?state=lost")).status == 400
    one = await text_of(client, f"/console/outbox/{message_id}")
    assert SECRET_TEXT in one and "Send again" in one

    answer = await post_form(client, f"/console/outbox/{message_id}/retry", {}, page=f"/console/outbox/{message_id}")
    assert answer.status == 303 and answer.headers["Location"] == f"/console/outbox/{message_id}?retried=1"
    assert "The message is queued to be sent again." in await text_of(client, answer.headers["Location"])
    await eventually(lambda: _state_is(gateway, message_id, "sent"))  # the dispatcher sent it again
    again = await post_form(client, f"/console/outbox/{message_id}/retry", {}, page=f"/console/outbox/{message_id}")
    assert again.status == 409 and "it was sent; it is never sent twice" in html.unescape(await again.text())
    assert await actions_of(client, "omid") == [("outbox.retried", f"outbox {message_id}")]


async def test_a_retry_through_the_api_is_audited_under_its_token_too(client, tokens) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    message_id = await gateway.outbox.enqueue("sms", f"tel:{ALI}", "hello", kind="notification")
    await eventually(lambda: _state_is(gateway, message_id, "sent"))
    await gateway.db.execute("UPDATE outbox SET state = 'dead', last_error = 'HTTP 503' WHERE id = ?", (message_id,))
    assert (await client.post(f"/api/v1/outbox/{message_id}/retry", headers=tokens["operator"])).status == 200
    entries, _ = await AuditLog(gateway.db).list(action="outbox.retried")
    [entry] = entries
    assert entry.actor.startswith("token ") and entry.actor.endswith("(test operator)") and entry.subject == f"outbox {message_id}"
    assert entry.detail == {"previous_state": "dead", "last_error": "HTTP 503"}


async def _state_is(gateway, message_id: int, state: str) -> bool:  # type: ignore[no-untyped-def]
    return (await gateway.outbox.get(message_id))["state"] == state


def listed(page: str) -> str:
    """The payments list of the payments page (below the reconcile findings)."""
    return page[page.index('class="filters'):]


async def test_an_operator_sees_reconcile_findings_and_repairs_them(client) -> None:  # type: ignore[no-untyped-def]
    gateway = client.app[GATEWAY]
    record = await gateway.requests.submit("121095100", {"national_code": "0499370899", "birth_date": "1375/06/21"},
                                           channel="ussd", address=f"tel:{ALI}", phone=ALI, lang="en")
    await gateway.requests.set_payment_state(record.id, "paid")  # the request says paid; its payment does not
    await signed_in_as(client, "omid", "operator")

    shown = await text_of(client, "/console/payments")
    assert "link open" in shown and "request state" in shown and record.tracking_code in shown
    assert "request shows payment paid, payments say pending" in shown and "1 in all" in shown
    assert record.tracking_code in listed(await text_of(client, "/console/payments?state=pending"))
    assert record.tracking_code not in listed(await text_of(client, "/console/payments?state=paid"))

    done = await post_form(client, "/console/payments/repair", {}, page="/console/payments")
    page = html.unescape(await done.text())
    assert done.status == 200 and "What the repair did" in page and "repaired" in page
    assert "request state" not in await text_of(client, "/console/payments")
    assert await actions_of(client, "omid") == [("payments.repaired", "payments")]


async def test_an_admin_makes_a_token_shown_once_and_revokes_it(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "azadeh", "admin")
    made = await post_form(client, "/console/tokens", {"name": "desk bot", "role": "operator"}, page="/console/tokens")
    page = await made.text()
    token = re.search(r'id="token"[^>]*>(pk_[A-Za-z0-9_-]+)</textarea>', page)
    assert made.status == 200 and token and "Copy this token now: it is never shown again" in page
    assert made.headers["Cache-Control"] == "no-store"
    api = {"Authorization": f"Bearer {token.group(1)}"}
    assert (await client.get("/api/v1/outbox", headers=api)).status == 200

    listing = await text_of(client, "/console/tokens")
    [row] = await client.app[GATEWAY].db.fetchall("SELECT id, token_hash FROM api_tokens")
    assert "desk bot" in listing and token.group(1) not in listing and row["token_hash"] not in listing

    bad = await post_form(client, "/console/tokens", {"name": "", "role": "root"}, page="/console/tokens")
    assert bad.status == 400 and "Name: required" in await bad.text()

    confirm = await text_of(client, f"/console/tokens/{row['id']}/revoke")
    assert f"Revoke token {row['id']} (“desk bot”, operator)?" in confirm
    revoked = await post_form(client, f"/console/tokens/{row['id']}/revoke", {}, page=f"/console/tokens/{row['id']}/revoke")
    assert revoked.status == 303
    assert f"Token {row['id']} was revoked." in await text_of(client, revoked.headers["Location"])
    assert (await client.get("/api/v1/outbox", headers=api)).status == 401
    assert (await client.get(f"/console/tokens/{row['id']}/revoke")).status == 404
    assert await actions_of(client, "azadeh") == [("token.created", f"token {row['id']}"), ("token.revoked", f"token {row['id']}")]


async def test_an_admin_runs_the_accounts_but_cannot_lock_themselves_out(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "azadeh", "admin")
    short = await post_form(client, "/console/users", {"name": "sara", "role": "operator", "language": "fa", "password": "short"},
                            page="/console/users")
    text = html.unescape(await short.text())
    assert short.status == 400 and "at least 10 characters" in text and 'value="sara"' in text
    made = await post_form(client, "/console/users", {"name": "sara", "role": "operator", "language": "fa", "password": PASSWORD},
                           page="/console/users")
    assert made.status == 303 and made.headers["Location"] == "/console/users/sara?saved=1"
    listing = await text_of(client, "/console/users")
    assert "sara" in listing and "operator" in listing

    page = "/console/users/sara"
    assert (await post_form(client, page, {"do": "role", "role": "viewer"}, page=page)).status == 303
    assert "viewer" in (await text_of(client, page)).split("<dd>")[1]
    assert (await post_form(client, page, {"do": "disable"}, page=page)).status == 303
    assert "disabled" in await text_of(client, "/console/users")
    assert (await post_form(client, page, {"do": "enable"}, page=page)).status == 303
    assert (await post_form(client, page, {"do": "password", "password": "another good one"}, page=page)).status == 303

    mine = "/console/users/azadeh"
    for change, values in (("demote", {"do": "role", "role": "operator"}), ("disable", {"do": "disable"})):
        refused = await post_form(client, mine, values, page=mine)
        assert refused.status == 409 and "You cannot disable or demote your own account" in html.unescape(await refused.text()), change
    assert "admin" in (await text_of(client, mine)).split("<dd>")[1]

    locked = await _lock_out(client, "sara")
    assert "locked until" in await text_of(client, "/console/users")
    assert (await post_form(client, page, {"do": "unlock"}, page=page)).status == 303
    assert "locked until" not in await text_of(client, "/console/users") and locked
    assert await actions_of(client, "azadeh") == [("user.created", "user sara")] + [("user.changed", "user sara")] * 3 + [
        ("user.password_changed", "user sara"), ("user.changed", "user sara")]

    assert (await post_form(client, "/console/logout", {})).status == 303
    assert (await sign_in(client, "sara", "another good one")).status == 303  # the reset password, the account unlocked


async def _lock_out(client, name: str) -> bool:  # type: ignore[no-untyped-def]
    """Wrong passwords until the account locks (through the store: the sign-in form would sign this browser out)."""
    gateway = client.app[GATEWAY]
    store = UserStore(gateway.db, gateway.settings.console, gateway.requests.clock)
    for _ in range(gateway.settings.console.max_failed_logins):
        try:
            await store.sign_in(name, "not the password")
        except LoginRefused as refused:
            if refused.reason == "locked":
                return True
    return False


async def test_forms_without_the_session_token_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "azadeh", "admin")
    await csrf_of(client, "/console/tokens")
    for path, data in (("/console/tokens", {"name": "x", "role": "admin"}), ("/console/users/azadeh", {"do": "disable"}),
                       ("/console/payments/repair", {}), ("/console/outbox/1/retry", {})):
        assert (await client.post(path, data=data, allow_redirects=False)).status == 403, path
    assert await client.app[GATEWAY].db.fetchall("SELECT id FROM api_tokens") == []


async def test_an_admin_makes_a_token_for_one_agency_that_expires(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "azadeh", "admin")
    bad = await post_form(client, "/console/tokens", {"name": "police desk", "role": "operator", "agency": "police", "days": "0"},
                          page="/console/tokens")
    text = html.unescape(await bad.text())
    assert bad.status == 400 and "Valid for how many days (empty: no end): a whole number from 1 to 3,650" in text
    assert 'value="police" checked' in text  # what was ticked stays ticked
    made = await post_form(client, "/console/tokens", {"name": "police desk", "role": "operator", "agency": "police", "days": "۳۰"},
                           page="/console/tokens")
    token = re.search(r'id="token"[^>]*>(pk_[A-Za-z0-9_-]+)</textarea>', await made.text())
    assert made.status == 200 and token
    [row] = await client.app[GATEWAY].db.fetchall("SELECT agencies, expires_at, created_at FROM api_tokens")
    assert row["agencies"] == "police" and round((row["expires_at"] - row["created_at"]) / 86400) == 30
    listing = await text_of(client, "/console/tokens")
    assert "<td>Traffic Police (FARAJA)</td>" in listing and "No end" not in listing
    services = await (await client.get("/api/v1/services", headers={"Authorization": f"Bearer {token.group(1)}"})).json()
    assert services["items"] and {s["agency"] for s in services["items"]} == {"police"}  # the token sees its agency's only
