"""Fuzz the SMS and bot webhooks: whatever a citizen types or a provider (or an attacker) sends,
the provider gets its acknowledgement or a 4xx, the citizen gets a reply that fits the channel, and
nothing ends in a 500 or a logged crash."""

from __future__ import annotations

import itertools
import json
import logging

from fakes.bot_api import post_update
from fakes.sms_gateway import JASMIN_SECRET
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from waiting import eventually

from flows.gsm7 import sms_encoding

FUZZ = hyp_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WORDS = st.sampled_from(["1", "2", "0", "00", "98", "HELP", "help", "STATUS", "STATUS 12345678901", "وضعیت ۱۲۳", "11", "12",
                         "STOP", "START", "لغو", "MORE", "بیشتر", "*4*3#", "", " "])
TYPED = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)  # anything a handset can encode
IDS = itertools.count()
JUNK = st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans(), st.lists(st.integers(), max_size=3))


def crashes(caplog) -> list[str]:  # type: ignore[no-untyped-def]
    """Errors logged while the test ran (an exception in a background turn is logged, not raised)."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@FUZZ
@given(texts=st.lists(st.one_of(WORDS, TYPED), min_size=1, max_size=6))
async def test_any_texts_get_a_reply_within_the_segment_limit(rig, caplog, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    limit = rig.gateway.sms.settings.max_segments
    for text in texts:
        message_id = f"fuzz-{next(IDS)}"
        status, body = await rig.text(text, sender="+989125550101", message_id=message_id)
        assert status == 200, body
        [reply] = await eventually(lambda key=f"sms-reply:kannel:{message_id}": rig.outbox(idempotency_key=key))
        assert sms_encoding(reply["text"]).segments <= limit, reply["text"]
    assert crashes(caplog) == []


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["id", "from", "to", "coding", "content", "binary", "priority", "x"]), JUNK, max_size=7))
async def test_jasmin_junk_is_acknowledged_or_refused_never_a_server_error(rig, caplog, fields: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    form = {k: "" if v is None else str(v) for k, v in fields.items()}
    response = await rig.client.post(f"/sms/inbound/jasmin?secret={JASMIN_SECRET}", data=form)
    body = await response.text()
    assert response.status < 500, body
    if response.status == 200:
        assert body == "ACK/Jasmin"
    report = await rig.client.post(f"/sms/dlr/jasmin?secret={JASMIN_SECRET}", data=form)
    assert report.status < 500, await report.text()
    assert crashes(caplog) == []


@FUZZ
@given(update=st.fixed_dictionaries({"update_id": st.integers(1, 2**31)}, optional={
    "message": st.dictionaries(st.sampled_from(["message_id", "date", "chat", "from", "text", "contact", "sticker", "entities"]),
                               st.one_of(JUNK, st.dictionaries(st.sampled_from(["id", "type", "user_id", "phone_number"]), JUNK, max_size=4)),
                               max_size=6),
    "callback_query": st.dictionaries(st.sampled_from(["id", "from", "data", "message", "chat_instance"]), JUNK, max_size=5),
}))
async def test_bot_updates_of_any_shape_never_crash_the_webhook(tg, bot_api, caplog, update: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    status = await post_update(tg, json.dumps(update))
    assert status in (200, 400)
    assert crashes(caplog) == []
