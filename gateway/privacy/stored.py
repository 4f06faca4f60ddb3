"""What is kept about one phone number, as its owner may read it: requests (code, service, status, how
many personal answers), payments, complaints, survey answers, poll votes, opt-out, linked bot chats.

Read only for a number the channel vouches for: the MSISDN the network gives (USSD, SMS) or the contact
a bot user shared (Telegram verifies it). Never a number typed in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from gateway.catalogue import Catalogue
from gateway.privacy.erasure import FINAL, kept_inputs
from gateway.store import Database

MAX_LISTED = 20
"""Requests listed one by one; the counts cover all of them."""


@dataclass(frozen=True)
class StoredRequest:
    """One request of the number, and how many personal answers it still holds."""

    code: str
    service_id: str
    status: str
    personal: int
    finished: bool


@dataclass(frozen=True)
class Stored:
    """Everything kept about a number, counted."""

    requests: tuple[StoredRequest, ...]
    request_count: int
    payments: int
    complaints: int
    surveys: int
    votes: int
    opted_out: bool
    bot_chats: int


async def stored_about(db: Database, catalogue: Callable[[], Catalogue], phone: str) -> Stored:
    """The summary of what is kept about `phone` (E.164)."""
    rows = await db.fetchall("SELECT tracking_code, service_id, status, inputs FROM requests WHERE phone = ? ORDER BY created_at DESC, id DESC",
                             (phone,))
    now = catalogue()
    listed = tuple(
        StoredRequest(r["tracking_code"], r["service_id"], r["status"],
                      len(json.loads(r["inputs"])) - len(kept_inputs(json.loads(r["inputs"]), now, r["service_id"])), r["status"] in FINAL)
        for r in rows[:MAX_LISTED])

    async def count(sql: str, *params: object) -> int:
        row = await db.fetchone(sql, params)
        return int(row["n"]) if row else 0

    return Stored(
        requests=listed, request_count=len(rows),
        payments=await count("SELECT count(*) AS n FROM payments p JOIN requests r ON r.id = p.request_id WHERE r.phone = ?", phone),
        complaints=await count("SELECT count(*) AS n FROM complaints WHERE phone = ?", phone),
        surveys=await count("SELECT count(*) AS n FROM feedback_surveys s JOIN requests r ON r.id = s.request_id"
                            " WHERE r.phone = ? AND s.answered_at IS NOT NULL", phone),
        votes=await count("SELECT count(*) AS n FROM consultation_votes WHERE phone = ?", phone),
        opted_out=await count("SELECT count(*) AS n FROM sms_optouts WHERE address = ?", f"tel:{phone}") > 0,
        bot_chats=await count("SELECT count(*) AS n FROM telegram_contacts WHERE phone = ?", phone),
    )
