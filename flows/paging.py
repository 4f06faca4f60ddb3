"""Fit a screen to a channel's page: long texts and long menus are split into pages, never cut."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flows.graphemes import fitting_prefix, gaps
from flows.normalise import to_persian_digits
from flows.reply import Choice, Reply

PageFits = Callable[[str], bool]


@dataclass(frozen=True)
class Surface:
    """What a channel can show: `fits` says whether a composed page fits (None: no limit)."""

    name: str
    fits: PageFits | None = None


def localise_digits(text: str, lang: str) -> str:
    """Persian readers get Persian digits (URLs and Latin identifiers untouched); other languages keep ASCII."""
    return to_persian_digits(text) if lang == "fa" else text


def compose(body: str, choices: Sequence[Choice], lang: str) -> str:
    """The page as a numbered-text channel shows it: body, one option a line, navigation on one line."""
    lines = [body] if body else []
    lines.extend(f"{c.key}. {c.label}" for c in choices if not c.nav)
    nav = [f"{c.key}. {c.label}" for c in choices if c.nav]
    if nav:
        lines.append("  ".join(nav))
    return localise_digits("\n".join(lines), lang)


COMPOSED_SIZE = 4096
_composed: dict[tuple[str, int, str], tuple[tuple[Choice, ...], str]] = {}


def compose_reply(reply: Reply) -> str:
    """`compose` for a finished reply, kept for the pages shown lately: most hops show a page that
    many citizens saw a moment ago (a menu), and composing it again is per-hop work for nothing.
    Found by the identity of the reply's choices (the engine hands every citizen on a page the same
    ones), as hashing and comparing them choice by choice costs more than composing saves; the entry
    keeps the choices, so their id is not reused while it is there."""
    key = (reply.body, id(reply.choices), reply.lang)
    kept = _composed.get(key)
    if kept is not None and kept[0] is reply.choices:
        return kept[1]
    text = compose(reply.body, reply.choices, reply.lang)
    if len(_composed) >= COMPOSED_SIZE:
        _composed.clear()
    _composed[key] = (reply.choices, text)
    return text


@dataclass(frozen=True)
class Page:
    """One page of a screen."""

    body: str
    choices: tuple[Choice, ...]


_SENTENCE_END = frozenset(".!?؟…")
_CLAUSE_END = frozenset("؛;:،,")


def _rank(text: str, end: int, start: int) -> int:
    """How good a page break after `text[:end]` reads: a line end (3), a sentence end (2), a clause
    end (1), another word end (0). `text[end:start]` is the whitespace the break drops."""
    if "\n" in text[end:start] or start == len(text):
        return 3
    last = text[end - 1]
    return 2 if last in _SENTENCE_END else 1 if last in _CLAUSE_END else 0


def _page_break(text: str, fits: Callable[[str], bool]) -> tuple[int, int]:
    """(end of this page's text, start of the next page's) for a text longer than a page: after the
    last whole line that fits, else the last whole sentence, else clause, else word; a word longer
    than a page is cut between grapheme clusters, never inside one."""
    best: dict[int, tuple[int, int]] = {}
    for end, start in gaps(text):
        if not fits(text[:end]):
            break
        best[_rank(text, end, start)] = (end, start)
    if best:
        return best[max(best)]
    end = fitting_prefix(text, fits)
    return end, end


def _most_options(body: str, options: Sequence[Choice], tail: Sequence[Choice], fits: Callable[..., bool]) -> int:
    """How many of `options` fit on a page after `body` with `tail` navigation."""
    count = 0
    while count < len(options) and fits(body, [*options[: count + 1], *tail]):
        count += 1
    return count


def paginate(
    body: str,
    options: Sequence[Choice],
    nav: Sequence[Choice],
    more: Choice,
    lang: str,
    page_fits: PageFits | None,
) -> list[Page]:
    """Split a screen into pages that each fit; every page but the last offers `more`."""
    if page_fits is None or page_fits(compose(body, [*options, *nav], lang)):
        return [Page(body, (*options, *nav))]

    def fits(text: str, choices: Sequence[Choice]) -> bool:
        return page_fits(compose(text, choices, lang))

    paged_nav = [more, *nav]
    pages: list[Page] = []
    rest_body, rest_options = body, list(options)
    while rest_body or rest_options:
        if fits(rest_body, [*rest_options, *nav]):
            pages.append(Page(rest_body, (*rest_options, *nav)))
            break
        count = _most_options(rest_body, rest_options, paged_nav, fits)
        if count or not rest_body:
            count = max(count, 1)  # an option that cannot fit alone is shown rather than lost
            pages.append(Page(rest_body, (*rest_options[:count], *paged_nav)))
            rest_body, rest_options = "", rest_options[count:]
            continue
        end, start = _page_break(rest_body, lambda text: fits(text, paged_nav))
        pages.append(Page(rest_body[:end], tuple(paged_nav)))
        rest_body = rest_body[start:]
    if len(pages) > 1 and not pages[-1].body and not pages[-1].choices:
        pages.pop()
    return pages
