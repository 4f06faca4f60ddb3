"""The request service on a real SQLite file: codes, due dates, idempotency, lifecycle, notifications."""

from __future__ import annotations

import asyncio
import datetime

import pytest
from clock import ManualClock

from flows.normalise import to_persian_digits
from flows.tracking import is_valid_tracking_code
from gateway.calendar import CalendarSettings, build_calendar
from gateway.catalogue.store import CatalogueStore
from gateway.flowfiles import read_catalogue
from gateway.outbox import Outbox
from gateway.requests import (
    InvalidInputs,
    InvalidStatus,
    ReasonRequired,
    RequestNotFound,
    RequestRecord,
    RequestService,
    SqlRequestStore,
    TransitionNotAllowed,
    UnknownService,
)
from gateway.requests.store import NewRequest
from gateway.store import Database
from gateway.store.url import database_at

FIRST_ID = "121095100"        # 300,000 rials, 30 working days, national_code + birth_date
INPUTS = {"national_code": "0499370899", "birth_date": "1375/06/21"}
ALI = "tel:+989121234567"


@pytest.fixture
def db(database: Database) -> Database:
    return database


@pytest.fixture
async def requests(db: Database, settings) -> RequestService:  # type: ignore[no-untyped-def]
    catalogue = read_catalogue(settings, [])
    await CatalogueStore(db).import_catalogue(catalogue)
    return RequestService(SqlRequestStore(db), Outbox(db), build_calendar(CalendarSettings()), lambda: catalogue)


async def submit(requests: RequestService, *, channel: str = "ussd", address: str = ALI, phone: str | None = None,
                 lang: str = "en", inputs: dict[str, str] | None = None) -> RequestRecord:
    phone = phone or (address.removeprefix("tel:") if address.startswith("tel:") else None)
    return await requests.submit(FIRST_ID, inputs or INPUTS, channel=channel, address=address, phone=phone, lang=lang)


async def outbox_rows(db: Database) -> list[dict]:
    return await db.fetchall("SELECT channel, address, kind, text, idempotency_key FROM outbox ORDER BY id")


