"""What the API answers when a lifecycle refuses a move, for requests and complaints alike (gateway.lifecycle).

404 when nothing has the code, 409 when the lifecycle does not allow the change (or it was changed
meanwhile), 422 naming the field that is wrong: `to` for an unknown status, the text the move needs
(`reason`, `answer`) when it is missing.
"""

from __future__ import annotations

from gateway.api.common import ApiError, invalid
from gateway.lifecycle import InvalidStatus, LifecycleError, NotFound, TextRequired, TransitionNotAllowed


def refused(exc: LifecycleError) -> ApiError:
    """The answer to a refused move."""
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", str(exc))
    if isinstance(exc, TransitionNotAllowed):
        return ApiError(409, "transition_not_allowed", str(exc))
    if isinstance(exc, TextRequired):
        return invalid(exc.field, str(exc))
    if isinstance(exc, InvalidStatus):
        return invalid("to", str(exc))
    raise exc  # a kind of refusal added to gateway.lifecycle without an answer here: a bug, answered 500
