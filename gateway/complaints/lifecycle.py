"""The complaint lifecycle (a gateway.lifecycle.Lifecycle): which status may follow which, and the errors a refused operation raises.

filed -> in_review -> answered | rejected -> closed; filed may be answered or rejected at once. An
answer (or a rejection's reason) is required, because the citizen is sent it; `closed` ends the case.
"""

from __future__ import annotations

from flows.errors import PishkhanError
from gateway import lifecycle
from gateway.lifecycle import Lifecycle, Refusals

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


class ComplaintNotFound(ComplaintError, lifecycle.NotFound):
    """No complaint has this code."""


class InvalidStatus(ComplaintError, lifecycle.InvalidStatus):
    """A status name that does not exist."""


class TransitionNotAllowed(ComplaintError, lifecycle.TransitionNotAllowed):
    """The lifecycle does not allow this change from the complaint's current status."""


class StatusChanged(TransitionNotAllowed, lifecycle.StatusChanged):
    """The complaint is no longer in the status the operator saw when choosing the change."""


class AnswerRequired(ComplaintError, lifecycle.TextRequired):
    """This change needs an answer the citizen will read."""


LIFECYCLE = Lifecycle(noun="complaint", statuses=STATUSES, allowed=ALLOWED, text="answer", text_limit=MAX_TEXT, text_required=ANSWER_REQUIRED,
                      open=OPEN, refusals=Refusals(InvalidStatus, TransitionNotAllowed, StatusChanged, AnswerRequired))
