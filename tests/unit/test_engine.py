"""The engine on small inline flows: navigation, paging, validation, actions."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from clock import ManualClock

from flows.engine import ActionCall, ActionResult, Engine
from flows.errors import FlowError
from flows.loader import parse_flow
from flows.model import FlowSet
from flows.paging import Surface, compose_reply
from flows.session import Session

UNLIMITED = Surface("test")
TINY = Surface("tiny", lambda page: len(page) <= 40)


def t(text: str) -> dict[str, str]:
    return {"fa": text, "en": text}


FLOW = {
    "flow": "main",
    "start": "language",
    "nodes": {
        "language": {"type": "menu", "text": t("Language"), "options": [
            {"label": t("Farsi"), "set": {"lang": "fa"}, "goto": "home"},
            {"label": t("English"), "set": {"lang": "en"}, "goto": "home"},
        ]},
        "home": {"type": "menu", "text": {"fa": "خانه", "en": "Home"}, "options": [
            {"label": t("Ask code"), "goto": "ask"},
            {"label": t("Long menu"), "goto": "long"},
            {"label": t("Lookup"), "goto": "lookup"},
            {"label": t("Branch"), "goto": "branch"},
        ]},
        "ask": {"type": "input", "text": t("National code?"), "validator": "national_code", "var": "nc", "next": "thanks"},
        "thanks": {"type": "message", "text": t("Thanks {nc}")},
        "long": {"type": "menu", "text": t("Pick"), "options": [{"label": t(f"Item {i}"), "goto": "thanks"} for i in range(1, 10)]},
        "lookup": {"type": "action", "action": "find", "args": {"q": "{nc}"}, "next": "found", "outcomes": {"missing": "nothing"}},
        "found": {"type": "message", "text": t("Found {result}")},
        "nothing": {"type": "message", "text": t("Nothing")},
        "branch": {"type": "switch", "var": "lang", "cases": {"en": "english"}, "default": "bye"},
        "english": {"type": "message", "text": t("You speak English")},
        "bye": {"type": "end", "text": t("Goodbye")},
    },
}


def engine(actions=None, **kwargs) -> Engine:  # type: ignore[no-untyped-def]
    errors: list[FlowError] = []
    flow = parse_flow(FLOW, "test.yaml", errors)
    assert not errors and flow is not None
    return Engine(FlowSet({"main": flow}, entry="main:language", home="main:home"), actions or {}, **kwargs)


async def start(e: Engine, lang: str | None = None) -> Session:
    session = e.new_session("ussd", "tel:+989120000000", lang=lang)
    await e.open(session, UNLIMITED)
    return session


async def test_new_citizen_starts_at_language_and_known_one_at_home() -> None:
    e = engine()
    assert (await start(e)).node == "main:language"
    assert (await start(e, lang="en")).node == "main:home"


async def test_choosing_a_language_shows_home_in_it_with_persian_digits() -> None:
    e = engine()
    session = await start(e)
    reply = await e.handle(session, "1", UNLIMITED)
    assert session.lang == "fa" and session.lang_chosen
    assert reply.body == "خانه"
    assert [c.key for c in reply.options] == ["1", "2", "3", "4"]


async def test_back_returns_to_previous_screen_and_home_clears_history() -> None:
    e = engine()
    session = await start(e, lang="en")
    await e.handle(session, "1", UNLIMITED)
    assert session.node == "main:ask"
    reply = await e.handle(session, "0", UNLIMITED)
    assert session.node == "main:home" and reply.body == "Home"
    await e.handle(session, "2", UNLIMITED)
    reply = await e.handle(session, "۰۰", UNLIMITED)  # Persian digits work for navigation too
    assert session.node == "main:home" and session.stack == []
    assert not reply.navigation


async def test_wrong_national_code_is_asked_again_then_accepted() -> None:
    e = engine()
    session = await start(e, lang="en")
    await e.handle(session, "1", UNLIMITED)
    reply = await e.handle(session, "1234567890", UNLIMITED)
    assert session.node == "main:ask"
    assert "National code?" in reply.body and reply.body.splitlines()[0] != "National code?"
    reply = await e.handle(session, "۰۴۹۹۳۷۰۸۹۹", UNLIMITED)
    assert reply.body == "Thanks 0499370899"


async def test_too_many_invalid_answers_end_politely() -> None:
    e = engine(max_retries=3)
    session = await start(e, lang="en")
    for _ in range(2):
        reply = await e.handle(session, "7", UNLIMITED)
        assert not reply.end
    reply = await e.handle(session, "7", UNLIMITED)
    assert reply.end and session.ended and "Too many" in reply.body


async def test_long_menu_is_paged_with_98_and_every_item_reachable() -> None:
    e = engine()
    session = await start(e, lang="en")
    reply = await e.handle(session, "2", TINY)
    seen = [c.key for c in reply.options]
    assert reply.pages > 1 and any(c.key == "98" for c in reply.navigation)
    while reply.page + 1 < reply.pages:
        reply = await e.handle(session, "98", TINY)
        seen += [c.key for c in reply.options]
    assert seen == [str(i) for i in range(1, 10)]
    back = await e.handle(session, "0", TINY)
    assert back.page == reply.page - 1
    chosen = await e.handle(session, "9", TINY)  # an option on another page can still be chosen
    assert chosen.body.startswith("Thanks")


async def test_action_result_sets_variables_and_outcome_branches() -> None:
    async def find(call: ActionCall) -> ActionResult:
        return ActionResult(vars={"result": f"#{call.args['q']}"}) if call.args["q"] else ActionResult("missing")

    e = engine({"find": find})
    session = await start(e, lang="en")
    assert (await e.handle(session, "3", UNLIMITED)).body == "Nothing"
    session.vars["nc"] = "42"
    await e.handle(session, "00", UNLIMITED)
    assert (await e.handle(session, "3", UNLIMITED)).body == "Found #42"


async def test_failing_or_slow_action_ends_with_an_apology_not_a_crash() -> None:
    async def broken(call: ActionCall) -> ActionResult:
        raise RuntimeError("database on fire")

    async def slow(call: ActionCall) -> ActionResult:
        await asyncio.sleep(5)
        return ActionResult()

    for action in (broken, slow):
        e = engine({"find": action}, action_timeout=0.05)
        session = await start(e, lang="en")
        reply = await e.handle(session, "3", UNLIMITED)
        assert reply.end and "unavailable" in reply.body


async def test_switch_branches_on_language_and_end_node_closes() -> None:
    e = engine()
    english = await start(e, lang="en")
    assert (await e.handle(english, "4", UNLIMITED)).body == "You speak English"
    farsi = await start(e, lang="fa")
    reply = await e.handle(farsi, "4", UNLIMITED)
    assert reply.end and farsi.ended


async def test_session_survives_a_round_trip_through_a_dict() -> None:
    e = engine()
    session = await start(e, lang="en")
    await e.handle(session, "1", UNLIMITED)
    restored = Session.from_dict(session.to_dict())
    reply = await e.handle(restored, "0499370899", UNLIMITED)
    assert reply.body == "Thanks 0499370899"


@pytest.mark.parametrize("text", ["", "   ", "abc", "99", "-1", "1.5", "١٢٣٤٥"])
async def test_junk_on_a_menu_is_an_invalid_choice(text: str) -> None:
    e = engine()
    session = await start(e, lang="en")
    reply = await e.handle(session, text, UNLIMITED)
    assert session.node == "main:home" and reply.body.startswith("Invalid choice")


RECEIPT = {"flow": "main", "start": "name", "nodes": {
    "name": {"type": "input", "text": t("Name?"), "validator": "text", "var": "name", "next": "receipt"},
    "receipt": {"type": "end", "text": t("Received, {name}. Tracking code 12345678901, due in ten working days.")},
}}


async def test_an_end_text_too_long_for_the_page_is_paged_and_ends_on_its_last_page() -> None:
    errors: list[FlowError] = []
    flow = parse_flow(RECEIPT, "receipt.yaml", errors)
    assert not errors and flow is not None
    e = Engine(FlowSet({"main": flow}, entry="main:name", home="main:name"), {})
    session = e.new_session("ussd", "tel:+989120000000", lang="en")
    await e.open(session, TINY)
    pages = [await e.handle(session, "Fatemeh Hosseini-Khorasani", TINY)]
    assert not pages[0].end and [c.key for c in pages[0].choices] == ["98"]  # no way back past a receipt
    assert not (await e.handle(session, "0", TINY)).end and session.page == 0 and session.node == "main:receipt"
    while not pages[-1].end:
        pages.append(await e.handle(session, "98", TINY))
    assert session.ended and len(pages) > 2
    assert all(TINY.fits(compose_reply(p)) for p in pages)  # type: ignore[misc]
    said = " ".join(p.body for p in pages)
    assert said == "Received, Fatemeh Hosseini-Khorasani. Tracking code 12345678901, due in ten working days."


async def test_a_session_is_stamped_by_the_engines_clock() -> None:
    clock = ManualClock(1_000.0)
    e = engine(clock=clock)
    session = await start(e, "en")
    assert session.started_at == session.updated_at == 1_000.0
    clock.advance(90)
    await e.handle(session, "1", UNLIMITED)
    assert (session.started_at, session.updated_at) == (1_000.0, 1_090.0)  # what a resume window is measured from


async def test_a_screen_without_variables_is_drawn_once_and_each_citizens_own_screen_stays_theirs() -> None:
    """Citizens on a screen that takes no variable get the very same reply (drawn once, not per hop);
    what differs between them still shows: their language, a notice, back and home, and variables."""
    e = engine()
    first, second = await start(e, lang="en"), await start(e, lang="en")
    assert e.current(first, UNLIMITED) is e.current(second, UNLIMITED)
    assert e.current(first, UNLIMITED).body == "Home" and not e.current(first, UNLIMITED).navigation
    persian = await start(e, lang="fa")
    assert e.current(persian, UNLIMITED).body == "خانه"
    wrong = await e.handle(second, "7", UNLIMITED)  # a notice above the same screen
    assert wrong.body.endswith("\nHome") and wrong.body != "Home"
    assert e.current(first, UNLIMITED).body == "Home"
    asked = await e.handle(first, "1", UNLIMITED)  # a screen below home: back and home offered
    assert [c.key for c in asked.navigation] == ["0", "00"]
    for session, code in ((first, "0499370899"), (second, "0013542419")):
        if session.node != "main:ask":
            await e.handle(session, "1", UNLIMITED)
        assert (await e.handle(session, code, UNLIMITED)).body == f"Thanks {code}"
    assert e.current(first, UNLIMITED).body == "Thanks 0499370899"  # a variable's screen is each citizen's own
    assert e.current(second, UNLIMITED).body == "Thanks 0013542419"
    assert compose_reply(e.current(first, UNLIMITED)).startswith("Thanks 0499370899")


def test_a_stored_session_with_keys_this_version_does_not_know_still_loads() -> None:
    """What a channel keeps beside the session and a newer version's keys are left out, never an error."""
    session = Session("ussd", "tel:+989120000000", "en", "main:home", {"nc": "0499370899"}, ["main:language"], phone="+989120000000")
    data = session.to_dict()
    assert Session.from_dict({**data, "extra": {"last_text": "1"}, "added_later": 1}) == session
    assert list(data) == [*Session.__dataclass_fields__, "v"]


def test_a_session_stored_by_an_older_version_takes_the_defaults_of_what_it_lacks() -> None:
    """`from_dict` sets a complete session's fields directly; one written before `seen`, `version`
    and `notice` existed still loads, with their defaults, and a stored one without a required
    field is refused as before."""
    session = Session("ussd", "tel:+989120000000", "en", "main:home", {"nc": "0499370899"}, ["main:language"], seen="main:home", version=3)
    data = session.to_dict()
    loaded = Session.from_dict(data)
    assert loaded == session and vars(loaded) == vars(session) and loaded.vars is data["vars"]
    older = {key: value for key, value in data.items() if key not in ("seen", "version", "notice")}
    assert Session.from_dict(older) == dataclasses.replace(session, seen="", version=0)
    with pytest.raises(TypeError):
        Session.from_dict({key: value for key, value in data.items() if key != "node"})
