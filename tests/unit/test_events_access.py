"""Who may manage an agency's events (gateway/events/api.py `refusal`), for tokens scoped to agencies
and not: the other agency's token is told the agency does not exist."""

from __future__ import annotations

import pytest

from gateway.events.api import refusal
from gateway.tokens import TokenInfo


@pytest.mark.parametrize(("role", "agencies", "writes", "status"), [
    ("admin", None, True, None),            # the national operator's admin
    ("operator", None, False, 403),         # the national desk: not the agency's own
    ("viewer", frozenset({"sabt"}), False, None),
    ("viewer", frozenset({"sabt"}), True, 403),
    ("operator", frozenset({"sabt", "tax"}), True, None),
    ("admin", frozenset({"police"}), False, 404),
    ("operator", frozenset({"police"}), True, 404),
])
def test_a_token_manages_only_the_agencies_it_is_scoped_to(role: str, agencies: frozenset[str] | None, writes: bool,
                                                            status: int | None) -> None:
    refused = refusal(TokenInfo(1, "t", role, agencies), "sabt", writes)
    assert (refused.status if refused else None) == status
