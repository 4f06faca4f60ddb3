"""The one Lifecycle requests and complaints are each an instance of: its refusals carry the status names (so a
page words them in its reader's language), are caught as the shared kind and as the domain's own error, and
read word for word as the API and the logs have always shown them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TypeVar

import pytest

from gateway import lifecycle
from gateway.complaints import lifecycle as complaints
from gateway.requests import lifecycle as requests

TODAY = datetime.date(2026, 3, 10)
E = TypeVar("E", bound=lifecycle.LifecycleError)


@dataclass(frozen=True)
class Record:
    status: str
    due_date: datetime.date


def refusal(kind: type[E], lc: lifecycle.Lifecycle, current: str, to: str, text: str | None = None, seen: str | None = None) -> E:
    with pytest.raises(kind) as caught:
        lc.check("1234567890", current, to, text, seen)
    return caught.value


def test_a_move_the_lifecycle_does_not_allow_names_both_statuses() -> None:
    refused = refusal(requests.TransitionNotAllowed, requests.LIFECYCLE, "submitted", "approved")
    assert isinstance(refused, requests.RequestError) and isinstance(refused, lifecycle.TransitionNotAllowed)
    assert (refused.current, refused.to) == ("submitted", "approved")
    assert str(refused) == "request 1234567890 is submitted; it cannot become approved. Allowed next: cancelled, in_review"
    final = refusal(complaints.TransitionNotAllowed, complaints.LIFECYCLE, "closed", "filed")
    assert isinstance(final, complaints.ComplaintError)
    assert str(final) == "complaint 1234567890 is closed; it cannot become filed. Allowed next: none (it is final)"


def test_a_missing_text_names_the_field_the_citizen_reads() -> None:
    reason = refusal(requests.ReasonRequired, requests.LIFECYCLE, "in_review", "rejected", "")
    assert (reason.field, reason.to) == ("reason", "rejected")
    assert str(reason) == "a reason is required to mark a request rejected; the citizen reads it"
    answer = refusal(complaints.AnswerRequired, complaints.LIFECYCLE, "filed", "answered")
    assert (answer.field, answer.to) == ("answer", "answered")
    assert str(answer) == "an answer is required to mark a complaint answered; the citizen reads it"


def test_an_unknown_status_and_a_change_meanwhile_carry_their_names() -> None:
    unknown = refusal(complaints.InvalidStatus, complaints.LIFECYCLE, "filed", "done")
    assert unknown.status == "done"
    assert str(unknown) == "unknown status 'done'; use one of filed, in_review, answered, rejected, closed"
    moved = refusal(requests.StatusChanged, requests.LIFECYCLE, "in_review", "cancelled", seen="submitted")  # cancelled may follow both
    assert isinstance(moved, requests.TransitionNotAllowed)
    assert (moved.current, moved.seen, moved.to) == ("in_review", "submitted", "cancelled")
    assert str(moved) == "request 1234567890 is now in_review, no longer submitted: it was changed meanwhile"


def test_an_allowed_move_passes_and_the_form_offers_the_next_statuses_in_order() -> None:
    requests.LIFECYCLE.check("1234567890", "in_review", "rejected", "Photo unreadable", "in_review")
    assert requests.LIFECYCLE.next("in_review") == ["needs_info", "approved", "rejected", "cancelled"]
    assert complaints.LIFECYCLE.next("filed") == ["in_review", "answered", "rejected"]
    assert complaints.LIFECYCLE.next("closed") == []


def test_only_an_open_record_past_its_due_date_is_late() -> None:
    due = TODAY - datetime.timedelta(days=3)
    assert requests.LIFECYCLE.late_days(Record("needs_info", due), TODAY) == 3
    assert requests.LIFECYCLE.late_days(Record("approved", due), TODAY) is None
    assert complaints.LIFECYCLE.late_days(Record("in_review", TODAY), TODAY) is None  # due today: not yet late
    assert complaints.LIFECYCLE.is_late(Record("filed", due), TODAY)
