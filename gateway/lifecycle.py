"""A lifecycle: which status may follow which, which moves need a text the citizen reads, and the refusals.

Requests and complaints each are one `Lifecycle` (gateway.requests.lifecycle, gateway.complaints.lifecycle),
so a refusal is the same kind of error for both: the console's transition form (gateway.console.transition)
and the API's answer to a refused move (gateway.api.refusals) are written once. A refusal carries the
status names it is about, so a page words it in its reader's language; its message is the English one
the API and the logs show.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from flows.errors import PishkhanError


class Due(Protocol):
    """A record with a status and the day it should be answered by (a request, a complaint)."""

    @property
    def status(self) -> str: ...

    @property
    def due_date(self) -> datetime.date: ...


class LifecycleError(PishkhanError):
    """A move the lifecycle refuses; each domain's own error classes derive from these too (RequestError, ComplaintError)."""


class NotFound(LifecycleError):
    """Nothing has the code the move names."""


class InvalidStatus(LifecycleError):
    """A status name that does not exist; `status` is the name given."""

    def __init__(self, message: str, *, status: str) -> None:
        self.status = status
        super().__init__(message)


class TransitionNotAllowed(LifecycleError):
    """The lifecycle does not allow `current -> to`."""

    def __init__(self, message: str, *, current: str, to: str) -> None:
        self.current, self.to = current, to
        super().__init__(message)


class StatusChanged(TransitionNotAllowed):
    """The record is `current`, no longer `seen`, the status the operator chose the change from (someone else moved it)."""

    def __init__(self, message: str, *, current: str, to: str, seen: str) -> None:
        self.seen = seen
        super().__init__(message, current=current, to=to)


class TextRequired(LifecycleError):
    """Moving to `to` needs the text the citizen reads; `field` names it (a reason, an answer)."""

    def __init__(self, message: str, *, field: str, to: str) -> None:
        self.field, self.to = field, to
        super().__init__(message)


@dataclass(frozen=True)
class Refusals:
    """The classes a lifecycle raises: each one of the shared kinds above and also its domain's error, so
    `except RequestError` keeps catching a refused move of a request."""

    invalid_status: type[InvalidStatus]
    not_allowed: type[TransitionNotAllowed]
    changed: type[StatusChanged]
    text_required: type[TextRequired]


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


@dataclass(frozen=True)
class Lifecycle:
    """The statuses of one kind of record (`noun`: what messages call it) and the moves between them.

    `text` is the name of the text a move may carry (a request's reason, a complaint's answer), at most
    `text_limit` characters, required to move to a status in `text_required`; `open` statuses still wait
    for an answer, so they can be late."""

    noun: str
    statuses: tuple[str, ...]
    allowed: Mapping[str, frozenset[str]]
    text: str
    text_limit: int
    text_required: frozenset[str]
    open: frozenset[str]
    refusals: Refusals

    def next(self, current: str) -> list[str]:
        """The statuses `current` may become, in the lifecycle's order (what a form offers)."""
        return [s for s in self.statuses if s in self.allowed[current]]

    def check(self, code: str, current: str, to: str, text: str | None, seen: str | None = None) -> None:
        """Raise the refusal that explains why record `code` cannot go `current -> to` (with `seen`: the status the
        operator chose the change from, refused when it has moved since, even to a status `to` may also follow)."""
        refuse = self.refusals
        if seen is not None and current != seen:
            raise refuse.changed(f"{self.noun} {code} is now {current}, no longer {seen}: it was changed meanwhile",
                                 current=current, to=to, seen=seen)
        if to not in self.statuses:
            raise refuse.invalid_status(f"unknown status {to!r}; use one of {', '.join(self.statuses)}", status=to)
        allowed = self.allowed[current]
        if to not in allowed:
            options = ", ".join(sorted(allowed)) or "none (it is final)"
            raise refuse.not_allowed(f"{self.noun} {code} is {current}; it cannot become {to}. Allowed next: {options}",
                                     current=current, to=to)
        if to in self.text_required and not text:
            raise refuse.text_required(f"{_a(self.text)} is required to mark {_a(self.noun)} {to}; the citizen reads it",
                                       field=self.text, to=to)

    def is_late(self, record: Due, today: datetime.date) -> bool:
        """Still waiting for an answer after its due date."""
        return record.status in self.open and today > record.due_date

    def late_days(self, record: Due, today: datetime.date) -> int | None:
        """How many days late (what the console's pages show), None when not late."""
        return (today - record.due_date).days if self.is_late(record, today) else None
