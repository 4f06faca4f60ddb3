"""The conversation engine: feeds a citizen's input to the current node and answers with a screen.

Pure: it never touches the network or a database itself. The gateway hands it the flows, the
actions it may call and the channel's surface; the caller loads and saves the session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flows import phrases
from flows.clock import SYSTEM_CLOCK, Clock
from flows.model import (
    ActionNode,
    EndNode,
    FlowSet,
    InputNode,
    MenuNode,
    MessageNode,
    Node,
    SwitchNode,
    qualify,
)
from flows.normalise import normalise_input
from flows.paging import Page, Surface, paginate
from flows.reply import Choice, Reply
from flows.session import Session
from flows.texts import LocalisedText, pick, render, value_text

log = logging.getLogger(__name__)

PAGE_CACHE_SIZE = 4096
"""Paged screens kept: most screens are the same for everyone, and paging is the costly part of a hop."""

MAX_AUTOMATIC_STEPS = 32
"""Actions and switches chained without a screen; more means a loop in the flow."""


@dataclass(frozen=True)
class ActionCall:
    """What an action is given: its rendered arguments and who is asking."""

    name: str
    args: Mapping[str, str]
    channel: str
    address: str
    phone: str | None
    lang: str
    vars: Mapping[str, Any]


@dataclass(frozen=True)
class ActionResult:
    """An action's outcome (`ok` follows `next`) and the variables it sets."""

    outcome: str = "ok"
    vars: Mapping[str, Any] = field(default_factory=dict)


Action = Callable[[ActionCall], Awaitable[ActionResult]]


