"""A citizen in tests: applies over USSD, finds the payment link in the outbox, and works the pay
pages like a browser does (GET the page, keep its cookie, POST its form, follow 303s by hand).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from ussd_citizen import apply_by_ussd  # noqa: F401  (re-exported: the payer starts by applying)
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


async def pay_in_sandbox(client: Any, link: str, action: str = "pay") -> Any:
    """Open the link, press pay, press `action` at the sandbox bank; the callback's response."""
    token_page = await (await client.get(local(link))).text()
    started = await post_form(client, f"{local(link)}/start", token_page)
    assert started.status == 303, await started.text()
    bank_path = local(started.headers["Location"])
    bank_page = await (await client.get(bank_path)).text()
    decided = await post_form(client, bank_path, bank_page, action=action)
    assert decided.status == 303, await decided.text()
    return await client.get(local(decided.headers["Location"]))
