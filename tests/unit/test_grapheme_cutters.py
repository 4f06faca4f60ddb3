"""No text cutter splits what a reader sees as one character: flags, ZWJ families, skin tones,
keycaps, accents and Persian letters joined by ZWNJ stay whole in SMS segments, USSD and SMS pages
and Telegram messages, every piece fits its limit, and the pieces give the text back."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from channels.sms.surface import sms_surface
from channels.telegram.text import RLM, split_for, split_text, utf16_len
from channels.ussd.base import ussd_surface
from flows.graphemes import clusters, fitting_prefix
from flows.gsm7 import SMS_MULTIPART, SMS_SINGLE, gsm7_length, sms_encoding, split_sms, ucs2_length
from flows.paging import compose, paginate
from flows.reply import Choice

SEQUENCES = [
    "🇮🇷", "🇫🇷", "🏳️‍🌈",  # flags: regional-indicator pairs, a ZWJ sequence
    "👨‍👩‍👧", "👨🏽‍👩🏽‍👧🏽‍👦🏽", "👩🏽‍💻",  # ZWJ families and professions
    "👍🏽", "✋🏿",  # skin tones
    "1️⃣", "#️⃣", "❤️",  # keycaps, an emoji presentation selector
    "e\u0301", "ق\u0651\u064e",  # combining marks
    "می‌خواهم", "سلام", "۱۲۳", "😀",
]
WORDS = ["a", "word", "Pishkhan", "{x}", "€", "12", "."]
SEPARATORS = [" ", " ", "\n", "  ", "\r\n"]
TEXT = st.one_of(
    st.lists(st.sampled_from(SEQUENCES + WORDS + SEPARATORS), max_size=80).map("".join),
    st.lists(st.sampled_from(SEQUENCES), max_size=60).map("".join),  # no space to break at: every cut is between clusters
)
GSM_TEXT = st.lists(st.sampled_from(WORDS + SEPARATORS), max_size=120).map("".join)
"""GSM-7 only, where "\\r\\n" is the one cluster of two characters."""


def visible(text: str) -> list[str]:
    """The clusters a reader sees, without the whitespace and direction marks a cutter may drop or add."""
    return [c for c in clusters(text) if not c.isspace() and c != RLM]


def whole(pieces: list[str], text: str) -> bool:
    """The pieces, read one after another, show the text's clusters: none split, none lost."""
    return [c for piece in pieces for c in visible(piece)] == visible(text)


def test_the_sequences_are_one_cluster_each() -> None:
    assert all(len(clusters(s)) == 1 for s in SEQUENCES[:13])


def test_a_flag_that_would_straddle_the_limit_goes_whole_to_the_next_piece() -> None:
    assert fitting_prefix("ab🇮🇷", lambda part: utf16_len(part) <= 4) == 2
    assert fitting_prefix("👨‍👩‍👧", lambda part: utf16_len(part) <= 3) == 2  # too big for any piece: cut, never looped on


@given(st.one_of(TEXT, GSM_TEXT))
def test_sms_segments_fit_and_join_back_without_splitting_a_cluster(text: str) -> None:
    parts = split_sms(text)
    assert "".join(parts) == text
    assert [c for part in parts for c in clusters(part)] == clusters(text)
    coding = sms_encoding(text).coding
    room = SMS_SINGLE[coding] if len(parts) == 1 else SMS_MULTIPART[coding]
    assert all((gsm7_length(p) if coding == "gsm7" else ucs2_length(p)) <= room for p in parts)


@given(TEXT, st.integers(min_value=25, max_value=120))
def test_telegram_parts_fit_and_keep_every_cluster_whole(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(utf16_len(p) <= limit for p in parts) and whole(parts, text)
    marked = split_for(text, "fa", limit)
    assert all(utf16_len(p) <= limit for p in marked) and whole(marked, text)


@settings(max_examples=60)
@given(TEXT, st.lists(st.lists(st.sampled_from(SEQUENCES + WORDS), min_size=1, max_size=4).map(" ".join), max_size=6),
       st.sampled_from([60, 70, 80]), st.sampled_from(["fa", "en"]), st.booleans())
def test_pages_fit_and_keep_every_cluster_whole(body: str, labels: list[str], ucs2_limit: int, lang: str, sms: bool) -> None:
    surface = sms_surface(1) if sms else ussd_surface(182, ucs2_limit)
    options = [Choice(str(i), label) for i, label in enumerate(labels, 1)]
    nav, more = [Choice("0", "Back", nav=True), Choice("00", "Home", nav=True)], Choice("98", "More", nav=True)
    assume(all(surface.fits(compose("", [option, more, *nav], lang)) for option in options))  # as `flows validate` demands
    pages = paginate(body, options, nav, more, lang, surface.fits)
    assert all(surface.fits(compose(p.body, p.choices, lang)) for p in pages)
    assert whole([p.body for p in pages], body)
    assert [c for p in pages for c in p.choices if not c.nav] == options
