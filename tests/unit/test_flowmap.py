"""The flow map: every node of the shipped flows drawn once with its link, every menu option a labelled
link, no box on another, texts escaped and Persian right to left, heat shown as a tint and a number,
links into other flows as stubs, unreachable nodes marked, and the same bytes for the same flows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from itertools import combinations

import pytest
from content_sides import MAIN, shipped_settings, shipped_side

from flows.errors import FlowError
from flows.loader import parse_flow_text
from flows.model import Flow, FlowSet, MenuNode, Node, Option, qualify
from gateway.console.flowmap import render_flowmap

SVG = "{http://www.w3.org/2000/svg}"

HELP = """
flow: help  # with what only a draft can have: a link to no node, and a node no link leads to
start: menu
nodes:
  menu: {type: menu, text: {fa: "راهنما", en: "Help"}, options: [
    {label: {fa: "بازگشت", en: "Back home"}, goto: "main:home"},
    {label: {fa: "جایی", en: "Somewhere"}, goto: nowhere}]}
  orphan: {type: message, text: {fa: "کسی اینجا نمی‌آید", en: "Nobody comes here"}}
"""


def link(ref: str) -> str:
    return f"/console/flows/node?ref={ref}&lang=en"


def flowset(*texts: str) -> FlowSet:
    errors: list[FlowError] = []
    flows = [parse_flow_text(text, f"{n}.yaml", errors) for n, text in enumerate(texts)]
    assert not errors
    return FlowSet({flow.id: flow for flow in flows if flow is not None}, entry="main:home", home="main:home")


def draw(flows: FlowSet, lang: str = "en", heat: dict[str, float] | None = None) -> ET.Element:
    return ET.fromstring(render_flowmap(flows, lang, link, heat=heat))


def find(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if cls in e.get("class", "").split()]


def child(element: ET.Element, tag: str, cls: str) -> ET.Element:
    [found] = find(element, tag, cls)
    return found


def box(rect: ET.Element) -> tuple[float, float, float, float]:
    x, y = float(rect.get("x", "")), float(rect.get("y", ""))
    return x, y, x + float(rect.get("width", "")), y + float(rect.get("height", ""))


def assert_apart(boxes: list[tuple[float, float, float, float]]) -> None:
    for (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) in combinations(boxes, 2):
        assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, f"{(ax0, ay0, ax1, ay1)} overlaps {(bx0, by0, bx1, by1)}"


@pytest.fixture(scope="module")
def shipped() -> FlowSet:
    return shipped_side(shipped_settings()).flows


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_every_node_of_the_shipped_flows_is_drawn_once_linking_to_its_page(shipped: FlowSet, lang: str) -> None:
    root = draw(shipped, lang)
    nodes = find(root, "a", "node")
    refs = {f"{flow.id}:{node_id}" for flow in shipped.flows.values() for node_id in flow.nodes}
    assert Counter(a.get("data-ref") for a in nodes) == Counter(refs)
    assert all(a.get("href") == link(a.get("data-ref", "")) for a in nodes)
    assert len(refs) > 150  # the catalogue's generated flow is in it


def test_every_menu_option_is_a_link_labelled_with_its_number(shipped: FlowSet) -> None:
    for lang, digits in (("en", "123456789"), ("fa", "۱۲۳۴۵۶۷۸۹")):
        root = draw(shipped, lang)
        edges = {(g.get("data-from"), g.get("data-to"), "".join(t.text or "" for t in g.iter(SVG + "text"))) for g in find(root, "g", "edge")}
        options = [(node, number, option) for flow in shipped.flows.values() for node in flow.nodes.values() if isinstance(node, MenuNode)
                   for number, option in enumerate(node.options, 1)]
        assert len(options) > 100
        for node, number, option in options:
            assert (f"{node.flow}:{node.id}", qualify(node.flow, option.goto), digits[number - 1]) in edges


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_no_box_overlaps_another_and_all_lie_inside_the_drawing(shipped: FlowSet, lang: str) -> None:
    root = draw(shipped, lang)
    boxes = [box(rect) for rect in find(root, "rect", "node-box") + find(root, "rect", "stub-box")]
    assert len(boxes) > 150
    assert_apart(boxes)
    _, _, width, height = map(float, root.get("viewBox", "").split())
    assert (root.get("width"), root.get("height")) == (root.get("viewBox", "").split()[2], root.get("viewBox", "").split()[3])
    assert all(0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height for x0, y0, x1, y1 in boxes)


def test_operator_text_is_escaped_and_shown_as_written() -> None:
    hostile = MAIN.replace('"Government services"', "\"<script>alert('x')</script> & \\\"quoted\\\" \\u0001\"")
    svg = render_flowmap(flowset(hostile, HELP), "en", link)
    assert "<script" not in svg
    root = ET.fromstring(svg)  # it parses: nothing broke out of its element or attribute
    home = next(a for a in find(root, "a", "node") if a.get("data-ref") == "main:home")
    assert home.get("href") == "/console/flows/node?ref=main:home&lang=en"
    assert child(home, "text", "node-text").text == "<script>alert('x')</script>…"
    title = home.find(SVG + "title")
    assert title is not None and "<script>alert('x')</script> & \"quoted\" \ufffd" in (title.text or "")


def test_nothing_is_styled_but_by_attributes_and_classes(shipped: FlowSet) -> None:
    root = draw(shipped, "fa", heat={"main:home": 0.5})
    assert not [e for e in root.iter() if e.tag in (SVG + "style", SVG + "script") or "style" in e.attrib]


def test_the_drawing_is_an_image_named_for_its_flows(shipped: FlowSet) -> None:
    root = draw(shipped, "en")
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Flow map: main, help, polls, services"
    assert root[0].tag == SVG + "title" and root[0].text == "Flow map: main, help, polls, services"


def test_persian_reads_right_to_left_with_the_start_on_the_right() -> None:
    flows = flowset(MAIN, HELP)
    persian, english = draw(flows, "fa"), draw(flows, "en")

    def x_of(root: ET.Element, ref: str) -> float:
        node = next(a for a in find(root, "a", "node") if a.get("data-ref") == ref)
        return float(child(node, "rect", "node-box").get("x", ""))

    assert x_of(persian, "main:home") > x_of(persian, "main:track") > x_of(persian, "main:lookup")
    assert x_of(english, "main:home") < x_of(english, "main:track") < x_of(english, "main:lookup")
    home = next(a for a in find(persian, "a", "node") if a.get("data-ref") == "main:home")
    text = child(home, "text", "node-text")
    assert (text.text, text.get("direction"), text.get("unicode-bidi"), text.get("text-anchor")) == ("پیشخوان دولت", "rtl", "embed", "start")
    assert child(home, "text", "node-kind").text == "منو · آغاز"
    node_id = child(home, "text", "node-id")  # a Latin id reads left to right, ending at the box's right edge
    assert (node_id.get("direction"), node_id.get("text-anchor")) == ("ltr", "end")
    assert persian.get("direction") == "rtl" and english.get("direction") == "ltr"
    english_text = child(next(a for a in find(english, "a", "node") if a.get("data-ref") == "main:home"), "text", "node-text")
    assert (english_text.text, english_text.get("direction")) == ("Government services", "ltr")


def test_heat_tints_a_node_and_prints_its_percentage() -> None:
    flows = flowset(MAIN, HELP)
    for lang, shown in (("en", "42%"), ("fa", "۴۲٪")):
        root = draw(flows, lang, heat={"main:track": 0.42, "main:status": 0.0})
        nodes = {a.get("data-ref"): a for a in find(root, "a", "node")}
        assert child(nodes["main:track"], "text", "node-heat").text == shown
        assert child(nodes["main:status"], "text", "node-heat").text == shown.replace("42", "0").replace("۴۲", "۰")
        assert "node-heat-on" in (nodes["main:track"].get("class") or "")
        assert child(nodes["main:track"], "polygon", "node-shape").get("fill") not in ("#ffffff", None)
        assert child(nodes["main:status"], "path", "node-shape").get("fill") == "#ffffff"  # 0 is white
        assert not find(nodes["main:home"], "text", "node-heat")  # not measured: no number, no tint
    assert not find(draw(flows, "en"), "text", "node-heat")


@pytest.mark.parametrize(("heat", "error"), [
    ({"main:gone": 0.5}, "'main:gone' is not the `flow:node` of a node"),
    ({"main": 0.5}, "'main' is not the `flow:node`"),
    ({"main:track": 1.5}, "heat['main:track'] must be a number from 0 to 1, not 1.5"),
    ({"main:track": float("nan")}, "heat['main:track'] must be a number from 0 to 1, not nan"),
])
def test_bad_heat_is_refused_naming_the_node(heat: dict[str, float], error: str) -> None:
    with pytest.raises(ValueError, match=error.replace("[", r"\[").replace("]", r"\]")):
        render_flowmap(flowset(MAIN, HELP), "en", link, heat=heat)


def test_a_language_the_console_does_not_speak_is_refused() -> None:
    with pytest.raises(ValueError, match="lang must be one of fa, en, not 'de'"):
        render_flowmap(flowset(MAIN, HELP), "de", link)


def test_a_link_into_another_flow_ends_at_a_stub_naming_it() -> None:
    main = MAIN.replace("goto: help\n", "goto: help:menu\n")  # option 2 now leads into the help flow
    root = draw(flowset(main, HELP), "en")
    stubs = {stub.get("data-ref"): stub for stub in find(root, "a", "stub") + find(root, "g", "stub")}
    assert set(stubs) == {"help:menu", "services:categories", "main:home", "help:nowhere"}
    assert stubs["help:menu"].get("href") == link("help:menu")
    assert child(stubs["help:menu"], "text", "stub-text").text == "→ help:menu"
    edges = {(g.get("data-from"), g.get("data-to")): g.get("class", "").split() for g in find(root, "g", "edge")}
    assert "edge-stub" in edges[("main:home", "help:menu")] and "edge-light" not in edges[("main:home", "help:menu")]
    assert "stub-home" in (stubs["main:home"].get("class") or "")  # back home: a light link
    assert "edge-light" in edges[("help:menu", "main:home")]
    for ref in ("help:nowhere", "services:categories"):  # a draft's broken links: drawn, but nothing to follow
        assert stubs[ref].tag == SVG + "g" and "stub-missing" in (stubs[ref].get("class") or "")
        assert child(stubs[ref], "text", "stub-text").text == f"→ ? {ref}"
    assert len(find(root, "a", "node")) == 7  # each node drawn once: a stub is no copy of the node


def test_a_link_back_to_an_earlier_node_is_drawn_light(shipped: FlowSet) -> None:
    edges = {(g.get("data-from"), g.get("data-to")): g.get("class", "").split() for g in find(draw(shipped, "en"), "g", "edge")}
    assert "edge-light" in edges[("main:home", "main:language")]
    assert "edge-light" not in edges[("main:language", "main:home")]


def test_a_node_nothing_leads_to_is_drawn_and_marked_unreachable() -> None:
    for lang, word in (("en", "unreachable"), ("fa", "دست‌نیافتنی")):
        nodes = {a.get("data-ref"): a for a in find(draw(flowset(MAIN, HELP), lang), "a", "node")}
        orphan = nodes["help:orphan"]
        assert "node-unreachable" in (orphan.get("class") or "")
        assert word in (child(orphan, "text", "node-kind").text or "").split(" · ")
        assert child(orphan, "path", "node-shape").get("stroke-dasharray")
        reached = [a for ref, a in nodes.items() if ref != "help:orphan"]
        assert not [a for a in reached if "node-unreachable" in (a.get("class") or "")]


def test_each_kind_has_its_own_outline_and_its_name(shipped: FlowSet) -> None:
    words = {"node-menu": "menu", "node-input": "question", "node-message": "message", "node-action": "action",
             "node-switch": "switch", "node-end": "end"}
    outlines: dict[str, set[tuple[object, ...]]] = {}
    for a in find(draw(shipped, "en"), "a", "node"):
        kind = (a.get("class") or "").split()[1]
        shape = next(e for e in a if "node-shape" in (e.get("class") or ""))
        d = shape.get("d", "")
        outlines.setdefault(kind, set()).add((shape.tag, shape.get("rx"), len(shape.get("points", "").split()), d.count("M"), "Q" in d))
        assert (child(a, "text", "node-kind").text or "").split(" · ")[0] == words[kind]
    assert set(outlines) == set(words)
    assert all(len(shapes) == 1 for shapes in outlines.values())  # one outline a kind...
    assert len(set.union(*outlines.values())) == len(words)  # ...and no two kinds alike


def test_a_long_text_is_cut_at_a_word_with_an_ellipsis_and_given_whole_in_the_title() -> None:
    long = MAIN.replace('"Help: send your code."', '"Thank you for using the government services gateway today"')
    help = next(a for a in find(draw(flowset(long, HELP), "en"), "a", "node") if a.get("data-ref") == "main:help")
    assert child(help, "text", "node-text").text == "Thank you for using the…"
    title = help.find(SVG + "title")
    assert title is not None and "Thank you for using the government services gateway today" in (title.text or "")


def test_the_same_flows_give_the_same_bytes(shipped: FlowSet) -> None:
    heat = {"main:home": 0.25, "services:categories": 0.75}
    first = render_flowmap(shipped, "fa", link, heat=heat)
    assert render_flowmap(shipped_side(shipped_settings()).flows, "fa", link, heat=dict(heat)) == first


def test_three_hundred_nodes_are_drawn_without_overlap() -> None:
    nodes: dict[str, Node] = {}
    for n in range(300):  # a binary tree of menus, each also linking back a third of the way
        targets = [m for m in (2 * n + 1, 2 * n + 2, n // 3) if m < 300 and m != n] or [0]
        options = tuple(Option(label={"fa": str(m), "en": str(m)}, goto=f"n{m}") for m in targets)
        nodes[f"n{n}"] = MenuNode(id=f"n{n}", flow="main", file="big.yaml", text={"fa": f"گره {n}", "en": f"Node {n}"}, options=options)
    flow = Flow(id="main", file="big.yaml", start="n0", nodes=nodes)
    root = draw(FlowSet({"main": flow}, entry="main:n0", home="main:n0"), "fa")
    boxes = [box(rect) for rect in find(root, "rect", "node-box")]
    assert len(boxes) == 300
    assert_apart(boxes)
