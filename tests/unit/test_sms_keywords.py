"""Keywords match after normalisation, whatever the keyboard, and only as whole messages."""

from __future__ import annotations

import pytest

from channels.sms import Keywords
from gateway.sms.settings import DEFAULT_KEYWORDS

KEYWORDS = Keywords(DEFAULT_KEYWORDS)


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop. ", "UNSUBSCRIBE!", "لغو", "لغو.", "\u200fلغو", "11", "۱۱", "١١"])
def test_every_spelling_of_stop_is_stop(text: str) -> None:
    match = KEYWORDS.match(text)
    assert match is not None and match.kind == "stop"


@pytest.mark.parametrize("text,kind,lang", [("help", "help", "en"), ("راهنما", "help", "fa"), ("Start", "start", "en"),
                                            ("۱۲", "start", None), ("شروع", "start", "fa"), ("more", "more", "en"), ("بیشتر", "more", "fa")])
def test_keywords_and_their_language(text: str, kind: str, lang: str | None) -> None:
    match = KEYWORDS.match(text)
    assert match is not None and (match.kind, match.lang) == (kind, lang)


@pytest.mark.parametrize("text,code", [
    ("STATUS 71943668716", "71943668716"), ("status:71943668716", "71943668716"), ("وضعیت ۷۱۹۴۳۶۶۸۷۱۶", "71943668716"),
    ("وضعيت 71943668716", "71943668716"),            # Arabic yeh, as some keyboards type it
    ("پیگیری۷۱۹۴۳۶۶۸۷۱۶", "71943668716"), ("STATUS", ""),
])
def test_status_takes_the_code_that_follows(text: str, code: str) -> None:
    match = KEYWORDS.match(text)
    assert match is not None and (match.kind, match.argument) == ("status", code)


@pytest.mark.parametrize("text,argument,lang", [
    ("POLL 3 2", "3 2", "en"), ("poll", "", "en"), ("Poll:3", "3", "en"), ("نظر ۳ ۲", "3 2", "fa"), ("نظر۱۲ ۱", "12 1", "fa"),
    ("نظرسنجی", "", "fa"), ("نظرسنجی 4 1", "4 1", "fa"),
])
def test_poll_takes_the_consultation_and_the_option_that_follow(text: str, argument: str, lang: str) -> None:
    match = KEYWORDS.match(text)
    assert match is not None and (match.kind, match.argument, match.lang) == ("poll", argument, lang)


@pytest.mark.parametrize("text", ["stopping", "please stop", "1", "98", "سلام", "statusquo", "", "pollen", "نظرم"])
def test_other_texts_are_not_keywords(text: str) -> None:
    assert KEYWORDS.match(text) is None


def test_a_word_in_two_lists_is_refused() -> None:
    with pytest.raises(ValueError, match="both stop and start"):
        Keywords({"stop": ["END"], "start": ["end"]})
    with pytest.raises(ValueError, match="unknown keyword lists"):
        Keywords({"pause": ["P"]})
