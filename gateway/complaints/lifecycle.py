"""The complaint lifecycle: which status may follow which, and the errors a refused operation raises.

filed -> in_review -> answered | rejected -> closed; filed may be answered or rejected at once. An
answer (or a rejection's reason) is required, because the citizen is sent it; `closed` ends the case.
"""

from __future__ import annotations

import datetime

from flows.errors import PishkhanError

KINDS = ("complaint", "suggestion")
STATUSES = ("filed", "in_review", "answered", "rejected", "closed")
ALLOWED: dict[str, frozenset[str]] = {
    "filed": frozenset({"in_review", "answered", "rejected"}),
    "in_review": frozenset({"answered", "rejected"}),
    "answered": frozenset({"closed"}),
    "rejected": frozenset({"closed"}),
    "closed": frozenset(),
}
ANSWER_REQUIRED = frozenset({"answered", "rejected"})
"""Statuses the citizen is told about, with the text they read."""
OPEN = frozenset({"filed", "in_review"})
"""Statuses still waiting for an answer: these can be late."""
MAX_TEXT = 500
"""Characters of a citizen's text and of an answer: a few SMS parts, and what a USSD input takes."""


class ComplaintError(PishkhanError):
    """A complaint operation that cannot be done; the message says why and what to do."""


class InvalidComplaint(ComplaintError):
    """A field of a new complaint is wrong; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class SubjectNotFound(ComplaintError):
    """The service or the request the complaint is about does not exist."""


class ComplaintNotFound(ComplaintError):
    """No complaint has this code."""


class InvalidStatus(ComplaintError):
    """A status name that does not exist."""


class TransitionNotAllowed(ComplaintError):
    """The lifecycle does not allow this change from the complaint's current status."""


class StatusChanged(TransitionNotAllowed):
    """The complaint is no longer in the status the operator saw when choosing the change."""


class AnswerRequired(ComplaintError):
    """This change needs an answer the citizen will read."""


def check_transition(code: str, current: str, to: str, answer: str | None) -> None:
    """Raise the ComplaintError that explains why `current -> to` cannot happen; return if it can."""
    if to not in STATUSES:
        raise InvalidStatus(f"unknown status {to!r}; use one of {', '.join(STATUSES)}")
    allowed = ALLOWED[current]
    if to not in allowed:
        options = ", ".join(sorted(allowed)) or "none (it is final)"
        raise TransitionNotAllowed(f"complaint {code} is {current}; it cannot become {to}. Allowed next: {options}")
    if to in ANSWER_REQUIRED and not answer:
        raise AnswerRequired(f"an answer is required to mark a complaint {to}; the citizen reads it")


def is_late(status: str, due: datetime.date, today: datetime.date) -> bool:
    """Still waiting for an answer after its due date."""
    return status in OPEN and today > due