async def test_a_request_is_dated_by_the_services_clock(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    catalogue = read_catalogue(settings, [])
    await CatalogueStore(db).import_catalogue(catalogue)
    calendar = build_calendar(CalendarSettings())
    clock = ManualClock(calendar.start_of(datetime.date(2025, 5, 11)) + 1800.0)  # 00:30 on Sunday in Tehran, Saturday in UTC
    requests = RequestService(SqlRequestStore(db), Outbox(db), calendar, lambda: catalogue, clock=clock)
    record = await submit(requests)
    assert record.created_at == clock.now
    assert record.due_date == calendar.add_working_days(datetime.date(2025, 5, 11), 30)  # counted from Tehran's date
    clock.advance(3600)
    moved = await requests.transition(record.tracking_code, "in_review", actor="clerk", reason=None)
    assert moved.updated_at == clock.now


async def test_a_submission_is_committed_with_a_checked_code_and_a_working_day_due_date(requests: RequestService, store_url: str) -> None:
    record = await submit(requests)
    assert len(record.tracking_code) == 11 and is_valid_tracking_code(record.tracking_code)
    assert record.status == "submitted" and record.fee == 300000 and record.payment_state == "none"
    today = requests.calendar.today()
    assert record.due_date == requests.calendar.add_working_days(today, 30)
    assert record.due_date > today + datetime.timedelta(days=30)   # Fridays do not count
    assert record.national_code == "0499370899"
    assert record.inputs == {"national_code": "0499370899", "birth_date": "1996-09-11"}   # stored in canonical form
    other = await database_at(store_url).open(migrate=False)   # another connection sees it: committed
    try:
        assert await other.fetchone("SELECT status FROM requests WHERE tracking_code = ?", (record.tracking_code,)) == {"status": "submitted"}
    finally:
        await other.close()
    assert await requests.get(record.tracking_code) == record


async def test_the_same_phone_service_and_answers_give_the_same_request_from_any_channel(requests: RequestService, db: Database) -> None:
    first = await submit(requests)
    assert await submit(requests) == first   # a new dial after "Busy now": the same request, no second fee
    same_answers = {"national_code": "۰۴۹۹۳۷۰۸۹۹", "birth_date": "1996-09-11"}   # typed differently, the same values
    assert await submit(requests, channel="sms", lang="fa", inputs=same_answers) == first
    assert await submit(requests, channel="telegram", address="telegram:main:42", phone="+989121234567") == first
    assert await db.fetchone("SELECT count(*) AS n FROM requests") == {"n": 1}
    assert len(await outbox_rows(db)) == 1   # one receipt
    other_answers = await submit(requests, inputs={**INPUTS, "birth_date": "1375/06/22"})
    other_phone = await submit(requests, address="tel:+989350000000")
    bot_without_phone = await submit(requests, channel="telegram", address="telegram:main:42")
    assert len({first.id, other_answers.id, other_phone.id, bot_without_phone.id}) == 4


async def test_a_repeat_after_the_window_or_of_a_closed_request_is_a_new_request(requests: RequestService, db: Database) -> None:
    first = await submit(requests)
    await db.execute("UPDATE requests SET created_at = created_at - ? WHERE id = ?", (requests.settings.idempotency_window + 1, first.id))
    second = await submit(requests)
    assert second.id != first.id
    await requests.transition(second.tracking_code, "cancelled", actor="op", reason=None)
    assert (await submit(requests)).id not in (first.id, second.id)


async def test_concurrent_repeats_from_two_workers_make_one_request(requests: RequestService, db: Database, store_url: str) -> None:
    other = await database_at(store_url).open()   # a second worker (or host): its own connection to the same store
    try:
        twin = RequestService(SqlRequestStore(other), Outbox(other), requests.calendar, requests.catalogue)
        records = await asyncio.gather(*(submit(service) for service in (requests, twin, requests, twin)))
    finally:
        await other.close()
    assert len({r.tracking_code for r in records}) == 1
    assert await db.fetchone("SELECT count(*) AS n FROM requests") == {"n": 1}
    assert await db.fetchone("SELECT count(*) AS n FROM request_events") == {"n": 1}


async def test_codes_are_random_not_sequential(requests: RequestService) -> None:
    codes = {(await submit(requests, address=f"tel:+98912000{n:04d}")).tracking_code for n in range(20)}
    assert len(codes) == 20
    assert len({c[:5] for c in codes}) > 10


async def test_a_taken_code_is_replaced(db: Database, requests: RequestService) -> None:
    taken = (await submit(requests)).tracking_code
    candidates = iter([taken, taken, "12345678902"])
    store = SqlRequestStore(db)
    new = NewRequest(FIRST_ID, "sms", ALI, None, None, "en", {}, 0, datetime.date(2030, 1, 1), None, 0.0, False)
    record, event = await store.create(new, lambda: next(candidates), 0.0)
    assert record.tracking_code == "12345678902" and event is not None


async def test_unknown_services_and_wrong_inputs_are_refused_by_name(requests: RequestService) -> None:
    with pytest.raises(UnknownService, match="999999999"):
        await requests.submit("999999999", {}, channel="sms", address=ALI, phone=None, lang="en")
    with pytest.raises(InvalidInputs) as error:
        await submit(requests, inputs={"national_code": "1234567890"})
    assert error.value.fields == ["birth_date", "national_code"]
    assert "missing: birth_date" in str(error.value) and "invalid: national_code" in str(error.value)


async def test_a_ussd_submission_also_sends_the_receipt_by_sms(requests: RequestService, db: Database) -> None:
    record = await submit(requests, lang="fa")
    [row] = await outbox_rows(db)
    assert (row["channel"], row["address"], row["kind"], row["idempotency_key"]) == ("sms", ALI, "receipt", f"receipt:{record.tracking_code}")
    assert "کد پیگیری" in row["text"] and "۳۰۰,۰۰۰ ریال" in row["text"]
    await submit(requests, channel="sms", address="tel:+989350000000")
    assert len(await outbox_rows(db)) == 1   # an SMS conversation already shows the receipt


async def test_the_lifecycle_allows_only_its_transitions(requests: RequestService) -> None:
    code = (await submit(requests)).tracking_code
    with pytest.raises(TransitionNotAllowed, match="submitted; it cannot become approved. Allowed next: cancelled, in_review"):
        await requests.transition(code, "approved", actor="op", reason=None)
    await requests.transition(code, "in_review", actor="op", reason=None)
    with pytest.raises(ReasonRequired, match="reason is required"):
        await requests.transition(code, "needs_info", actor="op", reason="   ")
    await requests.transition(code, "needs_info", actor="op", reason="Photo unreadable")
    await requests.transition(code, "in_review", actor="op", reason=None)
    with pytest.raises(ReasonRequired):
        await requests.transition(code, "rejected", actor="op", reason=None)
    await requests.transition(code, "approved", actor="op", reason=None)
    with pytest.raises(TransitionNotAllowed):
        await requests.transition(code, "cancelled", actor="op", reason=None)
    final = await requests.transition(code, "delivered", actor="boss", reason=None)
    assert final.status == "delivered"
    with pytest.raises(TransitionNotAllowed, match="none \\(it is final\\)"):
        await requests.transition(code, "in_review", actor="op", reason=None)
    with pytest.raises(InvalidStatus, match="unknown status 'done'"):
        await requests.transition(code, "done", actor="op", reason=None)
    with pytest.raises(RequestNotFound):
        await requests.transition("12345678902", "in_review", actor="op", reason=None)
    _, events = await requests.history(code)  # type: ignore[misc]
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        (None, "submitted", "citizen"), ("submitted", "in_review", "op"), ("in_review", "needs_info", "op"),
        ("needs_info", "in_review", "op"), ("in_review", "approved", "op"), ("approved", "delivered", "boss"),
    ]
    assert events[2].reason == "Photo unreadable" and all(e.notified for e in events)


