"""Fit a screen to a channel's page: long texts and long menus are split into pages, never cut."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flows.normalise import to_persian_digits
from flows.reply import Choice, Reply

PageFits = Callable[[str], bool]


@dataclass(frozen=True)
class Surface:
    """What a channel can show: `fits` says whether a composed page fits (None: no limit)."""

    name: str
    fits: PageFits | None = None


def localise_digits(text: str, lang: str) -> str:
    """Persian readers get Persian digits (URLs untouched); other languages keep ASCII."""
    return to_persian_digits(text) if lang == "fa" else text


def compose(body: str, choices: Sequence[Choice], lang: str) -> str:
    """The page as a numbered-text channel shows it: body, one option a line, navigation on one line."""
    lines = [body] if body else []
    lines.extend(f"{c.key}. {c.label}" for c in choices if not c.nav)
    nav = [f"{c.key}. {c.label}" for c in choices if c.nav]
    if nav:
        lines.append("  ".join(nav))
    return localise_digits("\n".join(lines), lang)


def compose_reply(reply: Reply) -> str:
    """`compose` for a finished reply."""
    return compose(reply.body, reply.choices, reply.lang)


@dataclass(frozen=True)
class Page:
    """One page of a screen."""

    body: str
    choices: tuple[Choice, ...]


_WORDS = re.compile(r"\S+\s*")


def _longest_prefix(text: str, fits: Callable[[str], bool]) -> int:
    """Length of the longest word-boundary prefix of `text` that fits (at least one character)."""
    end = 0
    for match in _WORDS.finditer(text):
        if not fits(text[: match.end()].rstrip()):
            break
        end = match.end()
    if end:
        line_end = text.rfind("\n", 0, end)
        return line_end + 1 if line_end >= end // 3 else end  # a whole line reads better than half of one
    size = 1
    while size < len(text) and fits(text[: size + 1]):
        size += 1
    return size


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
        cut = _longest_prefix(rest_body, lambda text: fits(text, paged_nav))
        pages.append(Page(rest_body[:cut].rstrip(), tuple(paged_nav)))
        rest_body = rest_body[cut:].lstrip()
    if len(pages) > 1 and not pages[-1].body and not pages[-1].choices:
        pages.pop()
    return pages
