"""A citizen in tests: applies over USSD, finds the payment link in the outbox, and works the pay
pages like a browser does (GET the page, keep its cookie, POST its form, follow 303s by hand).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from ussd_citizen import PHONE, apply_by_ussd  # the payer starts by applying (tests import it from here too)

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_ACTION = re.compile(r'<form method="post" action="([^"]+)">')


async def outbox(client: Any, kind: str) -> list[dict[str, Any]]:
    """Outbox rows of one kind, oldest first, with meta decoded."""
    from gateway.app import GATEWAY
    rows = await client.app[GATEWAY].db.fetchall("SELECT * FROM outbox WHERE kind = ? ORDER BY id", (kind,))
    return [{**r, "meta": json.loads(r["meta"])} for r in rows]


def local(url: str) -> str:
    """Path and query of an absolute URL (the test client talks to the app directly)."""
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def csrf_of(html: str) -> str:
    """The form token on a page."""
    match = _CSRF.search(html)
    assert match, html
    return match.group(1)


def form_actions(html: str) -> list[str]:
    """Where the page's forms post to."""
    return _ACTION.findall(html)


async def post_form(client: Any, path: str, html: str, **fields: str) -> Any:
    """Submit a form of `html` to `path` with its CSRF token (cookies come from the client's jar); not following redirects."""
    return await client.post(path, data={"csrf": csrf_of(html), **fields}, allow_redirects=False)


async def decide_at_sandbox(client: Any, bank_url: str, action: str = "pay") -> str:
    """Press `action` on the sandbox bank's page; where the bank sends the browser back (not followed)."""
    bank_path = local(bank_url)
    bank_page = await (await client.get(bank_path)).text()
    decided = await post_form(client, bank_path, bank_page, action=action)
    assert decided.status == 303, await decided.text()
    return str(decided.headers["Location"])


async def pay_in_sandbox(client: Any, link: str, action: str = "pay") -> Any:
    """Open the link, press pay, press `action` at the sandbox bank; the callback's response."""
    token_page = await (await client.get(local(link))).text()
    started = await post_form(client, f"{local(link)}/start", token_page)
    assert started.status == 303, await started.text()
    return await client.get(local(await decide_at_sandbox(client, started.headers["Location"], action)))


async def start_payment(client: Any, phone: str = PHONE) -> tuple[str, str, str]:
    """Apply, open the link, press pay; (tracking code, link path, the provider's authority)."""
    code = await apply_by_ussd(client, phone=phone)
    [link] = [r for r in await outbox(client, "payment_link") if r["meta"]["tracking_code"] == code]
    path = local(link["meta"]["url"])
    started = await post_form(client, f"{path}/start", await (await client.get(path)).text())
    assert started.status == 303, await started.text()
    return code, path, started.headers["Location"].rsplit("/", 1)[1]


async def payment_state(client: Any, code: str) -> tuple[str, str]:
    """(the request's only payment's state, the request's payment_state)."""
    from gateway.app import GATEWAY
    gateway = client.app[GATEWAY]
    record = await gateway.requests.get(code)
    [payment] = await gateway.payments.store.for_request(record.id)
    return payment.state, record.payment_state
