"""The request lifecycle (a gateway.lifecycle.Lifecycle): which status may follow which, and the errors a refused change raises.

submitted -> in_review -> (needs_info -> in_review) -> approved | rejected -> delivered;
cancelled from submitted, in_review or needs_info. A reason is required for rejected and needs_info.
"""

from __future__ import annotations

from flows.errors import PishkhanError
from gateway import lifecycle
from gateway.lifecycle import Lifecycle, Refusals

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


class RequestNotFound(RequestError, lifecycle.NotFound):
    """No request has this tracking code."""


class InvalidStatus(RequestError, lifecycle.InvalidStatus):
    """A status or payment state name that does not exist."""


class TransitionNotAllowed(RequestError, lifecycle.TransitionNotAllowed):
    """The lifecycle does not allow this change from the request's current status."""


class StatusChanged(TransitionNotAllowed, lifecycle.StatusChanged):
    """The request is no longer in the status the operator saw when choosing the change (someone else moved it)."""


class ReasonRequired(RequestError, lifecycle.TextRequired):
    """This change needs a reason the citizen will read."""


LIFECYCLE = Lifecycle(noun="request", statuses=STATUSES, allowed=ALLOWED, text="reason", text_limit=MAX_REASON, text_required=REASON_REQUIRED,
                      open=OPEN, refusals=Refusals(InvalidStatus, TransitionNotAllowed, StatusChanged, ReasonRequired))
