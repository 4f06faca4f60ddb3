"""The parts of a hop made cheaper for issue 19 still do what they did: a conversation's lock and its
save count outlive a message, Iranian mobile numbers read without phonenumbers come out as it gives
them, and `Inbound`'s hand-written constructor matches its declared fields."""

from __future__ import annotations

import dataclasses
import inspect

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.inbound import Inbound
from channels.phone import to_e164
from flows.errors import ChannelError
from flows.session import Session
from gateway.sessions import RECENT_LOCKS, SessionKey, SessionLifetimes, Sessions
from gateway.state import MemoryState


def sessions() -> Sessions:
    return Sessions(MemoryState(), SessionLifetimes(ttl={"ussd": 60}, language_ttl=60))


async def test_a_conversations_lock_and_its_save_count_outlive_the_message() -> None:
    kept = sessions()
    key = SessionKey("ussd", "tel:+989121234567")
    await kept.save(Session("ussd", "tel:+989121234567", "fa", "home:start"))
    assert kept.lock(key).saves == 1  # the lock of the save that finished, not a new one


async def test_a_lock_someone_holds_is_found_after_many_other_conversations() -> None:
    kept = sessions()
    held = kept.lock(SessionKey("ussd", "tel:+989120000000"))
    for n in range(1, RECENT_LOCKS + 2):
        kept.lock(SessionKey("ussd", f"tel:+98912{n:07d}"))
    assert kept.lock(SessionKey("ussd", "tel:+989120000000")) is held


def by_phonenumbers(raw: str) -> str:
    """What `to_e164` answered before Iranian mobiles skipped phonenumbers."""
    text = raw.strip()
    if text.isdigit() and not text.startswith("0") and len(text) > 10:
        text = "+" + text
    number = phonenumbers.parse(text, "IR")
    assert phonenumbers.is_possible_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@given(st.from_regex(r"9[0-9]{9}", fullmatch=True), st.sampled_from(["+98", "98", "0", ""]), st.sampled_from(["", " "]))
def test_iranian_mobiles_read_as_phonenumbers_reads_them(national: str, prefix: str, pad: str) -> None:
    raw = f"{pad}{prefix}{national}{pad}"
    assert to_e164(raw) == by_phonenumbers(raw) == f"+98{national}"


def test_persian_digits_and_other_numbers_still_go_through_phonenumbers() -> None:
    assert to_e164("+44 20 7946 0958") == "+442079460958"
    assert to_e164("+۹۸۹۱۲۱۲۳۴۵۶۷") == to_e164("۹۱۲۱۲۳۴۵۶۷") == "+989121234567"  # Persian digits: ASCII out
    with pytest.raises(ChannelError):
        to_e164("+98912")


def test_inbounds_constructor_takes_its_fields_in_order_with_their_defaults() -> None:
    params = list(inspect.signature(Inbound).parameters.values())
    fields = dataclasses.fields(Inbound)
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
                                           for f in fields]
    inbound = Inbound("ussd", "tel:+989121234567", "1", "africastalking", session_id="s1")
    assert dataclasses.asdict(dataclasses.replace(inbound, text="")) == {
        "channel": "ussd", "address": "tel:+989121234567", "text": "", "provider": "africastalking", "message_id": None,
        "session_id": "s1", "phone": None, "new_session": False, "dial_path": (), "accumulated_text": None, "entry": None,
        "closed": False}
    with pytest.raises(dataclasses.FrozenInstanceError):
        inbound.text = "2"  # type: ignore[misc]


def test_a_session_is_stored_as_its_fields_whatever_else_was_set_on_it() -> None:
    session = Session("ussd", "tel:+989121234567", "fa", "home:start", vars={"a": "1"}, stack=["home:lang"])
    fields = {f.name for f in dataclasses.fields(Session)}
    data = session.to_dict()
    assert data.keys() == fields | {"v"} and data["vars"] is not session.vars and data["stack"] is not session.stack
    assert Session.from_dict(data) == session
    session.scratch = "not a field"  # type: ignore[attr-defined]
    assert session.to_dict().keys() == fields | {"v"}
