"""Where text may be cut: between grapheme clusters, what a reader sees as one character.

A flag is two code points, a family emoji five joined by ZWJ, a keycap three, a thumbs-up with a
skin tone two; cutting inside one shows the reader broken pieces (or two other emoji). Every cutter
(SMS segments, USSD and SMS pages, Telegram messages) cuts only where this module says it may.
Clusters are Unicode's extended grapheme clusters (UAX #29) as the `regex` module's `\\X` finds
them; that module follows each new Unicode version, which emoji keep needing.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator

import regex

_CLUSTER = regex.compile(r"\X")


def clusters(text: str) -> list[str]:
    """The grapheme clusters of `text`, in order; "".join(clusters(text)) == text."""
    return _CLUSTER.findall(text)


def _ends(text: str) -> list[int]:
    return [match.end() for match in _CLUSTER.finditer(text)]


def fitting_prefix(text: str, fits: Callable[[str], bool]) -> int:
    """Length of the longest prefix of whole clusters that `fits` accepts. `fits` must be monotone
    (a prefix that does not fit never fits longer), so it is asked only about log(n) prefixes.

    A first cluster too long for any piece (a run of hundreds of combining marks) is cut between
    code points instead; at least one code point, so a cutter always moves on."""
    ends = _ends(text)
    whole = bisect.bisect_left(range(len(ends)), True, key=lambda i: not fits(text[: ends[i]]))
    if whole:
        return ends[whole - 1]
    points = bisect.bisect_left(range(1, len(text) + 1), True, key=lambda size: not fits(text[:size]))
    return max(points, 1) if text else 0


def gaps(text: str) -> Iterator[tuple[int, int]]:
    """(end of a word, start of the next word or the end of the text) for each word, a word being a
    run of clusters that are not whitespace; `text[end:start]` is the whitespace a cut may drop. A
    space carrying a combining mark is one cluster that is not whitespace, so it stays in its word."""
    end = None
    for match in _CLUSTER.finditer(text):
        if match.group().isspace():
            continue
        if end is not None and match.start() > end:
            yield end, match.start()
        end = match.end()
    if end is not None:
        yield end, len(text)
