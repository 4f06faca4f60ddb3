"""The delivery state machine: any order of the same reports ends in the same state; repeats change
nothing; a report that beats the send's record is kept."""

from __future__ import annotations

import itertools

import pytest

from gateway.sms.delivery import DeliveryStore, merge
from gateway.store import Database

REPORTS = ["accepted", "sent_to_smsc", "delivered"]


def _replay(reports: list[str]) -> str:
    state = None
    for report in reports:
        state = merge(state, report)
    return state  # type: ignore[return-value]


def test_the_order_of_reports_does_not_matter() -> None:
    assert {_replay(list(order)) for order in itertools.permutations(REPORTS + ["sent_to_smsc", "delivered"])} == {"delivered"}


def test_the_first_final_state_stays() -> None:
    assert _replay(["accepted", "failed", "delivered", "sent_to_smsc"]) == "failed"
    assert _replay(["expired", "accepted"]) == "expired"
    with pytest.raises(ValueError, match="unknown delivery state"):
        merge(None, "read")


async def test_the_store_counts_reports_and_mirrors_the_outbox_row(database: Database) -> None:
    db = database
    store = DeliveryStore(db)
    first = await store.report("kannel", "9", "delivered", "1 stat:DELIVRD")   # before the send is recorded
    assert (first.before, first.after, first.outbox_id) == (None, "delivered", None)
    await db.execute("INSERT INTO outbox (id, channel, address, text, next_attempt_at, created_at, updated_at)"
                     " VALUES (9, 'sms', 'tel:+98912', 'x', 0, 0, 0)")
    assert await store.submitted("kannel", "9", 9, coding="ucs2", segments=2) == "delivered"
    again = await store.report("kannel", "9", "sent_to_smsc", "8")
    assert not again.changed
    row = await store.get("kannel", "9")
    assert (row["state"], row["reports"], row["coding"], row["segments"], row["outbox_id"]) == ("delivered", 2, "ucs2", 2, 9)
    assert (await db.fetchone("SELECT delivery FROM outbox WHERE id = 9")) == {"delivery": "delivered"}


async def test_a_late_or_repeated_report_leaves_the_final_states_detail(database: Database) -> None:
    reports = [("accepted", "4"), ("sent_to_smsc", "8 ACK/"), ("delivered", "1 stat:DELIVRD err:000")]
    db = database
    store = DeliveryStore(db)
    for number, order in enumerate(itertools.permutations(reports)):   # Kannel sends 8 after 1 for a split message
        for state, detail in order:
            await store.report("kannel", str(number), state, detail)
        row = await store.get("kannel", str(number))
        assert (row["state"], row["detail"]) == ("delivered", "1 stat:DELIVRD err:000"), order
    for state, detail in [("delivered", "1 stat:DELIVRD err:000 (again)"), ("failed", "2 stat:UNDELIV err:001")]:
        assert not (await store.report("kannel", "0", state, detail)).changed
    row = await store.get("kannel", "0")
    assert (row["state"], row["detail"], row["reports"]) == ("delivered", "1 stat:DELIVRD err:000", 5)
    await store.report("kannel", "first", "accepted", "4")   # the first words on a state are kept
    await store.report("kannel", "first", "accepted", "4 again")
    assert (await store.get("kannel", "first"))["detail"] == "4"