class Engine:
    """Runs flows; one instance serves every channel and every citizen."""

    def __init__(
        self,
        flows: FlowSet,
        actions: Mapping[str, Action],
        *,
        languages: tuple[str, ...] = ("fa", "en"),
        max_retries: int = 3,
        action_timeout: float = 3.0,
        clock: Clock = SYSTEM_CLOCK,
        version: int = 0,
    ) -> None:
        self.flows = flows
        self.version = version
        """The content version these flows are; sessions remember it."""
        self._renames = flows.renamed()
        self.actions = dict(actions)
        self.languages = languages
        self.max_retries = max_retries
        self.action_timeout = action_timeout
        self.clock = clock
        self._page_cache: dict[tuple[object, ...], list[Page]] = {}
        self._screens: dict[tuple[object, ...], _Screen] = {}
        """Screens whose texts take no variable, found without drawing them (see `_drawn`)."""

    def new_session(
        self,
        channel: str,
        address: str,
        *,
        lang: str | None = None,
        phone: str | None = None,
        entry: str | None = None,
    ) -> Session:
        """A fresh session: a citizen whose language is known skips the language menu. An `entry` the
        settings name (a short number's) follows renames, so renaming its node needs no settings change."""
        start = entry or (self.flows.home if lang else self.flows.entry)
        start = self._renamed(start) or start
        now = self.clock()
        return Session(
            channel=channel,
            address=address,
            lang=lang or self.languages[0],
            node=qualify(start.partition(":")[0], self._start_of(start)),
            phone=phone,
            lang_chosen=lang is not None,
            started_at=now,
            updated_at=now,
            version=self.version,
        )

    def _start_of(self, ref: str) -> str:
        flow_id, _, node_id = ref.partition(":")
        return node_id or self.flows.flows[flow_id].start

    async def open(self, session: Session, surface: Surface) -> Reply:
        """The first screen of a session (runs any actions the start node leads through)."""
        return await self._enter(session, surface)

    def current(self, session: Session, surface: Surface) -> Reply:
        """The page the session is on, exactly as last shown (a provider's retry of the same hop);
        for an ended session, its last words."""
        if session.ended and session.notice is not None:
            return self._finish(session, session.notice)
        self._relocate(session)
        return self._show(session, self.flows.resolve(session.node), surface)

    def preview(self, ref: str, lang: str, surface: Surface, variables: Mapping[str, Any] | None = None) -> list[Reply]:
        """Every page of a node's screen as a citizen reaching it through the menus sees it (no
        navigation on the entry and home menus, back and home elsewhere), for operators' previews:
        drawn by the same code as a live hop, with no session kept. An action or switch has no page."""
        node = self.flows.resolve(ref)
        if isinstance(node, (ActionNode, SwitchNode)):
            return []
        root = any(node is self.flows.find(r) for r in (self.flows.entry, self.flows.home))
        session = Session(surface.name, "preview", lang, qualify(node.flow, node.id), dict(variables or {}),
                          stack=[] if root else [self.flows.home])
        replies = []
        for page in range(len(self._pages(session, node, surface))):
            session.page = page
            replies.append(self._show(session, node, surface))
        return replies

    async def handle(self, session: Session, raw: str, surface: Surface) -> Reply:
        """Feed one input to the session's current node; the session is updated in place."""
        text = normalise_input(raw)
        session.updated_at = self.clock()
        if self._relocate(session):  # the input was meant for a screen that is gone: show where they are now
            return self._show(session, self.flows.resolve(session.node), surface)
        node = self.flows.resolve(session.node)
        if text == "98" and session.page + 1 < len(self._pages(session, node, surface)):
            session.page += 1
            return self._show(session, node, surface)
        if text == "0" and session.page > 0:
            session.page -= 1
            return self._show(session, node, surface)
        # Anything but paging answers the screen: its notice has been read. Cleared here rather than
        # when drawn, so the screen 98, 0 and a provider's retry rebuild is the one the citizen saw.
        session.notice = None
        if text == "00":
            return await self._go(session, self.flows.home, surface)
        if text == "0":
            return self._back(session, surface)
        if text == "98":  # reserved for paging on every node, so a question never takes it as an answer
            return self._invalid(session, node, surface, phrases.INVALID_CHOICE)
        if isinstance(node, MenuNode):
            target = self._chosen(session, node, text)
            if target is None:
                return self._invalid(session, node, surface, phrases.INVALID_CHOICE)
            return await self._go(session, target, surface)
        if isinstance(node, InputNode):
            result = node.validator(text)
            if not result.ok:
                return self._invalid(session, node, surface, node.error or result.error or phrases.INVALID_CHOICE)
            session.vars[node.var] = result.value
            return await self._go(session, qualify(node.flow, node.next), surface)
        if isinstance(node, MessageNode) and node.next and text == "1":
            return await self._go(session, qualify(node.flow, node.next), surface)
        return self._invalid(session, node, surface, phrases.INVALID_CHOICE)

    def _chosen(self, session: Session, node: MenuNode, text: str) -> str | None:
        """Where the option `text` names leads, its `set` applied to the session; None for no such
        option. Not a coroutine: a menu choice is most hops, and each coroutine layer costs one."""
        index = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else 0
        if not 1 <= index <= len(node.options):
            return None
        option = node.options[index - 1]
        for name, value in option.set.items():
            if name == "lang" and value in self.languages:
                session.lang = value
                session.lang_chosen = True
            else:
                session.vars[name] = value
        return qualify(node.flow, option.goto)

    def _back(self, session: Session, surface: Surface) -> Reply:
        if session.stack and not isinstance(self.flows.resolve(session.node), EndNode):  # a receipt is not undone
            session.node = self._surviving(session.stack)
            session.page = 0
            session.retries = 0
        return self._show(session, self.flows.resolve(session.node), surface)

    def _surviving(self, stack: list[str]) -> str:
        """Pop `stack` to the nearest screen that still exists (an edit may have removed some); home if none."""
        while stack:
            previous = stack.pop()
            if self.flows.find(previous) is not None:
                return previous
        return self.flows.home

    def _relocate(self, session: Session) -> bool:
        """Bring a session shown by another content version onto this one: a renamed node is followed
        quietly; a removed one moves the citizen to the nearest surviving screen they came through,
        else home, with a notice. Whether the citizen was moved (their input was meant for a screen
        that is gone)."""
        if session.version == self.version:
            return False
        session.version = self.version
        session.stack[:] = [self._renamed(ref) or ref for ref in session.stack]
        renamed = self._renamed(session.node)
        if renamed is not None:
            session.node = renamed
        if self.flows.find(session.node) is not None:
            return False
        log.warning("session on %s, which no longer exists: moved to a surviving screen", session.node)
        session.node = self._surviving(session.stack)
        if session.node == self.flows.home:
            session.stack.clear()
        session.page, session.retries = 0, 0
        session.notice = pick(phrases.MOVED, session.lang)
        return True

    def _renamed(self, ref: str) -> str | None:
        """Where a node renamed (once or several times over) now is; None when `ref` was not renamed."""
        found = None
        for _ in range(len(self._renames)):  # a chain a→b→c; bounded, as a typo could make a cycle
            if ref not in self._renames or self.flows.find(ref) is not None:
                break
            found = ref = self._renames[ref]
        return found

    async def _go(self, session: Session, target: str, surface: Surface) -> Reply:
        if target == self.flows.home:
            session.stack.clear()  # home is a root: nothing to go back to from there
        else:
            session.stack.append(session.node)
        session.node = target
        session.page = 0
        session.retries = 0
        node = self.flows.resolve(target)
        if not isinstance(node, (ActionNode, SwitchNode)):  # most moves land on a screen: no further coroutine
            return self._show(session, node, surface)
        return await self._enter(session, surface)

    async def _enter(self, session: Session, surface: Surface) -> Reply:
        """Run actions and switches until a node that shows something."""
        for _ in range(MAX_AUTOMATIC_STEPS):
            node = self.flows.resolve(session.node)
            if isinstance(node, ActionNode):
                target = await self._run_action(session, node)
                if target is None:
                    return self._finish(session, pick(phrases.UNAVAILABLE, session.lang))
                session.node = target
            elif isinstance(node, SwitchNode):
                # `lang` and `channel` are the session's own, so a flow can differ per language or channel.
                own = {"lang": session.lang, "channel": session.channel}
                value = own[node.var] if node.var in own else value_text(session.vars.get(node.var), session.lang)
                session.node = qualify(node.flow, node.cases.get(value, node.default))
            else:
                return self._show(session, node, surface)
        log.error("flow loops through actions without a screen at %s", session.node)
        return self._finish(session, pick(phrases.UNAVAILABLE, session.lang))

    async def _run_action(self, session: Session, node: ActionNode) -> str | None:
        """Call the action; the node it leads to, or None when nothing handles the outcome."""
        action = self.actions.get(node.action)
        call = ActionCall(
            name=node.action,
            args={k: render({"_": v}, session.lang, session.vars) for k, v in node.args.items()},
            channel=session.channel,
            address=session.address,
            phone=session.phone,
            lang=session.lang,
            vars=dict(session.vars),
        )
        try:
            if action is None:
                raise LookupError(f"no action named {node.action!r}")
            result = await asyncio.wait_for(action(call), self.action_timeout)
        except TimeoutError:
            log.warning("action %s timed out after %.1fs", node.action, self.action_timeout)
            result = ActionResult(outcome="timeout")
        except Exception:  # an action's failure must end in a polite screen, never a crash
            log.exception("action %s failed", node.action)
            result = ActionResult(outcome="error")
        session.vars.update(result.vars)
        if result.outcome == "ok":
            return qualify(node.flow, node.next)
        target = node.outcomes.get(result.outcome) or node.outcomes.get("error")
        return qualify(node.flow, target) if target else None

    def _finish(self, session: Session, text: str) -> Reply:
        session.ended = True
        session.notice = text  # kept so that a provider's retry of this hop gets the same last words
        return Reply(body=text, expects_input=False, end=True, lang=session.lang)

    def _invalid(self, session: Session, node: Node, surface: Surface, error: LocalisedText) -> Reply:
        session.retries += 1
        if session.retries >= self.max_retries:
            return self._finish(session, pick(phrases.TOO_MANY_TRIES, session.lang))
        session.notice = pick(error, session.lang)
        session.page = 0
        return self._show(session, node, surface)

    def _screen(self, session: Session, node: Node) -> tuple[str, list[Choice], list[Choice]]:
        """Body, options and navigation of a node before paging."""
        lang, variables = session.lang, session.vars
        body = render(node.text, lang, variables) if hasattr(node, "text") else ""
        if session.notice:
            body = f"{session.notice}\n{body}"
        if isinstance(node, EndNode):
            return body, [], []  # only "more" while it takes several pages
        options: list[Choice] = []
        if isinstance(node, MenuNode):
            options = [Choice(str(i), render(o.label, lang, variables)) for i, o in enumerate(node.options, 1)]
        elif isinstance(node, MessageNode) and node.next:
            options = [Choice("1", pick(phrases.CONTINUE, lang))]
        nav: list[Choice] = []
        if session.stack:
            nav.append(Choice("0", pick(phrases.BACK, lang), nav=True))
            if session.node != self.flows.home:
                nav.append(Choice("00", pick(phrases.HOME, lang), nav=True))
        return body, options, nav

    def _pages(self, session: Session, node: Node, surface: Surface) -> list[Page]:
        return self._drawn(session, node, surface).pages

    def _drawn(self, session: Session, node: Node, surface: Surface) -> _Screen:
        """The screen's pages and their replies. Most screens take no variable, so everything that
        decides them is known without drawing them: the node, the surface, the language, a notice,
        and whether back and home are offered. Those are found by that, by identity (hashing the
        node or the surface would cost more than the look-up saves; the entry keeps both, so an id
        is not reused while it is there); the others are drawn and then found by their content."""
        quick = (id(node), id(surface), session.lang, session.notice, bool(session.stack), session.node == self.flows.home)
        screen = self._screens.get(quick)
        if screen is not None and screen.node is node and screen.surface is surface:
            return screen
        body, options, nav = self._screen(session, node)
        key = (surface, session.lang, body, tuple(options), tuple(nav))
        pages = self._page_cache.get(key)
        if pages is None:
            more = Choice("98", pick(phrases.MORE, session.lang), nav=True)
            pages = paginate(body, options, nav, more, session.lang, surface.fits)
            if len(self._page_cache) >= PAGE_CACHE_SIZE:
                self._page_cache.clear()
            self._page_cache[key] = pages
        screen = _Screen(node, surface, pages, session.lang)
        if _takes_no_variable(node, session.lang):
            if len(self._screens) >= PAGE_CACHE_SIZE:
                self._screens.clear()
            self._screens[quick] = screen
        return screen

    def _show(self, session: Session, node: Node, surface: Surface) -> Reply:
        """The session's page of `node`. An end text longer than a page (its variables filled in)
        is paged like any screen and the session ends on its last page, so a receipt is never cut."""
        screen = self._drawn(session, node, surface)
        session.page = min(session.page, len(screen.pages) - 1)
        if isinstance(node, EndNode) and session.page == len(screen.pages) - 1:
            return self._finish(session, screen.pages[-1].body)
        return screen.replies[session.page]


class _Screen:
    """A screen drawn for one surface and language: its pages, and the reply showing each (a reply
    is immutable, so one object serves every citizen on that page)."""

    __slots__ = ("node", "surface", "pages", "replies")

    def __init__(self, node: Node, surface: Surface, pages: list[Page], lang: str) -> None:
        self.node = node
        self.surface = surface
        self.pages = pages
        self.replies = [Reply(body=p.body, choices=p.choices, lang=lang, page=i, pages=len(pages)) for i, p in enumerate(pages)]


def _takes_no_variable(node: Node, lang: str) -> bool:
    """Whether the node's screen in `lang` is the same whatever the session's variables are."""
    text: LocalisedText | None = getattr(node, "text", None)  # as `Engine._screen` reads it
    texts = [] if text is None else [text]
    if isinstance(node, MenuNode):
        texts.extend(o.label for o in node.options)
    return not any("{" in pick(t, lang) for t in texts)