@pytest.mark.parametrize("channel, address, sent_on", [
    ("ussd", ALI, "sms"), ("sms", ALI, "sms"), ("telegram", "telegram:bot:42", "telegram"),
])
async def test_each_change_notifies_the_citizen_on_their_channel(requests: RequestService, db: Database,
                                                                 channel: str, address: str, sent_on: str) -> None:
    code = (await submit(requests, channel=channel, address=address)).tracking_code
    await requests.transition(code, "in_review", actor="op", reason=None)
    await requests.transition(code, "rejected", actor="op", reason="Wrong birth date")
    notes = [r for r in await outbox_rows(db) if r["kind"] == "notification"]
    assert [(r["channel"], r["address"]) for r in notes] == [(sent_on, address)] * 2
    assert "status: rejected" in notes[1]["text"] and "Wrong birth date" in notes[1]["text"]
    assert len({r["idempotency_key"] for r in notes}) == 2


async def test_notifications_are_in_the_citizens_language(requests: RequestService, db: Database) -> None:
    code = (await submit(requests, channel="sms", lang="fa")).tracking_code
    await requests.transition(code, "in_review", actor="op", reason=None)
    [row] = await outbox_rows(db)
    assert "در حال بررسی" in row["text"]
    assert to_persian_digits(code) in row["text"] and code not in row["text"]


