"""When a conversation a host last saw counts as abandoned, given what the shared state store holds
at its sweep (the cases two hosts behind a load balancer meet, and Redis's expiry)."""

from __future__ import annotations

from gateway.analytics.tally import Open, abandoned

SEEN = Open("sms", "main:home", started_at=100.0, updated_at=160.0, due=1960.0)


def test_gone_without_an_end_is_abandoned_but_gone_after_an_end_elsewhere_is_not() -> None:
    assert abandoned(SEEN, None, None)                                           # expired in Redis
    assert not abandoned(SEEN, None, {"started_at": 100.0})                      # ended by another host, then deleted
    assert abandoned(SEEN, None, {"started_at": 50.0})                           # the marker is an older conversation's


def test_replaced_continued_ended_or_left_in_place() -> None:
    assert abandoned(SEEN, {"started_at": 300.0, "updated_at": 300.0}, None)     # a new conversation took its place
    assert not abandoned(SEEN, {"started_at": 100.0, "updated_at": 200.0}, None)  # another host took the next message
    assert not abandoned(SEEN, {"started_at": 100.0, "updated_at": 200.0, "ended": True}, None)
    assert abandoned(SEEN, {"started_at": 100.0, "updated_at": 160.0}, None)     # kept only for USSD's resume offer
