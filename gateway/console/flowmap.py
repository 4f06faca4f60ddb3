"""A flow set drawn as a map: one SVG document, laid out here in Python, for the console's flow pages.

No graphviz: a layered drawing of a few hundred nodes needs no external binary, and a server that
must not depend on one. Each flow is laid out on its own, left to right (right to left in Persian):
a node's column is its shortest distance from the flow's start, so every forward link joins
neighbouring columns; nodes in a column are ordered by the barycenter of their neighbours (a few
sweeps) and then placed as close to their neighbours as the column allows (least squares under
"no overlap", by pool-adjacent-violators). A link into another flow ends at a small stub naming it
instead of crossing the map (a dashed stub with `?` where the node does not exist, as in a draft).
Links back to an earlier column or within one, and stubs leading home (the home or entry node), are
drawn light. Nodes no path reaches (a draft can have them) are drawn too, dashed and labelled.

The SVG is meant to be inlined in a page under a strict CSP: presentation is in attributes and
class names only (never a `style` attribute or element), every text is XML-escaped, and the same
input always gives the same bytes. Class names the console's stylesheet can use:

- `flowmap` (the <svg>), `flow` (one flow's <g>), `flow-title`;
- `node` with `node-menu`, `node-input`, `node-message`, `node-action`, `node-switch` or
  `node-end`, plus `node-start` (the flow's start), `node-unreachable` and `node-heat-on` (a heat
  value was given); inside a node: `node-box` (its bounding box, the link's hit area),
  `node-shape` (its outline: rectangle, parallelogram, document, process, hexagon or stadium by
  kind), `node-kind`, `node-id`, `node-text`, `node-heat`;
- `stub` (a link into another flow), `stub-home` (into the home or entry node), `stub-missing`
  (to a node that does not exist), with `stub-box` and `stub-text`;
- `edge` (a <g> of a path and its label) with `edge-light` (back, same-column and homeward links) and
  `edge-stub`; `edge-label`.

Nodes and stubs carry `data-ref` (the `flow:node` they show or lead to), edges `data-from` and
`data-to`, for a page's script (highlighting a path) and for tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import PurePath

from flows.graph import reachable
from flows.graphemes import fitting_prefix
from flows.model import ActionNode, EndNode, Flow, FlowSet, InputNode, MenuNode, MessageNode, Node, SwitchNode, qualify
from flows.normalise import to_persian_digits
from flows.texts import pick

LANGUAGES = ("fa", "en")
"""The console's languages; Persian is drawn right to left."""

NODE_W, NODE_H = 200.0, 60.0
STUB_W, STUB_H = 150.0, 26.0
COLUMN_GAP = 90.0  # room for the curves and their labels between columns
ROW_GAP = 14.0
MARGIN = 40.0  # a same-column link bows out this far before the first column
FLOW_TITLE_H = 30.0
FLOW_GAP = 36.0
PAD = 14.0  # text inset; clears the slanted and rounded outlines
TEXT_CHARS = 28  # about what fits in NODE_W at 11px; there are no font metrics on the server
ID_CHARS = 26
STUB_CHARS = 22

_KINDS: dict[type[Node], str] = {
    MenuNode: "menu",
    InputNode: "input",
    MessageNode: "message",
    ActionNode: "action",
    SwitchNode: "switch",
    EndNode: "end",
}
TEXTS: Mapping[str, Mapping[str, str]] = {
    "flowmap.menu": {"fa": "منو", "en": "menu"},
    "flowmap.input": {"fa": "پرسش", "en": "question"},
    "flowmap.message": {"fa": "پیام", "en": "message"},
    "flowmap.action": {"fa": "کنش", "en": "action"},
    "flowmap.switch": {"fa": "انشعاب", "en": "switch"},
    "flowmap.end": {"fa": "پایان", "en": "end"},
    "flowmap.start": {"fa": "آغاز", "en": "start"},
    "flowmap.unreachable": {"fa": "دست‌نیافتنی", "en": "unreachable"},
    "flowmap.default": {"fa": "پیش‌فرض", "en": "default"},
    "flowmap.title": {"fa": "نقشه جریان‌ها", "en": "Flow map"},
    "flowmap.missing": {"fa": "وجود ندارد", "en": "does not exist"},
}
"""The map's words, keyed like the console's page texts (gateway.console.i18n) so they can join them."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Code points XML 1.0 cannot carry even escaped; a stray one would make the whole map unparseable."""
_HEAT_RGB = (232, 89, 12)
_HEAT_MOST = 0.75  # the hottest tint stays light enough for black text


