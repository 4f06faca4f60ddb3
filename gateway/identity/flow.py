"""The screens of the identity check in the catalogue's request flows (gateway/catalogue/flows.py).

A service whose card requires the check has its submit node lead the gate's outcomes here: a
mismatch to a message (back goes to the confirm screen, then the answers, to fix a mistyped code),
a number past its checks for the day to a message alike (nothing submitted, the answers still there),
an outage to an end (the answers are kept, the result follows), a bot chat with no verified number
to a screen whose `1` tries the submission again once the number is shared.
"""

from __future__ import annotations

from typing import Any

from gateway.catalogue import Service
from gateway.identity import texts

NO_MATCH = "identity_no_match"
WAITING = "identity_waiting"
NEEDS_PHONE = "identity_needs_phone"
LIMIT = "identity_limit"
"""The submit action's outcomes when the check holds a request back (gateway/identity/gate.py)."""

SHARED: dict[str, Any] = {
    "identity_no_match": {"type": "message", "text": texts.NO_MATCH},
    "identity_waiting": {"type": "end", "text": texts.WAITING},
    "identity_limit": {"type": "message", "text": texts.LIMIT},
}
"""Nodes every checked service leads to (added once, when one service asks for the check)."""


def submit_outcomes(service: Service) -> dict[str, str]:
    """The submit node's outcomes for the check's results (none when the card does not ask for it)."""
    if not service.identity_check:
        return {}
    return {NO_MATCH: "identity_no_match", WAITING: "identity_waiting", LIMIT: "identity_limit",
            NEEDS_PHONE: f"identity_phone_{service.id}"}


def service_nodes(service: Service) -> dict[str, Any]:
    """The service's own screen: share the number, then `1` submits again."""
    if not service.identity_check:
        return {}
    return {f"identity_phone_{service.id}": {"type": "message", "text": texts.SHARE_NUMBER, "next": f"submit_{service.id}"}}
