"""What each change tells agencies: the one-line hooks of requests, payments, complaints and
feedback, each called on the change's own transaction.

`data` is what an agency's system needs to act (codes, service, status, dates, amounts) and nothing
personal; the citizen's phone, national code, inputs and free texts go in `personal`, delivered only
to subscriptions that opted in. The agency is the service's (`services.agency` in the store); an
event about a service the catalogue no longer has, or that has no agency, is told to nobody.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.events.log import agency_of, emit, iso
from gateway.store import Row, Transaction

PAYMENT_EVENTS = {"paid": "payment.paid", "failed": "payment.failed"}
"""Payment states agencies hear about (an unused link expiring is not news: a new one follows)."""


def _request_data(row: Row) -> dict[str, Any]:
    return {"tracking_code": row["tracking_code"], "service_id": row["service_id"], "status": row["status"], "channel": row["channel"],
            "submitted_at": iso(row["created_at"]), "due_date": row["due_date"], "fee": row["fee"], "payment_state": row["payment_state"]}


def _request_personal(row: Row) -> dict[str, Any]:
    return {"phone": row["phone"], "national_code": row["national_code"], "inputs": json.loads(row["inputs"])}


async def _request(conn: Transaction, request_id: int) -> Row:
    row = await conn.fetchone("SELECT * FROM requests WHERE id = ?", (request_id,))
    assert row is not None, "read in the transaction that changed it"
    return row


async def _emit_for_service(conn: Transaction, service_id: str, **event: Any) -> None:
    agency = await agency_of(conn, service_id)
    if agency:
        await emit(conn, agency=agency, **event)


async def request_submitted(conn: Transaction, request_id: int, at: float) -> None:
    """`request.submitted`, in the new request's transaction."""
    row = await _request(conn, request_id)
    await _emit_for_service(conn, row["service_id"], type="request.submitted", subject=row["tracking_code"], at=at,
                            data=_request_data(row), personal=_request_personal(row))


async def request_transitioned(conn: Transaction, request_id: int, from_status: str, reason: str | None, at: float) -> None:
    """`request.transitioned`, in the status change's transaction (after the new status is written)."""
    row = await _request(conn, request_id)
    await _emit_for_service(conn, row["service_id"], type="request.transitioned", subject=row["tracking_code"], at=at,
                            data={**_request_data(row), "from": from_status, "to": row["status"], "reason": reason},
                            personal=_request_personal(row))


async def payment_changed(conn: Transaction, payment_id: int, at: float) -> None:
    """`payment.paid` or `payment.failed` when a payment has just become so, in its transition's transaction;
    ordered with its request's events (the subject is the request's tracking code)."""
    payment = await conn.fetchone("SELECT * FROM payments WHERE id = ?", (payment_id,))
    assert payment is not None, "read in the transaction that changed it"
    if payment["state"] not in PAYMENT_EVENTS:
        return
    row = await _request(conn, payment["request_id"])
    await _emit_for_service(conn, row["service_id"], type=PAYMENT_EVENTS[payment["state"]], subject=row["tracking_code"], at=at,
                            data={"tracking_code": row["tracking_code"], "service_id": row["service_id"], "payment_id": payment_id,
                                  "amount": payment["amount"], "currency": payment["currency"], "provider": payment["provider"],
                                  "state": payment["state"], "ref_id": payment["ref_id"], "reason": payment["reason"], "at": iso(at)},
                            personal={"card_pan": payment["card_pan"]})


async def complaint_filed(conn: Transaction, complaint_id: int, at: float) -> None:
    """`complaint.filed`, in the new complaint's transaction; its text is the citizen's own words (personal)."""
    row = await conn.fetchone("SELECT c.*, r.tracking_code FROM complaints c LEFT JOIN requests r ON r.id = c.request_id WHERE c.id = ?",
                              (complaint_id,))
    assert row is not None, "read in the transaction that wrote it"
    await _emit_for_service(conn, row["service_id"], type="complaint.filed", subject=row["code"], at=at,
                            data={"code": row["code"], "kind": row["kind"], "service_id": row["service_id"], "tracking_code": row["tracking_code"],
                                  "channel": row["channel"], "filed_at": iso(row["created_at"]), "due_date": row["due_date"]},
                            personal={"phone": row["phone"], "text": row["text"]})


async def feedback_received(conn: Transaction, survey_id: int, at: float) -> None:
    """`feedback.received` when a survey is answered, in the answer's transaction; after its request's events."""
    row = await conn.fetchone("SELECT s.*, r.tracking_code FROM feedback_surveys s JOIN requests r ON r.id = s.request_id WHERE s.id = ?",
                              (survey_id,))
    assert row is not None, "read in the transaction that answered it"
    await _emit_for_service(conn, row["service_id"], type="feedback.received", subject=row["tracking_code"], at=at,
                            data={"tracking_code": row["tracking_code"], "service_id": row["service_id"], "rating": row["rating"],
                                  "asked_at": iso(row["asked_at"]), "answered_at": iso(at)},
                            personal={"comment": row["comment"]})
