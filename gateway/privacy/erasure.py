"""Erasing the personal inputs of finished requests: on the citizen's request, and by the retention job.

What a finished request keeps, for statistics: its row (tracking code, service, channel, status, fee,
payment state, due date, dates), its status history (reasons with digit runs masked), its payments'
amounts and states, its survey's rating, and every analytics count (never personal). What goes: the
personal inputs (an input the catalogue marks `personal`, and any it no longer describes, to be safe),
the phone number, national code, address and idempotency key (a hash of the inputs); the texts the citizen
wrote about it (a complaint about it once that complaint is closed or answered, the survey's comment);
the card number the bank gave; the chat's link to the code (bots' "my requests"); and the texts of its
messages that have left the outbox. Staff notes and status reasons keep their words with every phone
number and national code in them masked. One transaction per request, audited (`request.erased`).

Only finished requests (answered: rejected or delivered; or cancelled) are erased: an open or approved one
is still being answered, and its inputs are what the agency answers. A rejected request may still be marked
delivered (the rejection handed over), which needs none of its inputs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flows.clock import SYSTEM_CLOCK, Clock
from flows.masking import mask_digit_runs
from gateway.audit import AuditLog
from gateway.catalogue import Catalogue
from gateway.complaints.lifecycle import OPEN as COMPLAINT_OPEN
from gateway.requests.service import receipt_key
from gateway.store import Database, Transaction

log = logging.getLogger(__name__)

FINAL = frozenset({"rejected", "delivered", "cancelled"})
"""The request is finished: answered (the statuses a satisfaction survey follows, gateway.feedback) or cancelled."""
ERASED = "[erased]"
"""What an erased free text reads."""
SENT = ("sent", "dead", "suppressed")
"""Outbox states a message never leaves: its text may go (one still to be sent is left to go out)."""
RETENTION_ACTOR = "privacy:retention"
CITIZEN_ACTOR = "citizen"
_FINAL_SQL = f"status IN ({', '.join('?' * len(FINAL))})"
_SENT_SQL = ", ".join("?" * len(SENT))
_DUE_SQL = (f"r.erased_at IS NULL AND r.{_FINAL_SQL}"
            " AND (SELECT max(e.at) FROM request_events e WHERE e.request_id = r.id) < ?")
"""Finished requests not yet erased whose final transition is older than the cutoff (`Eraser._due`'s parameters)."""
_OLD_MESSAGES_SQL = f"updated_at < ? AND state IN ({_SENT_SQL}) AND text <> ?"
"""Messages that left the outbox before the cutoff, not yet erased (`Eraser._old`'s parameters)."""


def kept_inputs(inputs: Mapping[str, Any], catalogue: Catalogue, service_id: str) -> dict[str, Any]:
    """The inputs that are not personal, as the catalogue describes the service now."""
    service = catalogue.get(service_id)
    plain = {item.name for item in service.inputs if not item.personal} if service else set()
    return {name: value for name, value in inputs.items() if name in plain}


@dataclass(frozen=True)
class Swept:
    """What a retention pass erased (or, dry, would): finished requests' personal inputs, and old messages' texts."""

    requests: int
    messages: int


@dataclass(frozen=True)
class Erased:
    """What asking to erase did: the codes erased, and the codes left because they are still open."""

    erased: tuple[str, ...]
    still_open: tuple[str, ...]


class Eraser:
    """Erases finished requests' personal inputs, one audited transaction each."""

    def __init__(self, db: Database, catalogue: Callable[[], Catalogue], audit: AuditLog, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.catalogue = catalogue
        self.audit = audit
        self.clock = clock

    async def erase_for_phone(self, phone: str) -> Erased:
        """The citizen's own ask: every finished request of this number erased; open ones named, untouched."""
        rows = await self.db.fetchall("SELECT id, tracking_code, status FROM requests WHERE phone = ? ORDER BY id", (phone,))
        erased = [row["tracking_code"] for row in rows if row["status"] in FINAL and await self.erase(row["id"], "citizen")]
        still_open = tuple(row["tracking_code"] for row in rows if row["status"] not in FINAL)
        return Erased(tuple(erased), still_open)

    async def sweep(self, retention_days: int, limit: int = 500) -> Swept:
        """The retention job's pass: messages that left before the period, and at most `limit` requests
        whose final transition is older than `retention_days`, erased. The messages go first, so what
        is counted is what `due` counted (a request's erasure then takes its newer messages with it)."""
        cutoff = self.cutoff(retention_days)
        messages = await self.db.execute(f"UPDATE outbox SET text = ?, address = '' WHERE {_OLD_MESSAGES_SQL}", (ERASED, *self._old(cutoff)))
        count = 0
        for row in await self.db.fetchall(f"SELECT r.id FROM requests r WHERE {_DUE_SQL} ORDER BY r.id LIMIT ?", (*self._due(cutoff), limit)):
            count += await self.erase(row["id"], "retention")
        return Swept(count, messages)

    async def due(self, retention_days: int) -> Swept:
        """What passes would erase now, erasing nothing (`pishkhan privacy sweep --dry-run`)."""
        cutoff = self.cutoff(retention_days)
        requests = await self.db.fetchone(f"SELECT count(*) AS n FROM requests r WHERE {_DUE_SQL}", self._due(cutoff))
        messages = await self.db.fetchone(f"SELECT count(*) AS n FROM outbox WHERE {_OLD_MESSAGES_SQL}", self._old(cutoff))
        return Swept(int(requests["n"]) if requests else 0, int(messages["n"]) if messages else 0)

    def cutoff(self, retention_days: int) -> float:
        """What finished or left before this time is past the period."""
        return self.clock() - retention_days * 86400.0

    @staticmethod
    def _due(cutoff: float) -> tuple[Any, ...]:
        return (*sorted(FINAL), cutoff)

    @staticmethod
    def _old(cutoff: float) -> tuple[Any, ...]:
        """Every message that left before `cutoff`: conversation replies echo what citizens typed (an SMS
        confirmation screen shows the answers), and no request names them."""
        return (cutoff, *SENT, ERASED)

    async def erase(self, request_id: int, why: str) -> bool:
        """Erase one finished request (False: already erased, or not finished after all: a race with a transition)."""
        async with self.db.transaction() as conn:
            await conn.lock(f"request_erase:{request_id}")
            row = await conn.fetchone(f"SELECT * FROM requests WHERE id = ? AND erased_at IS NULL AND {_FINAL_SQL}", (request_id, *sorted(FINAL)))
            if row is None:
                return False
            inputs = json.loads(row["inputs"])
            kept = kept_inputs(inputs, self.catalogue(), row["service_id"])
            await conn.execute(
                "UPDATE requests SET inputs = ?, phone = NULL, national_code = NULL, address = '', idempotency_key = NULL, erased_at = ?"
                " WHERE id = ?", (json.dumps(kept, ensure_ascii=False), self.clock(), request_id))
            await self._masked_texts(conn, "request_events", "reason", request_id)
            await self._masked_texts(conn, "request_notes", "text", request_id)
            await conn.execute(
                f"UPDATE complaints SET text = ?, phone = NULL, address = '' WHERE request_id = ?"
                f" AND status NOT IN ({', '.join('?' * len(COMPLAINT_OPEN))})", (ERASED, request_id, *sorted(COMPLAINT_OPEN)))
            await conn.execute("UPDATE feedback_surveys SET comment = NULL, address = '' WHERE request_id = ?", (request_id,))
            await conn.execute("UPDATE payments SET card_pan = NULL WHERE request_id = ?", (request_id,))
            await conn.execute("DELETE FROM telegram_requests WHERE tracking_code = ?", (row["tracking_code"],))
            await conn.execute(  # the copies kept for agencies' systems that opted in to personal data (their replays)
                "UPDATE events SET personal = NULL WHERE personal IS NOT NULL AND (subject = ?"
                " OR subject IN (SELECT code FROM complaints WHERE request_id = ? AND text = ?))", (row["tracking_code"], request_id, ERASED))
            await self._sent_messages(conn, row["address"], row["tracking_code"], row["created_at"])
            actor = CITIZEN_ACTOR if why == "citizen" else RETENTION_ACTOR
            await self.audit.record(actor, "request.erased", row["tracking_code"],
                                    {"why": why, "inputs": sorted(set(inputs) - set(kept))}, conn=conn)
        log.info("request %s: personal inputs erased (%s)", row["tracking_code"], why)
        return True

    @staticmethod
    async def _masked_texts(conn: Transaction, table: str, column: str, request_id: int) -> None:
        """Staff-written texts keep their words; any phone number or national code in them is masked."""
        rows = await conn.fetchall(f"SELECT id, {column} AS text FROM {table} WHERE request_id = ? AND {column} IS NOT NULL", (request_id,))
        for row in rows:
            masked = mask_digit_runs(row["text"])
            if masked != row["text"]:
                await conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (masked, row["id"]))

    @staticmethod
    async def _sent_messages(conn: Transaction, address: str, code: str, since: float) -> None:
        """The texts of the request's messages that have left (receipts, an SMS conversation's receipt reply,
        status news, links), erased."""
        rows = await conn.fetchall(
            f"SELECT id, meta, idempotency_key FROM outbox WHERE address = ? AND created_at >= ? AND state IN ({_SENT_SQL})",
            (address, since, *SENT))
        for row in rows:
            if row["idempotency_key"] == receipt_key(code) or json.loads(row["meta"] or "{}").get("tracking_code") == code:
                await conn.execute("UPDATE outbox SET text = ?, address = '' WHERE id = ?", (ERASED, row["id"]))
