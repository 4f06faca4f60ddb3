"""One node's screen as each channel shows it, with no citizen: USSD pages, SMS replies, bot messages.

The pages come from the engine itself (`Engine.preview`) and go through each channel's own renderer,
so a preview is what a citizen would see, counted against the limit that applies: 182 GSM-7 or 80
UCS-2 characters a USSD page (with its `CON `), `sms.max_segments` segments an SMS, 4096 characters a
bot message. A `{variable}` is shown as written, so an operator sees where a value goes (and the
counters count the placeholder, not a real value). Actions and switches show nothing: they are
described instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup

from channels.inbound import Inbound
from channels.sms.surface import render_sms
from channels.telegram.callback import new_menu_token
from channels.telegram.reply import render_reply
from channels.telegram.text import TELEGRAM_LIMIT, utf16_len
from flows.engine import Engine
from flows.graph import reachable
from flows.gsm7 import sms_encoding, ussd_budget_used
from flows.model import ActionNode, FlowSet, MenuNode, Node, SwitchNode, qualify
from flows.paging import Surface
from flows.reply import Reply
from flows.texts import pick, variables_in
from gateway.catalogue.model import CITIZEN_CHANNELS
from gateway.settings import Settings
from gateway.telegram.texts import MAIN_MENU
from gateway.views import USSD_DIALECT, channel_view

CHANNELS = CITIZEN_CHANNELS
"""The channels a preview draws: the ones Pishkhan serves citizens on."""

_INBOUND = Inbound(channel="ussd", address="preview", text="", provider="preview")
"""What a USSD dialect is handed to render a page; the page itself does not depend on it."""


@dataclass(frozen=True)
class Counter:
    """How much of its channel's limit a page uses: `used` of `limit` `unit`."""

    used: int
    limit: int
    unit: str
    detail: str = ""
    """What the count depends on (an SMS's coding and length)."""

    @property
    def over(self) -> bool:
        """More than the channel takes."""
        return self.used > self.limit

    def __str__(self) -> str:
        return f"{self.used}/{self.limit} {self.unit}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class PagePreview:
    """One page (USSD, SMS) or message (bot) of a screen: its text, its buttons (bots) and its counter."""

    text: str
    counter: Counter
    buttons: tuple[tuple[str, ...], ...] = ()
    """A bot's inline keyboard, row by row (navigation last); empty on text channels."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        counter = self.counter
        return {"text": self.text, "buttons": [list(row) for row in self.buttons], "used": counter.used,
                "limit": counter.limit, "unit": counter.unit, "detail": counter.detail}


@dataclass(frozen=True)
class ChannelPreview:
    """A node as one channel shows it in one language: its pages, or what it does if it shows nothing."""

    ref: str
    channel: str
    lang: str
    pages: tuple[PagePreview, ...]
    note: str = ""
    """For an action or a switch (no pages): what it does."""

    def lines(self) -> list[str]:
        """The pages as text, each under a header with its counter (`page 1/2 · 67/80 characters`)."""
        if not self.pages:
            return [f"(shows nothing) {self.note}"]
        word = "message" if self.channel == "telegram" else "page"
        out: list[str] = []
        for number, page in enumerate(self.pages, 1):
            out.append(f"{word} {number}/{len(self.pages)} · {page.counter}")
            out.extend(page.text.split("\n"))
            out.extend("  ".join(f"[{label}]" for label in row) for row in page.buttons)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"ref": self.ref, "channel": self.channel, "lang": self.lang,
                "pages": [p.to_dict() for p in self.pages], "note": self.note}


def describe(node: Node) -> str:
    """What a node that shows nothing does, in one line; "" for a node with a screen."""
    if isinstance(node, ActionNode):
        args = ", ".join(f"{k}={v}" for k, v in node.args.items())
        outcomes = "".join(f"; {outcome} → {target}" for outcome, target in node.outcomes.items())
        return f"action `{node.action}`({args}): ok → {node.next}{outcomes}"
    if isinstance(node, SwitchNode):
        cases = "".join(f"{case} → {target}; " for case, target in node.cases.items())
        return f"switch on `{node.var}`: {cases}otherwise → {node.default}"
    return ""


def placeholders(node: Node, lang: str) -> dict[str, str]:
    """Each `{variable}` the node's screen uses, standing for itself so that it shows as written."""
    texts = [pick(node.text, lang)] if hasattr(node, "text") else []
    if isinstance(node, MenuNode):
        texts.extend(pick(option.label, lang) for option in node.options)
    return {name: f"{{{name}}}" for text in texts for name in variables_in(text)}


class Previewer:
    """Draws the nodes of one set of flows on every channel, with the deployment's page limits."""

    def __init__(self, source: Engine | FlowSet, settings: Settings) -> None:
        self.engine = source if isinstance(source, Engine) else Engine(source, {}, languages=tuple(settings.flows.languages))
        self.settings = settings
        self.surfaces: dict[str, Surface] = {channel: channel_view(channel, settings).surface for channel in CHANNELS}
        self._reachable: dict[str, frozenset[str]] = {}

    @property
    def flows(self) -> FlowSet:
        """The flows previewed."""
        return self.engine.flows

    def channels_reaching(self, ref: str) -> tuple[str, ...]:
        """The channels on which a citizen can get to the node `ref`."""
        for channel in CHANNELS:
            if channel not in self._reachable:
                self._reachable[channel] = reachable(self.flows, channel)
        return tuple(channel for channel in CHANNELS if ref in self._reachable[channel])

    def node(self, ref: str, lang: str, channel: str) -> ChannelPreview:
        """`ref`'s screen on `channel` in `lang`; KeyError when there is no such node, ValueError for a
        channel Pishkhan does not serve."""
        if channel not in self.surfaces:
            raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
        node = self.flows.resolve(ref)
        replies = self.engine.preview(ref, lang, self.surfaces[channel], placeholders(node, lang))
        pages = tuple(page for reply in replies for page in self._draw(channel, reply))
        return ChannelPreview(qualify(node.flow, node.id), channel, lang, pages, describe(node))

    def _draw(self, channel: str, reply: Reply) -> Sequence[PagePreview]:
        if channel == "ussd":
            text = USSD_DIALECT.render(reply, _INBOUND).body
            used, limit = ussd_budget_used(text, *self.settings.ussd.limits(None))
            return [PagePreview(text, Counter(used, limit, "characters"))]
        if channel == "sms":
            text = render_sms(reply)
            encoding = sms_encoding(text)
            detail = f"{encoding.coding}, {encoding.units} units"
            return [PagePreview(text, Counter(encoding.segments, self.settings.sms.max_segments, "segments", detail))]
        messages = render_reply(reply, new_menu_token(), pick(MAIN_MENU, reply.lang))
        return [PagePreview(m.text, Counter(utf16_len(m.text), TELEGRAM_LIMIT, "characters"), _buttons(m.markup)) for m in messages]


def _buttons(markup: object) -> tuple[tuple[str, ...], ...]:
    if not isinstance(markup, InlineKeyboardMarkup):
        return ()
    return tuple(tuple(button.text for button in row) for row in markup.inline_keyboard)


def node_pages(source: Engine | FlowSet, ref: str, lang: str, channel: str, settings: Settings) -> ChannelPreview:
    """One node's screen on one channel in one language (see `Previewer` to draw many)."""
    return Previewer(source, settings).node(ref, lang, channel)