@dataclass
class _Item:
    """A box of the layout: a node, or a stub standing for a link's target outside the flow."""

    key: str  # the node's `flow:node`, or `source->target` for a stub
    layer: int
    node: Node | None = None
    start: bool = False
    target: str = ""  # a stub's `flow:node`
    home: bool = False  # a stub into the home or entry node
    missing: bool = False  # a stub to a node that does not exist
    width: float = NODE_W
    height: float = NODE_H
    x: float = 0.0
    y: float = 0.0

    @property
    def middle(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    label: str
    light: bool


@dataclass
class _Layout:
    """One flow laid out: its boxes by key, the links between them, and the keys column by column."""

    items: dict[str, _Item] = field(default_factory=dict)
    edges: list[_Edge] = field(default_factory=list)
    layers: list[list[str]] = field(default_factory=list)

    @property
    def width(self) -> float:
        return max((item.x + item.width for item in self.items.values()), default=0.0)

    @property
    def height(self) -> float:
        return max((item.y + item.height for item in self.items.values()), default=0.0)


def render_flowmap(flows: FlowSet, lang: str, link: Callable[[str], str], *, heat: Mapping[str, float] | None = None,
                   id_prefix: str = "flowmap") -> str:
    """The SVG drawing every flow of `flows`, texts in `lang`; `link(ref)` is the URL of the node
    `flow:node`'s page; `heat` (0..1 by `flow:node`) tints nodes and prints a percentage; `id_prefix`
    keeps element ids unique when one page inlines two maps. ValueError names a bad argument."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", id_prefix):
        raise ValueError(f"id_prefix must be a letter followed by letters, digits, `_` or `-`, not {id_prefix!r}")
    _check_heat(flows, heat or {})
    words = {key.removeprefix("flowmap."): text[lang] for key, text in TEXTS.items()}
    homes = {f"{node.flow}:{node.id}" for node in map(flows.find, (flows.entry, flows.home)) if node is not None}
    entry_flow = flows.entry.partition(":")[0]
    order = sorted(flows.flows.values(), key=lambda flow: (flow.id != entry_flow, flow.id))
    layouts = [_layout(flow, flows, homes, words["default"]) for flow in order]
    width = max((layout.width for layout in layouts), default=0.0) + 2 * MARGIN
    canvas = _Canvas(lang, words, width, link, heat or {}, reachable(flows), id_prefix)
    body = []
    top = MARGIN / 2
    for flow, layout in zip(order, layouts):
        body.append(canvas.flow(flow, layout, top))
        top += FLOW_TITLE_H + layout.height + FLOW_GAP
    height = top + MARGIN / 2 - (FLOW_GAP if layouts else 0)
    label = f"{words['title']}: {', '.join(flow.id for flow in order)}"
    size = f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}"'
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowmap" role="img" aria-label={_attr(label)} {size} '
        f'font-family="sans-serif"{canvas.direction}>',
        f"<title>{_text(label)}</title>",
        canvas.markers(),
        *body,
        "</svg>",
    ])


def _check_heat(flows: FlowSet, heat: Mapping[str, float]) -> None:
    """Every key a node's `flow:node` and every value a number from 0 to 1. A stale key is an error
    rather than a tint silently missing, so whoever computes heat keeps it in step with the flows."""
    for ref, value in heat.items():
        flow, _, node = ref.partition(":")
        if flow not in flows.flows or node not in flows.flows[flow].nodes:
            raise ValueError(f"heat: {ref!r} is not the `flow:node` of a node of these flows")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:  # NaN fails too
            raise ValueError(f"heat[{ref!r}] must be a number from 0 to 1, not {value!r}")


def _links(node: Node, default: str) -> Iterator[tuple[str, str]]:
    """(label, target as written) for each link out of `node`: a menu option's number, an outcome's or
    a case's name, `default` for a switch's default; a `next` needs no label."""
    if isinstance(node, MenuNode):
        yield from ((str(number), option.goto) for number, option in enumerate(node.options, 1))
    elif isinstance(node, (InputNode, ActionNode, MessageNode)) and node.next:
        yield "", node.next
    if isinstance(node, ActionNode):
        yield from node.outcomes.items()
    elif isinstance(node, SwitchNode):
        yield from node.cases.items()
        yield default, node.default


def _layers(flow: Flow) -> dict[str, int]:
    """Each node's shortest distance from the start by links inside the flow, so a forward link always
    joins neighbouring columns; nodes the start does not reach are laid out from themselves, in the
    order they are written."""
    layer: dict[str, int] = {}
    for root in [flow.start, *flow.nodes]:
        if root in layer or root not in flow.nodes:
            continue
        layer[root] = 0
        queue = [root]
        for node_id in queue:
            for _, target in _links(flow.nodes[node_id], ""):
                other, _, next_id = qualify(flow.id, target).partition(":")
                if other == flow.id and next_id in flow.nodes and next_id not in layer:
                    layer[next_id] = layer[node_id] + 1
                    queue.append(next_id)
    return layer


def _layout(flow: Flow, flows: FlowSet, homes: set[str], default: str) -> _Layout:
    """Columns, order within them and positions for one flow's nodes and stubs."""
    layout = _Layout()
    depth = _layers(flow)
    for node_id in sorted(depth, key=depth.__getitem__):  # stable: discovery order within a column
        ref = f"{flow.id}:{node_id}"
        layout.items[ref] = _Item(ref, depth[node_id], flow.nodes[node_id], start=node_id == flow.start)
    for node_id in depth:
        source = layout.items[f"{flow.id}:{node_id}"]
        for label, target in _links(flow.nodes[node_id], default):
            ref = qualify(flow.id, target)
            if ref in layout.items:
                layout.edges.append(_Edge(source.key, ref, label, layout.items[ref].layer <= source.layer))
                continue
            key = f"{source.key}->{ref}"
            if key not in layout.items:
                layout.items[key] = _Item(key, source.layer + 1, target=ref, home=ref in homes, missing=flows.find(ref) is None,
                                          width=STUB_W, height=STUB_H)
            layout.edges.append(_Edge(source.key, key, label, ref in homes))
    layout.layers = [[] for _ in range(1 + max((item.layer for item in layout.items.values()), default=0))]
    for item in layout.items.values():
        layout.layers[item.layer].append(item.key)
    before, after = _neighbours(layout, before=True), _neighbours(layout, before=False)
    _order(layout, before, after)
    _place(layout, before, after)
    return layout


def _neighbours(layout: _Layout, *, before: bool) -> dict[str, list[str]]:
    """For each item, the items it links with in the column before it (or after it)."""
    found: dict[str, list[str]] = {key: [] for key in layout.items}
    for edge in layout.edges:
        if layout.items[edge.target].layer == layout.items[edge.source].layer + 1:
            if before:
                found[edge.target].append(edge.source)
            else:
                found[edge.source].append(edge.target)
    return found


def _sweeps(layout: _Layout, before: dict[str, list[str]], after: dict[str, list[str]]) -> Iterator[tuple[int, int, dict[str, list[str]]]]:
    """(column, the column its neighbours are in, neighbours) from the second column to the last, then back."""
    count = len(layout.layers)
    yield from ((index, index - 1, before) for index in range(1, count))
    yield from ((index, index + 1, after) for index in range(count - 2, -1, -1))


def _order(layout: _Layout, before: dict[str, list[str]], after: dict[str, list[str]], rounds: int = 2) -> None:
    """Reorder each column by the mean position of its neighbours in the column before (then after),
    which removes most crossings; an item with no such neighbour keeps its place."""
    for _ in range(rounds):
        for index, other, neighbours in _sweeps(layout, before, after):
            rank = {key: position for position, key in enumerate(layout.layers[other])}
            column = layout.layers[index]
            centre = {key: _mean([rank[k] for k in neighbours[key]], position) for position, key in enumerate(column)}
            column.sort(key=centre.__getitem__)  # stable: ties keep their order


def _place(layout: _Layout, before: dict[str, list[str]], after: dict[str, list[str]]) -> None:
    """x by column; y as near the middle of the linked items in the column before (then after) as the
    column's order and gaps allow; then shifted so the highest item is at 0."""
    for index, column in enumerate(layout.layers):
        for key in column:
            layout.items[key].x = index * (NODE_W + COLUMN_GAP)
    y = 0.0
    for key in layout.layers[0]:
        layout.items[key].y, y = y, y + layout.items[key].height + ROW_GAP
    for index, _, neighbours in _sweeps(layout, before, after):
        items = [layout.items[key] for key in layout.layers[index]]
        wanted = [_mean([layout.items[k].middle for k in neighbours[item.key]], item.middle) - item.height / 2 for item in items]
        for item, top in zip(items, _spread(wanted, [item.height + ROW_GAP for item in items])):
            item.y = top
    highest = min((item.y for item in layout.items.values()), default=0.0)
    for item in layout.items.values():
        item.y -= highest


def _mean(values: Sequence[float], otherwise: float) -> float:
    return sum(values) / len(values) if values else otherwise


def _spread(wanted: Sequence[float], pitch: Sequence[float]) -> list[float]:
    """Tops as close to `wanted` (least squares) as keeping each at least `pitch` below the one before
    allows. Less the running pitch, the constraint is "non-decreasing", which pool-adjacent-violators
    solves exactly in one pass."""
    offsets = [0.0]
    for step in pitch[:-1]:
        offsets.append(offsets[-1] + step)
    means: list[float] = []
    counts: list[int] = []
    for value in (w - o for w, o in zip(wanted, offsets)):
        means.append(value)
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            mean, count = means.pop(), counts.pop()
            means[-1] = (means[-1] * counts[-1] + mean * count) / (counts[-1] + count)
            counts[-1] += count
    tops = [mean for mean, count in zip(means, counts) for _ in range(count)]
    return [top + offset for top, offset in zip(tops, offsets)]


def _summary(node: Node, lang: str) -> str:
    """What a node's box says under its id: its text, or what an action calls or a switch tests."""
    if isinstance(node, ActionNode):
        return node.action
    if isinstance(node, SwitchNode):
        return f"{node.var} ?"
    assert isinstance(node, (MenuNode, InputNode, MessageNode, EndNode))
    return pick(node.text, lang)


def _details(node: Node, lang: str) -> list[str]:
    """The node in full, for its <title> (a tooltip, and what a screen reader says)."""
    lines = [_summary(node, lang)]
    if isinstance(node, MenuNode):
        lines.extend(f"{number}. {pick(option.label, lang)} → {option.goto}" for number, option in enumerate(node.options, 1))
    elif isinstance(node, InputNode):
        lines.append(f"→ {{{node.var}}}")
    elif isinstance(node, ActionNode):
        lines.extend(f"{name} = {value}" for name, value in node.args.items())
    return lines


def _tint(heat: float) -> str:
    """White mixed with the heat colour in proportion to `heat`."""
    share = heat * _HEAT_MOST
    return "#" + "".join(f"{round(255 + (part - 255) * share):02x}" for part in _HEAT_RGB)


def _shape(kind: str, x: float, y: float, w: float, h: float, paint: str) -> str:
    """The outline that tells a kind at a glance, flowchart-style: process, input, document, predefined
    process, preparation (hexagon) and terminator (stadium); the box's label says it in words too."""
    return f"<{_outline(kind, x, y, w, h)}{paint}/>"


def _outline(kind: str, x: float, y: float, w: float, h: float) -> str:
    """`_shape`'s element name and geometry."""
    right, bottom = x + w, y + h
    if kind == "input":
        return f'polygon points="{_points((x + 10, y), (right, y), (right - 10, bottom), (x, bottom))}"'
    if kind == "switch":
        middle = y + h / 2
        return f'polygon points="{_points((x + 12, y), (right - 12, y), (right, middle), (right - 12, bottom), (x + 12, bottom), (x, middle))}"'
    if kind == "message":
        wave = bottom - 4  # a shallow wave, below the last line of text
        return (f'path d="M{_n(x)} {_n(y)}H{_n(right)}V{_n(wave)}Q{_n(x + w * 0.75)} {_n(wave - 7)} {_n(x + w / 2)} {_n(wave)}'
                f'T{_n(x)} {_n(wave)}Z"')
    if kind == "action":
        return f'path d="M{_n(x)} {_n(y)}H{_n(right)}V{_n(bottom)}H{_n(x)}ZM{_n(x + 7)} {_n(y)}V{_n(bottom)}M{_n(right - 7)} {_n(y)}V{_n(bottom)}"'
    radius = h / 2 if kind == "end" else 4
    return f'rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="{_n(radius)}"'


def _points(*points: tuple[float, float]) -> str:
    return " ".join(f"{_n(px)},{_n(py)}" for px, py in points)


def _n(value: float) -> str:
    """A coordinate with at most one decimal: short, and the same bytes every time."""
    text = f"{value:.1f}"
    return "0" if text == "-0.0" else text.removesuffix(".0")


def _text(value: str) -> str:
    """Element content, escaped; code points XML cannot carry become U+FFFD."""
    return escape(_NOT_XML.sub("\ufffd", value), quote=False)


def _attr(value: str) -> str:
    """A quoted attribute value, escaped like `_text` and its quotes too."""
    return '"' + escape(_NOT_XML.sub("\ufffd", value), quote=True) + '"'


def _shorten(text: str, most: int) -> str:
    """The first words of `text` on one line within `most` characters, with an ellipsis when cut; a
    word too long for the box is cut between grapheme clusters, never inside one."""
    line = " ".join(text.split())
    if len(line) <= most:
        return line
    kept = ""
    for word in line.split(" "):
        longer = f"{kept} {word}" if kept else word
        if len(longer) > most - 1:
            break
        kept = longer
    return (kept or line[: fitting_prefix(line, lambda prefix: len(prefix) <= most - 1)]) + "…"


class _Canvas:
    """Writes laid-out flows as SVG, mirrored for right-to-left: in Persian the start is on the right."""

    def __init__(self, lang: str, words: Mapping[str, str], width: float, link: Callable[[str], str], heat: Mapping[str, float],
                 seen: frozenset[str], prefix: str) -> None:
        self.lang, self.words, self.width, self.link, self.heat, self.seen, self.prefix = lang, words, width, link, heat, seen, prefix
        self.rtl = lang == "fa"
        self.direction = ' direction="rtl" unicode-bidi="embed"' if self.rtl else ' direction="ltr"'
        self.latin = f' direction="ltr" text-anchor="{"end" if self.rtl else "start"}"'  # ids and refs read left to right
        self.top = 0.0  # where the flow being drawn starts

    def x(self, logical: float) -> float:
        """A layout x (growing in reading direction) on the page."""
        return self.width - MARGIN - logical if self.rtl else MARGIN + logical

    def y(self, layout_y: float) -> float:
        return self.top + FLOW_TITLE_H + layout_y

    def corner(self, item: _Item) -> tuple[float, float]:
        """The page's top-left corner of an item's box."""
        return min(self.x(item.x), self.x(item.x + item.width)), self.y(item.y)

    def markers(self) -> str:
        return "<defs>" + "".join(
            f'<marker id="{self.prefix}-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
            f'<path d="M0 0L10 5L0 10z" fill="{colour}"/></marker>'
            for name, colour in (("arrow", "#444"), ("arrow-light", "#aaa"))
        ) + "</defs>"

    def flow(self, flow: Flow, layout: _Layout, top: float) -> str:
        self.top = top
        ports = _ports(layout)
        return "".join([
            f'<g class="flow" id={_attr(f"{self.prefix}-{flow.id}")}>',
            f'<text class="flow-title" x="{_n(self.x(0))}" y="{_n(top + 18)}" font-size="15" font-weight="bold"{self.latin}>'
            f"{_text(f'{flow.id} ({PurePath(flow.file).name})')}</text>",
            *(self.edge(edge, layout, ports[index]) for index, edge in enumerate(layout.edges)),
            *(self.node(item, item.node) if item.node is not None else self.stub(item) for item in layout.items.values()),
            "</g>",
        ])

    def node(self, item: _Item, node: Node) -> str:
        kind = _KINDS[type(node)]
        classes, flags = ["node", f"node-{kind}"], [self.words[kind]]
        if item.start:
            classes.append("node-start")
            flags.append(self.words["start"])
        unreachable = item.key not in self.seen
        if unreachable:
            classes.append("node-unreachable")
            flags.append(self.words["unreachable"])
        heat = self.heat.get(item.key)
        if heat is not None:
            classes.append("node-heat-on")
        left, top = self.corner(item)
        lead, trail = _n(self.x(item.x + PAD)), _n(self.x(item.x + item.width - PAD))
        paint = f' fill="{_tint(heat) if heat is not None else "#ffffff"}" stroke="#333" stroke-width="{2.5 if item.start else 1.2}"'
        if unreachable:
            paint += ' stroke-dasharray="5 3"'
        parts = [
            f'<a href={_attr(self.link(item.key))} class="{" ".join(classes)}" data-ref={_attr(item.key)}>',
            f"<title>{_text(chr(10).join([f'{item.key} · ' + ' · '.join(flags), *_details(node, self.lang)]))}</title>",
            f'<rect class="node-box" x="{_n(left)}" y="{_n(top)}" width="{_n(item.width)}" height="{_n(item.height)}" '
            f'fill="none" pointer-events="all"/>',
            _shape(kind, left, top, item.width, item.height, f' class="node-shape"{paint}'),
            f'<text class="node-kind" x="{lead}" y="{_n(top + 15)}" font-size="10" text-anchor="start"{self.direction}>'
            f"{_text(' · '.join(flags))}</text>",
            f'<text class="node-id" x="{lead}" y="{_n(top + 31)}" font-size="12" font-weight="bold"{self.latin}>'
            f"{_text(_shorten(node.id, ID_CHARS))}</text>",
            f'<text class="node-text" x="{lead}" y="{_n(top + 47)}" font-size="11" text-anchor="start"{self.direction}>'
            f"{_text(_shorten(_summary(node, self.lang), TEXT_CHARS))}</text>",
        ]
        if heat is not None:
            percent = to_persian_digits(f"{round(heat * 100)}٪") if self.rtl else f"{round(heat * 100)}%"
            parts.append(f'<text class="node-heat" x="{trail}" y="{_n(top + 15)}" font-size="11" font-weight="bold" text-anchor="end"'
                         f"{self.direction}>{_text(percent)}</text>")
        return "".join([*parts, "</a>"])

    def stub(self, item: _Item) -> str:
        left, top = self.corner(item)
        shown = _shorten(item.target, STUB_CHARS)
        if item.missing:
            shown = f"? {shown}"
        text = f"{shown} ←" if self.rtl else f"→ {shown}"
        classes = "stub" + (" stub-home" if item.home else "") + (" stub-missing" if item.missing else "")
        hover = f"{item.target}: {self.words['missing']}" if item.missing else item.target
        dashes = ' stroke-dasharray="3 3"' if item.missing else ""
        inner = (f"<title>{_text(hover)}</title>"
                 f'<rect class="stub-box" x="{_n(left)}" y="{_n(top)}" width="{_n(item.width)}" height="{_n(item.height)}" rx="4" '
                 f'fill="#f4f4f4" stroke="#777" stroke-width="1"{dashes}/>'
                 f'<text class="stub-text" x="{_n(self.x(item.x + 8))}" y="{_n(top + 17)}" font-size="11"{self.latin}>{_text(text)}</text>')
        if item.missing:  # nothing to link to
            return f'<g class="{classes}" data-ref={_attr(item.target)}>{inner}</g>'
        return f'<a href={_attr(self.link(item.target))} class="{classes}" data-ref={_attr(item.target)}>{inner}</a>'

    def edge(self, edge: _Edge, layout: _Layout, ports: tuple[float, float]) -> str:
        source, target = layout.items[edge.source], layout.items[edge.target]
        curve = _curve(source, target, ports)
        points = [(self.x(px), self.y(py)) for px, py in curve]
        classes = "edge" + (" edge-light" if edge.light else "") + (" edge-stub" if target.node is None else "")
        colour, marker = ("#aaa", "arrow-light") if edge.light else ("#444", "arrow")
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
        parts = [f'<g class="{classes}" data-from={_attr(source.key)} data-to={_attr(target.target or target.key)}>',
                 f'<path d="M{_n(x0)} {_n(y0)}C{_points(*points[1:])}" fill="none" stroke="{colour}" stroke-width="1.2" '
                 f'marker-end="url(#{self.prefix}-{marker})"/>']
        if edge.label:
            label = to_persian_digits(edge.label) if self.rtl else edge.label
            mx, my = (x0 + 3 * x1 + 3 * x2 + x3) / 8, (y0 + 3 * y1 + 3 * y2 + y3) / 8  # the curve at t = 1/2
            parts.append(f'<text class="edge-label" x="{_n(mx)}" y="{_n(my + 3.5)}" font-size="10" text-anchor="middle" fill="#222" '
                         f'stroke="#fff" stroke-width="3" paint-order="stroke">{_text(label)}</text>')
        return "".join([*parts, "</g>"])


def _ports(layout: _Layout) -> list[tuple[float, float]]:
    """(y where an edge leaves its source, y where it enters its target) for each edge. Forward edges
    share a side of a box in the order of the boxes at their other end, so fanned-out links do not
    cross at the box and two links between the same pair stay apart; other edges use the side's middle."""
    ports = [(layout.items[edge.source].middle, layout.items[edge.target].middle) for edge in layout.edges]
    outgoing: dict[str, list[int]] = {}
    incoming: dict[str, list[int]] = {}
    for index, edge in enumerate(layout.edges):
        if layout.items[edge.target].layer > layout.items[edge.source].layer:
            outgoing.setdefault(edge.source, []).append(index)
            incoming.setdefault(edge.target, []).append(index)
    for side, groups in ((0, outgoing), (1, incoming)):
        for key, indices in groups.items():
            item = layout.items[key]
            far = [layout.items[layout.edges[i].target if side == 0 else layout.edges[i].source].middle for i in indices]
            for slot, (_, index) in enumerate(sorted(zip(far, indices))):
                spot = item.y + item.height * (slot + 1) / (len(indices) + 1)
                ports[index] = (spot, ports[index][1]) if side == 0 else (ports[index][0], spot)
    return ports


def _curve(source: _Item, target: _Item, ports: tuple[float, float]) -> list[tuple[float, float]]:
    """A cubic Bézier in layout coordinates: forward from the source's far side to the target's near
    side; back to an earlier column from near side to far side; within a column (or to itself),
    bowing out before the column."""
    bend = COLUMN_GAP / 2
    sy, ty = ports
    if target.layer > source.layer:
        sx, tx = source.x + source.width, target.x
        return [(sx, sy), (sx + bend, sy), (tx - bend, ty), (tx, ty)]
    if target.layer < source.layer:
        sx, tx = source.x, target.x + target.width
        return [(sx, sy), (sx - bend, sy), (tx + bend, ty), (tx, ty)]
    if source is target:
        sy, ty = source.y + source.height * 0.3, source.y + source.height * 0.7
    return [(source.x, sy), (source.x - bend * 0.8, sy), (target.x - bend * 0.8, ty), (target.x, ty)]