async def test_a_stranger_sees_the_status_but_nothing_personal(requests: RequestService) -> None:
    code = (await submit(requests)).tracking_code
    await requests.transition(code, "in_review", actor="op", reason=None)
    await requests.transition(code, "needs_info", actor="op", reason="Bring your old card")
    mine = await requests.status_text(code, asker_address=ALI, asker_phone=None, lang="en")
    theirs = await requests.status_text(code, asker_address="tel:+989350000000", asker_phone="+989350000000", lang="en")
    assert mine is not None and theirs is not None
    assert "Status: needs more information" in theirs and "Due: " in theirs and "Next: " in theirs
    assert "Bring your old card" in mine and "First issue" in mine
    assert "Bring your old card" not in theirs and "First issue" not in theirs
    via_phone = await requests.status_text(code, asker_address="telegram:bot:7", asker_phone="+989121234567", lang="en")
    assert via_phone == mine   # the same person on another channel
    assert await requests.status_text("12345678902", asker_address=ALI, asker_phone=None, lang="en") is None


async def test_an_open_request_past_its_due_date_is_late(requests: RequestService, db: Database) -> None:
    code = (await submit(requests)).tracking_code
    await db.execute("UPDATE requests SET due_date = '2020-01-01' WHERE tracking_code = ?", (code,))
    text = await requests.status_text(code, asker_address=ALI, asker_phone=None, lang="en")
    assert "Due: 2020-01-01 (late)" in text  # type: ignore[operator]
    await requests.transition(code, "cancelled", actor="op", reason=None)
    assert "(late)" not in (await requests.status_text(code, asker_address=ALI, asker_phone=None, lang="en"))  # type: ignore[operator]


async def test_my_requests_span_channels(requests: RequestService) -> None:
    first = await submit(requests, channel="ussd")
    second = await submit(requests, channel="sms", inputs={**INPUTS, "birth_date": "1375/06/22"})
    await submit(requests, address="tel:+989350000000")
    mine = await requests.list_for_phone("+989121234567")
    assert [r.tracking_code for r in mine] == [second.tracking_code, first.tracking_code]


async def test_payment_state_is_recorded(requests: RequestService) -> None:
    record = await submit(requests)
    await requests.set_payment_state(record.id, "paid")
    assert (await requests.get(record.tracking_code)).payment_state == "paid"  # type: ignore[union-attr]
    with pytest.raises(InvalidStatus, match="payment state 'free'"):
        await requests.set_payment_state(record.id, "free")
    with pytest.raises(RequestNotFound):
        await requests.set_payment_state(99999, "paid")


async def test_a_failing_hook_does_not_fail_the_submission(requests: RequestService) -> None:
    seen: list[str] = []

    async def broken(record: RequestRecord) -> None:
        raise RuntimeError("payment provider down")

    async def recorder(record: RequestRecord) -> None:
        seen.append(record.tracking_code)

    requests.on_submitted.extend([broken, recorder])
    record = await submit(requests)
    await submit(requests)   # a repeat is not a new request: hooks do not run again
    assert seen == [record.tracking_code]
    assert await requests.get(record.tracking_code) == record


async def test_messages_a_crash_left_unsent_are_sent_at_start(requests: RequestService, db: Database) -> None:
    code = (await submit(requests, channel="sms")).tracking_code
    await requests.transition(code, "in_review", actor="op", reason=None)
    await db.execute("DELETE FROM outbox")
    await db.execute("UPDATE request_events SET notified = 0")   # as if killed between commit and enqueue
    assert await requests.resend_unnotified() == 2
    rows = await outbox_rows(db)
    assert [r["kind"] for r in rows] == ["notification"]   # the submission of an SMS citizen needs none
    assert await requests.resend_unnotified() == 0


async def test_a_status_lookup_shows_the_payment_state_of_a_fee(requests: RequestService) -> None:
    record = await submit(requests)
    before = await requests.status_text(record.tracking_code, asker_address="tel:+989350000000", asker_phone=None, lang="en")
    assert "Payment: not paid" in before  # type: ignore[operator]
    await requests.set_payment_state(record.id, "paid")
    after = await requests.status_text(record.tracking_code, asker_address=ALI, asker_phone=None, lang="fa")
    assert "پرداخت: پرداخت شده" in after  # type: ignore[operator]
