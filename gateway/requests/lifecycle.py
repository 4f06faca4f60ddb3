"""The request lifecycle: which status may follow which, and the errors a disallowed change raises.

submitted -> in_review -> (needs_info -> in_review) -> approved | rejected -> delivered;
cancelled from submitted, in_review or needs_info. A reason is required for rejected and needs_info.
"""

from __future__ import annotations

import datetime

from flows.errors import PishkhanError

STATUSES = ("submitted", "in_review", "needs_info", "approved", "rejected", "delivered", "cancelled")
ALLOWED: dict[str, frozenset[str]] = {
    "submitted": frozenset({"in_review", "cancelled"}),
    "in_review": frozenset({"needs_info", "approved", "rejected", "cancelled"}),
    "needs_info": frozenset({"in_review", "cancelled"}),
    "approved": frozenset({"delivered"}),
    "rejected": frozenset({"delivered"}),
    "delivered": frozenset(),
    "cancelled": frozenset(),
}
REASON_REQUIRED = frozenset({"rejected", "needs_info"})
OPEN = frozenset({"submitted", "in_review", "needs_info"})
"""Statuses still waiting for an answer: these can be late."""
PAYMENT_STATES = ("none", "pending", "paid", "failed")
MAX_REASON = 500


class RequestError(PishkhanError):
    """A request operation that cannot be done; the message says why and what to do."""


class UnknownService(RequestError):
    """The service does not exist or takes no requests."""


class InvalidInputs(RequestError):
    """The inputs do not match what the service asks for; `fields` names the wrong ones."""

    def __init__(self, message: str, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(message)


class RequestNotFound(RequestError):
    """No request has this tracking code."""


class InvalidStatus(RequestError):
    """A status or payment state name that does not exist."""


class TransitionNotAllowed(RequestError):
    """The lifecycle does not allow this change from the request's current status."""


class StatusChanged(TransitionNotAllowed):
    """The request is no longer in the status the operator saw when choosing the change (someone else moved it)."""


class ReasonRequired(RequestError):
    """This change needs a reason the citizen will read."""


def check_transition(code: str, current: str, to: str, reason: str | None) -> None:
    """Raise the RequestError that explains why `current -> to` cannot happen; return if it can."""
    if to not in STATUSES:
        raise InvalidStatus(f"unknown status {to!r}; use one of {', '.join(STATUSES)}")
    allowed = ALLOWED[current]
    if to not in allowed:
        options = ", ".join(sorted(allowed)) or "none (it is final)"
        raise TransitionNotAllowed(f"request {code} is {current}; it cannot become {to}. Allowed next: {options}")
    if to in REASON_REQUIRED and not reason:
        raise ReasonRequired(f"a reason is required to mark a request {to}; the citizen reads it")


def is_late(status: str, due: datetime.date, today: datetime.date) -> bool:
    """Still waiting for an answer after its due date."""
    return status in OPEN and today > due
