"""Kannel, Jasmin and generic JSON wire formats: texts in, reports in, requests out."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.sms import DIALECTS, WireRequest, dialect_for
from channels.sms.base import dlr_address, parse_form, query_string
from channels.sms.jasmin import send_form, sent_message_id
from channels.sms.kannel import dlr_query, sendsms_accepted, sendsms_params
from flows.errors import ChannelError

KANNEL, JASMIN, GENERIC = DIALECTS["kannel"], DIALECTS["jasmin"], DIALECTS["generic"]
SALAM = "سلام"


def test_kannel_text_in_utf8_and_in_utf16be_bytes() -> None:
    plain = KANNEL.parse_mo(WireRequest(f"id=7&sender=%2B989121234567&receiver=4000&text={quote(SALAM)}"))
    assert (plain.message_id, plain.sender, plain.receiver, plain.text) == ("7", "+989121234567", "4000", SALAM)
    raw = quote(SALAM.encode("utf-16-be"))
    assert KANNEL.parse_mo(WireRequest(f"id=8&sender=0912&text={raw}&coding=2&charset=UTF-16BE")).text == SALAM
    assert KANNEL.parse_mo(WireRequest(f"id=8&sender=0912&text={raw}&coding=2")).text == SALAM   # %c without %C


def test_kannel_accepts_courier_field_names_and_a_posted_form() -> None:
    mo = KANNEL.parse_mo(WireRequest("", b"id=9&sender=0912&to=4000&message=hi", "application/x-www-form-urlencoded"))
    assert (mo.receiver, mo.text) == ("4000", "hi")


def test_kannel_reports_map_to_our_states() -> None:
    def state(code: str, answer: str = "") -> str | None:
        return KANNEL.parse_dlr(WireRequest(f"ref=5&status={code}&answer={quote(answer)}")).state
    assert [state(c) for c in ("1", "2", "4", "8", "16", "32")] == ["delivered", "failed", "accepted", "sent_to_smsc", "failed", None]
    assert state("2", "id:1 sub:001 dlvrd:000 stat:EXPIRED err:000") == "expired"
    with pytest.raises(ChannelError, match="not a Kannel DLR type"):
        KANNEL.parse_dlr(WireRequest("ref=5&status=delivered"))


def test_kannel_sendsms_asks_ucs2_only_when_a_character_needs_it() -> None:
    common = dict(username="u", password="p", sender="4000", to="+98912", dlr_mask=31, dlr_url="http://gw/sms/dlr/kannel?ref=1&status=%d")
    assert "coding" not in sendsms_params(text="Your code is 123 {ok}", **common)
    fa = sendsms_params(text=SALAM, **common)
    assert (fa["coding"], fa["charset"], fa["dlr-mask"]) == ("2", "UTF-8", "31")
    assert sendsms_accepted(202, "0: Accepted for delivery") and sendsms_accepted(202, "3: Queued for later delivery")
    assert not sendsms_accepted(202, "Sending failed.")


def test_our_dlr_url_leaves_kannels_escapes_and_carries_the_secret() -> None:
    url = dlr_address("http://gw:8080/", "kannel", "s e", "secret", dlr_query("42"))
    assert url == "http://gw:8080/sms/dlr/kannel?ref=42&status=%d&answer=%A&secret=s%20e"
    assert dlr_address("http://gw", "jasmin", "", "secret") == "http://gw/sms/dlr/jasmin"


def test_jasmin_text_in_ucs2_bytes_hex_and_gsm() -> None:
    ucs2 = quote(SALAM.encode("utf-16-be"))
    assert JASMIN.parse_mo(WireRequest("", f"id=u1&from=98912&to=4001&coding=8&content={ucs2}".encode())).text == SALAM
    hexed = SALAM.encode("utf-16-be").hex()
    assert JASMIN.parse_mo(WireRequest("", f"id=u1&from=98912&coding=8&content=x&binary={hexed}".encode())).text == SALAM
    assert JASMIN.parse_mo(WireRequest("", b"id=u2&from=98912&coding=0&content=STOP")).text == "STOP"


def test_jasmin_reads_coding_as_the_raw_octet_its_thrower_sends() -> None:
    """Captured from a real Jasmin 0.11.1: `۲` (UTF-16BE 06F2) with coding as the octet 0x08."""
    captured = b"id=2ea5d041&from=989120000012&to=4002&origin-connector=smsc1&content=%06%F2&binary=06f2&priority=0&coding=%08"
    assert JASMIN.parse_mo(WireRequest("", captured)).text == "۲"
    word = quote("راهنما".encode("utf-16-be"))
    assert JASMIN.parse_mo(WireRequest("", f"id=j&from=98912&content={word}&coding=%08".encode())).text == "راهنما"
    assert JASMIN.parse_mo(WireRequest("", b"id=j&from=98912&content=Hi%00there&coding=%00")).text == "Hi@there"


@pytest.mark.parametrize(("coding", "raw", "text"), [
    (b"0", b"\x00\x02\x1b\x65 \x1b\x28ok\x1b\x29 \x11", "@$€ {ok} _"),   # GSM 03.38 septets, escapes
    (b"0", "caf\u00e9".encode(), "caf\u00e9"),        # an SMSC putting UTF-8 under the default alphabet
    (b"0", b"caf\xe9", "caf\u00e9"),                   # ... or Latin-1
    (b"1", b"STATUS", "STATUS"),                          # IA5
    (b"3", b"caf\xe9", "caf\u00e9"),                   # Latin-1
    (b"6", "Привет".encode("iso8859_5"), "Привет"),
    (b"8", "سلام 😀".encode("utf-16-be"), "سلام 😀"),  # UCS-2, a surrogate pair read as UTF-16
    (b"\xf0", b"\x00k", "@k"),                          # GSM message class group, default alphabet
    (b"\xf4", "سلام".encode(), "سلام"),                 # ... 8-bit data (UTF-8 if it is)
    (b"\xe0", "۱".encode("utf-16-be"), "۱"),            # message waiting group, UCS-2
    (b"4", b"\xff\xfe", "\xff\xfe"),                  # binary that is not text: kept, not refused
    (b"", b"1", "1"),                                     # no coding: the default alphabet
])
def test_every_data_coding_in_either_spelling(coding: bytes, raw: bytes, text: str) -> None:
    for spelling in {coding, str(coding[0]).encode() if len(coding) == 1 and not coding.isdigit() else coding}:
        fields = f"id=j&from=98912&coding={quote(spelling)}&binary={raw.hex()}".encode()
        assert JASMIN.parse_mo(WireRequest("", fields)).text == text


def test_a_coding_that_is_neither_a_number_nor_an_octet_is_refused() -> None:
    with pytest.raises(ChannelError, match="coding"):
        JASMIN.parse_mo(WireRequest("", b"id=j&from=98912&coding=ucs2&content=x"))
    with pytest.raises(ChannelError, match="missing from"):
        JASMIN.parse_mo(WireRequest("", b"id=u3&content=hi"))


def test_jasmin_reports_at_both_levels() -> None:
    def report(body: str) -> tuple[str | None, str]:
        r = JASMIN.parse_dlr(WireRequest("", body.encode()))
        return r.state, r.detail
    assert report("id=a&message_status=ESME_ROK&level=1") == ("sent_to_smsc", "level 1 ESME_ROK")
    assert report("id=a&message_status=ESME_RINVDSTADR&level=1")[0] == "failed"
    assert report("id=a&message_status=DELIVRD&level=3&err=000")[0] == "delivered"
    assert report("id=a&message_status=EXPIRED&level=2&err=000")[0] == "expired"
    assert report("id=a&message_status=UNDELIV&level=2&err=011") == ("failed", "level 2 UNDELIV err 011")
    assert report("id=a&message_status=UNKNOWN&level=2")[0] is None


def test_jasmin_send_form_carries_ucs2_as_utf16be_and_asks_reports_by_post() -> None:
    fields = dict(parse_qsl(send_form(username="u", password="p", sender="4001", to="+98912", text=SALAM,
                                      dlr_url="http://gw/sms/dlr/jasmin", dlr_level=3).decode(), encoding="latin-1"))
    assert fields["content"].encode("latin-1").decode("utf-16-be") == SALAM
    assert (fields["coding"], fields["to"], fields["dlr"], fields["dlr-level"], fields["dlr-method"]) == ("8", "98912", "yes", "3", "POST")
    gsm = dict(parse_qsl(send_form(username="u", password="p", sender="4001", to="98912", text="hi", dlr_url="x", dlr_level=1).decode()))
    assert (gsm["coding"], gsm["content"]) == ("0", "hi")
    assert sent_message_id(200, 'Success "07033084-5cfd-4812-90a4-e4d24ffb6e3d"') == "07033084-5cfd-4812-90a4-e4d24ffb6e3d"
    assert sent_message_id(412, 'Error "No route found"') is None


def test_generic_json_in_and_reports() -> None:
    mo = GENERIC.parse_mo(WireRequest("", b'{"id": 12, "from": "+98912", "to": "4000", "text": "hi"}', "application/json"))
    assert (mo.message_id, mo.text) == ("12", "hi")
    assert GENERIC.parse_dlr(WireRequest("", b'{"id": "12", "status": "sent"}')).state == "sent_to_smsc"
    assert GENERIC.parse_dlr(WireRequest("", b'{"id": "12", "status": "queued"}')).state is None
    with pytest.raises(ChannelError, match="not JSON"):
        GENERIC.parse_mo(WireRequest("", b"id=1"))
    with pytest.raises(ChannelError, match="must be an object"):
        GENERIC.parse_mo(WireRequest("", b"[1]"))


def test_an_overlong_field_is_refused_and_an_unknown_type_is_named() -> None:
    with pytest.raises(ChannelError) as refused:
        KANNEL.parse_mo(WireRequest("id=1&sender=1&text=" + "a" * 5000))
    assert refused.value.status == 413
    with pytest.raises(KeyError, match="known: kannel, jasmin, generic"):
        dialect_for("clickatell")


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40), max_size=6))
def test_a_sendsms_query_is_escaped_exactly_as_urlencode_escapes_it(params: dict[str, str]) -> None:
    assert query_string(params) == urlencode(params, quote_via=quote)
    assert query_string(params) == urlencode(params, quote_via=quote)  # a second time, from the cache


def test_kannel_receives_a_reply_with_every_reserved_character_as_written() -> None:
    text = "سلام: a/b?c=d&e%f ~!*()' +۱۲"
    fields = parse_form(query_string(sendsms_params(text=text, username="u", password="p&w", sender="4000", to="+98912",
                                                      dlr_mask=31, dlr_url="http://gw/sms/dlr/kannel?ref=1&status=%d")))
    assert fields["text"].decode() == text and fields["dlr-url"] == b"http://gw/sms/dlr/kannel?ref=1&status=%d"


@given(st.lists(st.sampled_from(["a", "b", "=", "&", "%", "+", " ", "2F", "%41", "%D8", "%2", "%zz", "é", "\u00ff", "س"]), max_size=16))
def test_a_form_reads_as_parse_qsl_reads_it(pieces: list[str]) -> None:
    raw = "".join(pieces)
    try:
        expected: object = {k: v.encode("latin-1") for k, v in parse_qsl(raw, keep_blank_values=True, encoding="latin-1")}
    except UnicodeEncodeError as exc:
        expected = type(exc)
    try:
        got: object = parse_form(raw)
    except UnicodeEncodeError as exc:
        got = type(exc)
    assert got == expected
