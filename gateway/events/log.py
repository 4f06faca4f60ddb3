"""The event log, and `emit`: an event written in the transaction of the change it reports.

`emit` stores the event once (`events`) and queues one outbox row (channel `webhook`) for each
enabled subscription of the event's agency that wants its type, all on the caller's connection:
the change, its event and its deliveries commit together or not at all, so an agency is never told
of a change that rolled back nor misses one that committed.

Order: events of one subject (a request's tracking code, its payments' events included; a
complaint's code) reach a subscription in the order they happened. Each delivery waits, through
the outbox's `after_key`, for the subscription's delivery of the subject's previous event to leave
the queue: delivered, failed, or dead after its retries. A dead delivery therefore does not hold
the request's later events forever; it stays in the delivery log to be replayed.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Mapping
from typing import Any

from gateway.observability.logs import with_request_id
from gateway.store import Row, Transaction

TYPES = ("request.submitted", "request.transitioned", "payment.paid", "payment.failed", "complaint.filed", "feedback.received")
"""Every event type a subscription may ask for."""
CHANNEL = "webhook"
"""The outbox channel of deliveries (gateway/events/sender.py sends them)."""
KIND = "event"


def delivery_key(event_id: int, subscription_id: int) -> str:
    """The outbox key of an event's first delivery to a subscription; the subject's next one waits for it."""
    return f"event:{event_id}:{subscription_id}"


def webhook_id() -> str:
    """A new `webhook-id`: unique, and without a `.` (the signed content is dot-delimited)."""
    return "msg_" + secrets.token_hex(12)


def iso(at: float) -> str:
    """A Unix time as the payloads write it (UTC, milliseconds)."""
    return datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def payload(event: Mapping[str, Any], personal: bool) -> bytes:
    """The body of every delivery of an event to a subscription: `{"type", "timestamp", "data"}`,
    minified, the same bytes on every attempt. `personal` adds the citizen's data under
    `data.personal` when the event has any."""
    data = json.loads(event["data"])
    if personal and event["personal"]:
        data["personal"] = json.loads(event["personal"])
    return json.dumps({"type": event["type"], "timestamp": iso(event["at"]), "data": data}, ensure_ascii=False, separators=(",", ":")).encode()


async def queue_delivery(conn: Transaction, event_id: int, subscription_id: int, at: float, key: str, after: str | None) -> None:
    """An outbox row delivering the event to the subscription, on the caller's transaction."""
    meta = json.dumps(with_request_id({"event": event_id, "subscription": subscription_id}))
    await conn.execute(
        "INSERT INTO outbox (channel, address, text, kind, meta, next_attempt_at, idempotency_key, after_key, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
        (CHANNEL, f"subscription:{subscription_id}", f"event {event_id}", KIND, meta, at, key, after, at, at))


async def _previous(conn: Transaction, agency: str, subject: str, event_id: int, types: list[str]) -> int | None:
    """The subject's latest event before `event_id` of one of `types` (what the subscription was sent)."""
    row = await conn.fetchone(
        f"SELECT max(id) AS id FROM events WHERE agency = ? AND subject = ? AND id < ? AND type IN ({', '.join('?' * len(types))})",
        (agency, subject, event_id, *types))
    return None if row is None or row["id"] is None else int(row["id"])


async def emit(conn: Transaction, *, agency: str, type: str, subject: str, data: Mapping[str, Any], at: float,  # noqa: A002
               personal: Mapping[str, Any] | None = None) -> int:
    """Record an event and queue its deliveries, in the caller's transaction; its id. `data` must hold
    nothing personal: the citizen's phone and inputs go in `personal`, sent only to subscriptions that
    opted in (`personal: true`) and kept only when one of them wants this event (privacy erases it later)."""
    if type not in TYPES:
        raise ValueError(f"unknown event type {type!r}; use one of {', '.join(TYPES)}")
    wanting = [(s["id"], types, s["personal"]) for s in await conn.fetchall(
        "SELECT id, types, personal FROM event_subscriptions WHERE agency = ? AND state = 'enabled'", (agency,))
        if type in (types := json.loads(s["types"]))]
    kept = personal if personal and any(opted for _, _, opted in wanting) else None  # the citizen's data only where it will go
    event_id = await conn.insert(
        "INSERT INTO events (webhook_id, agency, type, subject, data, personal, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (webhook_id(), agency, type, subject, json.dumps(dict(data), ensure_ascii=False),
         json.dumps(dict(kept), ensure_ascii=False) if kept else None, at))
    for subscription_id, types, _ in wanting:
        previous = await _previous(conn, agency, subject, event_id, types)
        await queue_delivery(conn, event_id, subscription_id, at, delivery_key(event_id, subscription_id),
                             None if previous is None else delivery_key(previous, subscription_id))
    return event_id


async def agency_of(conn: Transaction, service_id: str) -> str | None:
    """The agency of a service as the store's catalogue has it (None: no such service, or no agency)."""
    row: Row | None = await conn.fetchone("SELECT agency FROM services WHERE id = ?", (service_id,))
    return None if row is None else row["agency"]
