"""Every menu and question the shipped flows and catalogue show, with its longest error notice, in
every language and on USSD and SMS pages: 98 pages through the same screen to its last page, each page
fits and nothing is cut, 0 pages back, a provider's retry shows the same page, then a valid answer
moves the citizen on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.sms.surface import sms_surface
from channels.ussd.base import ussd_surface
from flows import phrases
from flows.engine import Engine
from flows.model import InputNode, MenuNode, Node
from flows.paging import Surface, compose, compose_reply
from flows.reply import Choice
from flows.texts import pick, render
from flows.tracking import verhoeff_check_digit
from gateway.actions import base_actions
from gateway.content.model import configured_content
from gateway.flowfiles import check_content
from gateway.settings import load_settings

SETTINGS = load_settings(Path(__file__).resolve().parents[2] / "config", environ={})
FLOWS = check_content(configured_content(SETTINGS), SETTINGS, base_actions()).flowset
SURFACES = {
    "ussd": ussd_surface(SETTINGS.ussd.gsm_limit, SETTINGS.ussd.ucs2_limit),
    "sms": sms_surface(SETTINGS.sms.max_segments),
    "sms-1-segment": sms_surface(1),  # the smallest page an operator can configure
}
LANGUAGES = tuple(SETTINGS.flows.languages)

BAD_ANSWERS = ("", "x", "1234567890", "02112345678", "1500/01/01", "-" + "9" * 20, "9" * 20, "x" * 1000)
"""Between them, every way each validator type can refuse an answer (format, range, check digit,
landline for mobile, a future date, too long)."""
GOOD_ANSWERS = ("0499370899", "1375/06/21", "09121234567", "1234567890" + verhoeff_check_digit("1234567890"), "Sara")
"""National code, date, mobile, tracking code, text; choice and integer questions take their first option or minimum."""
SENTENCE_END = ".!?؟"


def screens() -> Iterator[str]:
    for flow in FLOWS.flows.values():
        for node in flow.nodes.values():
            if isinstance(node, (MenuNode, InputNode)):
                yield f"{flow.id}:{node.id}"


def longest_error(node: Node, lang: str) -> tuple[str, str]:
    """(an answer, the notice it brings) with the longest notice the node can show."""
    if isinstance(node, MenuNode):
        return "x", pick(phrases.INVALID_CHOICE, lang)
    assert isinstance(node, InputNode)
    refused = [(bad, node.validator(bad)) for bad in BAD_ANSWERS]
    notices = [(bad, pick(node.error or result.error or phrases.INVALID_CHOICE, lang)) for bad, result in refused if not result.ok]
    assert notices, f"{node.id}: no bad answer is refused; add one to BAD_ANSWERS"
    return max(notices, key=lambda pair: len(pair[1]))


def good_answer(node: Node) -> str:
    if isinstance(node, MenuNode):
        return "1"
    assert isinstance(node, InputNode)
    configured = [*getattr(node.validator, "options", ()), str(getattr(node.validator, "min", None))]  # choice, integer
    accepted = [good for good in (*GOOD_ANSWERS, *configured) if node.validator(good).ok]
    assert accepted, f"{node.id}: no answer passes its validator; add one to GOOD_ANSWERS"
    return accepted[0]


def check_breaks(full: str, bodies: list[str], surface: Surface, lang: str, nav: list[Choice]) -> None:
    """Each page's text ends at a line end or a sentence end, unless that sentence is longer than a page."""
    more = Choice("98", pick(phrases.MORE, lang), nav=True)
    position = 0
    for body in bodies[:-1]:
        if not body:
            continue  # a page of options only
        position = full.index(body, position) + len(body)
        if position == len(full) or full[position] == "\n" or full[position - 1] in SENTENCE_END:
            continue
        start = max(full.rfind("\n", 0, position), *(full.rfind(f"{end} ", 0, position) for end in SENTENCE_END)) + 1
        ends = [i for i in (full.find("\n", position), *(full.find(f"{end} ", position) for end in SENTENCE_END)) if i >= 0]
        sentence = full[start:min(ends, default=len(full))].strip()
        assert not surface.fits(compose(sentence, [more, *nav], lang)), f"a page ends mid-sentence: {body!r}"


@pytest.mark.parametrize("surface_name", SURFACES)
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("ref", sorted(screens()))
async def test_error_screen_pages_through_98_whole_then_a_valid_answer_moves_on(ref: str, lang: str, surface_name: str) -> None:
    surface, node = SURFACES[surface_name], FLOWS.resolve(ref)
    engine = Engine(FLOWS, base_actions(), languages=LANGUAGES)
    channel = "ussd" if surface_name == "ussd" else "sms"
    session = engine.new_session(channel, "tel:+989121234567", lang=lang)
    session.node, session.stack = ref, ([] if ref == FLOWS.home else [FLOWS.home])
    bad, notice = longest_error(node, lang)

    pages = [await engine.handle(session, bad, surface)]
    while pages[-1].page + 1 < pages[-1].pages:
        assert engine.current(session, surface) == pages[-1]  # a provider's retry of the hop
        pages.append(await engine.handle(session, "98", surface))
    assert engine.current(session, surface) == pages[-1]
    assert session.node == ref and [p.page for p in pages] == list(range(pages[0].pages))

    for page in pages:
        assert surface.fits(compose_reply(page)), f"over the page:\n{compose_reply(page)}"
        assert [c.key for c in page.navigation if c.key == "98"] == (["98"] if page is not pages[-1] else [])
    full = f"{notice}\n{render(node.text, lang, session.vars)}"
    assert " ".join(p.body for p in pages).split() == full.split(), "a word was cut or lost"
    options = [c for p in pages for c in p.options]
    if isinstance(node, MenuNode):
        assert options == [Choice(str(i), render(o.label, lang, session.vars)) for i, o in enumerate(node.options, 1)]
    check_breaks(full, [p.body for p in pages], surface, lang, list(pages[-1].navigation))

    for page in reversed(pages[:-1]):
        assert await engine.handle(session, "0", surface) == page
    answer = good_answer(node)
    reply = await engine.handle(session, answer, surface)
    assert session.node != ref or session.ended, f"{ref}: {answer!r} did not move on"
    assert not reply.body.startswith(notice)
    if isinstance(node, InputNode):
        assert session.vars[node.var]


async def test_persian_national_code_error_breaks_at_its_clause_and_98_shows_the_rest() -> None:
    surface = SURFACES["ussd"]
    engine = Engine(FLOWS, base_actions(), languages=LANGUAGES)
    session = engine.new_session("ussd", "tel:+989121234567", lang="fa")
    for choice in ("1", "1", "1", "1", "1"):  # services, civil registry, smart ID card, first issue, apply
        await engine.handle(session, choice, surface)
    assert session.node == "services:req_121095100_0"
    first = await engine.handle(session, "1234567890", surface)
    second = await engine.handle(session, "98", surface)
    assert [compose_reply(first), compose_reply(second)] == [
        "این کد ملی معتبر نیست؛\n۹۸. بیشتر  ۰. بازگشت  ۰۰. خانه",
        "لطفاً آن را بررسی کنید.\nکد ملی ۱۰ رقمی را وارد کنید:\n۰. بازگشت  ۰۰. خانه",
    ]
    assert (await engine.handle(session, "0", surface)) == first
    reply = await engine.handle(session, "0499370899", surface)
    assert session.vars["national_code"] == "0499370899" and reply.body.startswith("تاریخ تولد")
