"""The console's words in Persian and English, its dates (Jalali for Persian) and its digits.

Each page module keeps its own `TEXTS` (key -> {"fa": …, "en": …}); `Words.of` merges them once at
start and refuses a key two modules define or a key missing a language, so a page never shows a
raw key or half its labels in the other language. Templates call `t("key", name=…)`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import jdatetime

from flows.normalise import to_persian_digits
from gateway.console.users import LANGUAGES

Texts = Mapping[str, Mapping[str, str]]

DIRECTION = {"fa": "rtl", "en": "ltr"}
LANGUAGE_NAMES = {"fa": "فارسی", "en": "English"}
_JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


class Words:
    """Every console text, by key and language."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        self.texts = texts

    @classmethod
    def of(cls, parts: Iterable[Texts]) -> Words:
        """The texts of every page module, checked: each key once, each in every language."""
        merged: dict[str, Mapping[str, str]] = {}
        for part in parts:
            for key, languages in part.items():
                if key in merged:
                    raise ValueError(f"console text {key!r} is defined twice")
                missing = set(LANGUAGES) - set(languages)
                if missing:
                    raise ValueError(f"console text {key!r} has no {', '.join(sorted(missing))}")
                merged[key] = languages
        return cls(merged)

    def get(self, key: str, lang: str, **values: object) -> str:
        """The text of `key` in `lang`, with `{name}` places filled (numbers in the language's digits)."""
        text = self.texts[key][lang]
        if values:
            text = text.format(**{name: number(value, lang) if isinstance(value, int) else value for name, value in values.items()})
        return text


def digits(text: object, lang: str) -> str:
    """`text` with its digits as the language writes them (Persian digits in Persian)."""
    return to_persian_digits(str(text)) if lang == "fa" else str(text)


def number(value: int | float, lang: str) -> str:
    """A number grouped by thousands, in the language's digits (Persian uses ٬ between groups)."""
    shown = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    return digits(shown.replace(",", "٬"), lang) if lang == "fa" else shown


def when(timestamp: float | None, lang: str, tz: datetime.tzinfo, *, time: bool = True) -> str:
    """A moment as staff read it: Jalali with Persian digits and month names in Persian
    (`۹ آذر ۱۴۰۵، ۱۴:۳۰`), ISO-like Gregorian in English (`2026-11-30 14:30`); "—" for none."""
    if timestamp is None:
        return "—"
    moment = datetime.datetime.fromtimestamp(timestamp, tz)
    if lang != "fa":
        return moment.strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")
    jalali = jdatetime.datetime.fromgregorian(datetime=moment)
    shown = f"{jalali.day} {_JALALI_MONTHS[jalali.month - 1]} {jalali.year}"
    if time:
        shown += f"، {moment:%H:%M}"
    return digits(shown, "fa")


def day(value: datetime.date, lang: str) -> str:
    """A calendar date (a due date) in the language's calendar."""
    if lang != "fa":
        return value.isoformat()
    jalali = jdatetime.date.fromgregorian(date=value)
    return digits(f"{jalali.day} {_JALALI_MONTHS[jalali.month - 1]} {jalali.year}", "fa")


@dataclass(frozen=True)
class Speaker:
    """The language one page is drawn in, with the helpers its template uses."""

    words: Words
    lang: str
    tz: datetime.tzinfo

    @property
    def dir(self) -> str:
        """`rtl` or `ltr`, for the html element."""
        return DIRECTION[self.lang]

    def t(self, key: str, **values: object) -> str:
        """A text in this language."""
        return self.words.get(key, self.lang, **values)

    def when(self, timestamp: float | None, time: bool = True) -> str:
        """A moment in this language's calendar."""
        return when(timestamp, self.lang, self.tz, time=time)

    def day(self, value: datetime.date) -> str:
        """A date in this language's calendar."""
        return day(value, self.lang)

    def num(self, value: int | float) -> str:
        """A number in this language's digits."""
        return number(value, self.lang)

    def digits(self, text: object) -> str:
        """A text's digits in this language's digits (tracking codes, amounts)."""
        return digits(text, self.lang)


def preferred(accept_language: str) -> str:
    """The first of our languages an Accept-Language header names, else Persian."""
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "fa"
