"""SMS keywords, matched at any point of a conversation after normalisation.

Digits in any script, Arabic/Persian letter variants, invisible marks and case are folded first
(`flows.normalise`), so `Stop`, `STOP.` and `استاپ`-style keyboards' variants of `لغو` match alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flows.normalise import normalise_input

KINDS = ("help", "status", "stop", "start", "more", "poll", "privacy")
ARGUMENT_KINDS = frozenset({"status", "poll"})
"""Keywords a text may go on after: `STATUS <code>`, `POLL <consultation> <option>`."""
_PUNCTUATION = re.compile(r"^[\s.!?؟،,:;\-]+|[\s.!?؟،,:;\-]+$")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_LATIN = re.compile("[a-z]")


def fold(text: str) -> str:
    """The form keywords are compared in."""
    return _PUNCTUATION.sub("", normalise_input(text).casefold())


def language_of(word: str) -> str | None:
    """`fa` for a Persian keyword, `en` for a Latin one, None for digits."""
    if _ARABIC_SCRIPT.search(word):
        return "fa"
    return "en" if _LATIN.search(word) else None


@dataclass(frozen=True)
class KeywordMatch:
    """A keyword the citizen sent: which kind, what followed it, and the keyword's own language."""

    kind: str
    word: str
    """The keyword as sent, folded (`stop`, `11`, `لغو`)."""
    argument: str
    lang: str | None
    numeric: bool
    """`11`/`12`: also a menu choice, so the caller decides whether the flow wants the number."""


class Keywords:
    """The configured keyword lists: `help`, `status` and `poll` (take an argument), `stop`, `start`, `more`, `privacy`."""

    def __init__(self, lists: Mapping[str, Sequence[str]]) -> None:
        unknown = sorted(set(lists) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown keyword lists {unknown}; known: {', '.join(KINDS)}")
        self._words: dict[str, str] = {}
        for kind, words in lists.items():
            for word in words:
                folded = fold(str(word))
                if folded in self._words and self._words[folded] != kind:
                    raise ValueError(f"keyword {word!r} is both {self._words[folded]} and {kind}")
                self._words[folded] = kind
        self._leading = sorted((w for w, k in self._words.items() if k in ARGUMENT_KINDS), key=len, reverse=True)

    def match(self, text: str) -> KeywordMatch | None:
        """The keyword `text` is, or None: a whole-message keyword, or a status or poll word and what follows it."""
        folded = fold(text)
        kind = self._words.get(folded)
        if kind is not None:
            return KeywordMatch(kind, folded, "", language_of(folded), folded.isdigit())
        for word in self._leading:  # `STATUS 12345678901`, `وضعیت۱۲۳…`, `status:123…`, `POLL 3 2`
            if folded.startswith(word):
                rest = folded[len(word):]
                if rest[:1].isdigit() or rest[:1] in (" ", ":", "-", "#"):
                    return KeywordMatch(self._words[word], word, _PUNCTUATION.sub("", rest.lstrip(":#")), language_of(word), False)
        return None
