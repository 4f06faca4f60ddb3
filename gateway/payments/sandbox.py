"""The built-in sandbox bank: a payment provider served from our own app, for demos and tests.

It behaves like an outside redirect gateway and keeps its own books (`payment_sandbox`): `create`
hands out an authority, `/pay/sandbox/<authority>` shows a pay / cancel page, and the browser is
sent back to the callback URL with `Authority` and `Status` like Zarinpal does. `verify` answers
with Zarinpal's codes (100, 101, -50 amount differs, -51 not paid, -54 unknown authority). No real
money moves.
"""

from __future__ import annotations

import secrets
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.payments.links import new_csrf
from gateway.payments.models import Payment, Verification
from gateway.payments.providers import PaymentOrder, authority_param
from gateway.store import Database

SANDBOX_PATH = "/pay/sandbox/"


@dataclass(frozen=True)
class SandboxSession:
    """One authority in the sandbox bank's books."""

    authority: str
    amount: int
    paid_amount: int | None
    description: str
    callback_url: str
    csrf: str
    state: str
    ref_id: str | None


def _session(row: Mapping[str, Any]) -> SandboxSession:
    return SandboxSession(row["authority"], row["amount"], row["paid_amount"], row["description"], row["callback_url"],
                          row["csrf"], row["state"], row["ref_id"])


class SandboxBank:
    """PaymentProvider whose pay page is part of this gateway."""

    name = "sandbox"

    def __init__(self, db: Database, public_base_url: str) -> None:
        self.db = db
        self.public_base_url = public_base_url.rstrip("/")

    async def create(self, order: PaymentOrder) -> str:
        """Open a session and return its authority (`S` and 20 random digits)."""
        authority = "S" + "".join(secrets.choice("0123456789") for _ in range(20))
        now = time.time()
        await self.db.execute(
            "INSERT INTO payment_sandbox (authority, amount, description, callback_url, csrf, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (authority, order.amount, order.description[:200], order.callback_url, new_csrf(), now, now),
        )
        return authority

    def redirect_url(self, authority: str) -> str:
        """The sandbox pay page."""
        return f"{self.public_base_url}{SANDBOX_PATH}{authority}"

    def authority_from(self, query: Mapping[str, str]) -> str | None:
        """`Authority` from the callback."""
        return authority_param(query)

    async def session(self, authority: str) -> SandboxSession | None:
        """A session by authority, for its page."""
        row = await self.db.fetchone("SELECT * FROM payment_sandbox WHERE authority = ?", (authority,))
        return _session(row) if row else None

    async def decide(self, authority: str, pay: bool, paid_amount: int | None = None) -> str | None:
        """The payer pressed pay or cancel (once: a session already decided keeps its outcome).
        The URL to send the browser back to, or None for an unknown authority."""
        found = await self.session(authority)
        if found is None:
            return None
        if found.state == "new":
            state = "paid" if pay else "cancelled"
            ref = "".join(secrets.choice("0123456789") for _ in range(10)) if pay else None
            await self.db.execute(
                "UPDATE payment_sandbox SET state = ?, paid_amount = ?, ref_id = ?, updated_at = ? WHERE authority = ? AND state = 'new'",
                (state, (paid_amount if paid_amount is not None else found.amount) if pay else None, ref, time.time(), authority),
            )
            found = await self.session(authority) or found
        status = "OK" if found.state in ("paid", "verified") else "NOK"
        joiner = "&" if "?" in found.callback_url else "?"
        return f"{found.callback_url}{joiner}{urllib.parse.urlencode({'Authority': authority, 'Status': status})}"

    async def verify(self, payment: Payment) -> Verification:
        """Zarinpal-coded answer from the sandbox's books, checking the amount we send."""
        found = await self.session(payment.authority or "")
        if found is None:
            return Verification("rejected", -54, "unknown authority")
        if found.state not in ("paid", "verified"):
            return Verification("unpaid", -51, f"not paid ({found.state})")
        if found.paid_amount != payment.amount:
            return Verification("mismatch", -50, f"amount {payment.amount} differs from the amount paid")
        code = 101 if found.state == "verified" else 100
        await self.db.execute("UPDATE payment_sandbox SET state = 'verified', updated_at = ? WHERE authority = ? AND state = 'paid'",
                              (time.time(), found.authority))
        return Verification("paid", code, "verified" if code == 100 else "already verified",
                            ref_id=found.ref_id, card_pan="6037-99**-****-0000")

    async def close(self) -> None:
        """Nothing to release: the books are in the gateway's database."""
