"""Per-provider pacing and a fast acknowledgement: a burst of replies leaves at the configured rate,
and a provider is answered at once even when the turn is slow, with the reply following."""

from __future__ import annotations

import time

import pytest
from fakes.sms_gateway import ALI, start_rig
from waiting import eventually


async def test_replies_to_kannel_leave_at_its_rate(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    rig = await start_rig(aiohttp_server, aiohttp_client, settings, providers={"kannel": {"rate": 20, "burst": 1}})
    for i in range(6):
        assert (await rig.text("hi", sender=f"+98912000000{i}"))[0] == 200
    await eventually(lambda: len(rig.kannel.calls) == 6)
    gaps = [b - a for a, b in zip(rig.kannel.times, rig.kannel.times[1:])]
    assert rig.kannel.times[-1] - rig.kannel.times[0] == pytest.approx(5 / 20, abs=0.06)
    assert min(gaps) > 0.03          # 50 ms apart at 20/s, never bunched


async def test_the_provider_is_answered_before_a_slow_reply_is_ready(aiohttp_server, aiohttp_client, settings) -> None:  # type: ignore[no-untyped-def]
    rig = await start_rig(aiohttp_server, aiohttp_client, settings, reply_budget=0.0)
    started = time.monotonic()
    assert await rig.text("سلام", sender=ALI) == (200, "")
    assert time.monotonic() - started < 0.5
    [reply] = await eventually(lambda: rig.outbox(kind="reply", state="sent"))
    assert "پیشخوان دولت" in reply["text"]
