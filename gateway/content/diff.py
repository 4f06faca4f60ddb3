"""What changes between two contents, node by node and as the pages each channel would show.

A side is a checked FlowSet (hand-written flows plus the catalogue's generated one) and its Catalogue.
Nodes are compared field by field on the parsed, frozen model, so a change in the catalogue shows up
twice, where it was made (`fee: 0 → 160000`) and where citizens see it (the card's pages). Pure: no
storage, no clock; the same two sides always give the same diff, in the same order.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from flows.model import Flow, FlowSet, Node
from flows.texts import pick
from gateway.catalogue import Catalogue, Service
from gateway.content.preview import CHANNELS, ChannelPreview, Previewer, describe
from gateway.settings import Settings


@dataclass(frozen=True)
class Side:
    """One content: checked flows and the catalogue they were built with."""

    flows: FlowSet
    catalogue: Catalogue


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: `text[fa]`, `options[2].goto`, `fee`…; None where a side has no such field."""

    field: str
    old: Any
    new: Any

    def line(self) -> str:
        """`fee: 0 → 160000`; of two texts of several lines, only the lines that differ (a card's
        `Fee:` line, not the whole card)."""
        old, new = self.old, self.new
        if isinstance(old, str) and isinstance(new, str) and "\n" in old + new:
            before, after = old.split("\n"), new.split("\n")
            changed = [op for op in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes() if op[0] != "equal"]
            old = "\n".join(line for _, i1, i2, _, _ in changed for line in before[i1:i2])
            new = "\n".join(line for _, _, _, j1, j2 in changed for line in after[j1:j2])
            where = _numbers(changed)
            return f"{self.field}, line{'s' if '-' in where or ',' in where else ''} {where}: {_shown(old)} → {_shown(new)}"
        return f"{self.field}: {_shown(old)} → {_shown(new)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ScreenDiff:
    """A node on one channel in one language, before and after (None: the node is not there)."""

    channel: str
    lang: str
    before: ChannelPreview | None
    after: ChannelPreview | None

    def lines(self) -> list[str]:
        """The rendering as a diff: `  ` unchanged, `- ` before only, `+ ` after only."""
        old = self.before.lines() if self.before else []
        new = self.after.lines() if self.after else []
        out: list[str] = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
            if op == "equal":
                out.extend(f"  {line}" for line in old[i1:i2])
                continue
            out.extend(f"- {line}" for line in old[i1:i2])
            out.extend(f"+ {line}" for line in new[j1:j2])
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"channel": self.channel, "lang": self.lang, "before": self.before.to_dict() if self.before else None,
                "after": self.after.to_dict() if self.after else None, "lines": self.lines()}


@dataclass(frozen=True)
class NodeChange:
    """A node added, removed or changed; for added and changed ones, every screen that differs."""

    ref: str
    change: str
    """`added`, `removed` or `changed`."""
    fields: tuple[FieldChange, ...] = ()
    screens: tuple[ScreenDiff, ...] = ()
    behaviour: tuple[str, str] = ("", "")
    """What the node does when it shows nothing (an action, a switch), before and after."""

    @property
    def flow(self) -> str:
        """The flow the node belongs to."""
        return self.ref.partition(":")[0]

    def lines(self) -> list[str]:
        """The change under a `~ flow:node` (changed), `+` (added) or `-` (removed) heading."""
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.change]
        out = [f"  {mark} {self.ref} ({self.change})"]
        out.extend(f"      {change.line()}" for change in self.fields)
        before, after = self.behaviour
        if before != after and not self.screens:  # a node that shows nothing on either side
            out.extend(f"      {sign} (shows nothing) {text}" for sign, text in (("-", before), ("+", after)) if text)
        for screen in self.screens:
            out.append(f"      {screen.channel} · {screen.lang}")
            out.extend(f"        {line}" for line in screen.lines())
        if self.change == "changed" and not self.screens and not any(self.behaviour):
            out.append("      (pages unchanged)")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"ref": self.ref, "flow": self.flow, "change": self.change, "fields": [f.to_dict() for f in self.fields],
                "screens": [s.to_dict() for s in self.screens],
                "behaviour": {"before": self.behaviour[0], "after": self.behaviour[1]}}


@dataclass(frozen=True)
class ItemChange:
    """A flow, service or category that was added, removed or changed (`retired`: a service made inactive)."""

    id: str
    name: str
    change: str
    fields: tuple[FieldChange, ...] = ()

    def lines(self, kind: str) -> list[str]:
        """`~ service 121095000 (National smart ID card) changed` and its fields."""
        mark = {"added": "+", "removed": "-"}.get(self.change, "~")
        name = f" ({self.name})" if self.name else ""
        return [f"  {mark} {kind} {self.id}{name} {self.change}", *(f"      {change.line()}" for change in self.fields)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"id": self.id, "name": self.name, "change": self.change, "fields": [f.to_dict() for f in self.fields]}


@dataclass(frozen=True)
class ContentDiff:
    """Everything that differs between two contents, in a stable order (flows, then nodes in file order)."""

    flows: tuple[ItemChange, ...] = ()
    nodes: tuple[NodeChange, ...] = ()
    services: tuple[ItemChange, ...] = ()
    categories: tuple[ItemChange, ...] = ()
    @property
    def removed_nodes(self) -> frozenset[str]:
        """`flow:node` refs the old content has and the new one does not (renames aside:
        gateway.content.live.removed_nodes says which conversations a switch moves)."""
        return frozenset(c.ref for c in self.nodes if c.change == "removed")

    @property
    def empty(self) -> bool:
        """Nothing changes."""
        return not (self.flows or self.nodes or self.services or self.categories)

    def summary(self) -> str:
        """One line: `3 nodes changed, 1 removed, 1 service changed`; `no changes` when empty."""
        parts = [
            _counted(self.flows, "flow", "flows", ("added", "removed", "changed")),
            _counted(self.nodes, "node", "nodes", ("changed", "added", "removed")),
            _counted(self.services, "service", "services", ("changed", "added", "retired", "removed")),
            _counted(self.categories, "category", "categories", ("renamed", "added", "removed")),
        ]
        return ", ".join(p for p in parts if p) or "no changes"

    def lines(self) -> list[str]:
        """For the terminal: the summary, then each flow's changes and its nodes', then the catalogue's."""
        out = [self.summary()]
        flow_changes = {change.id: change for change in self.flows}
        for flow_id in _unique([*flow_changes, *(node.flow for node in self.nodes)]):
            flow = flow_changes.get(flow_id)
            out.append(f"flow {flow_id}" + (f" ({flow.change})" if flow else ""))
            out.extend(f"    {change.line()}" for change in (flow.fields if flow else ()))
            out.extend(line for node in self.nodes if node.flow == flow_id for line in node.lines())
        if self.services or self.categories:
            out.append("catalogue")
            out.extend(line for change in self.categories for line in change.lines("category"))
            out.extend(line for change in self.services for line in change.lines("service"))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the API."""
        return {
            "summary": self.summary(), "empty": self.empty,
            "flows": [c.to_dict() for c in self.flows], "nodes": [c.to_dict() for c in self.nodes],
            "removed_nodes": sorted(self.removed_nodes),
            "catalogue": {"services": [c.to_dict() for c in self.services], "categories": [c.to_dict() for c in self.categories]},
        }


def content_diff(old: Side, new: Side, settings: Settings, languages: Sequence[str] | None = None) -> ContentDiff:
    """The diff from `old` to `new`; screens are drawn in each of `languages` (default: the configured
    ones, the default language first) on every channel that can reach the node."""
    langs = tuple(languages or settings.flows.languages)
    screens = _Screens(Previewer(old.flows, settings), Previewer(new.flows, settings), langs)
    return ContentDiff(
        flows=tuple(_flow_changes(old.flows, new.flows)),
        nodes=tuple(_node_changes(old.flows, new.flows, screens)),
        services=tuple(_service_changes(old.catalogue, new.catalogue, langs[0])),
        categories=tuple(_category_changes(old.catalogue, new.catalogue, langs[0])),
    )


# -- flows and nodes ---------------------------------------------------------------------------


class _Screens:
    """Draws a node on both sides, on the channels that reach it, in every language."""

    def __init__(self, old: Previewer, new: Previewer, languages: tuple[str, ...]) -> None:
        self.old, self.new, self.languages = old, new, languages

    def of(self, ref: str, in_old: bool, in_new: bool) -> tuple[ScreenDiff, ...]:
        """The screens of `ref` that differ between the sides (all of them for a node only one side has)."""
        channels = set(self.old.channels_reaching(ref) if in_old else ()) | set(self.new.channels_reaching(ref) if in_new else ())
        found = []
        for lang in self.languages:
            for channel in (c for c in CHANNELS if c in channels):
                before = self.old.node(ref, lang, channel) if in_old else None
                after = self.new.node(ref, lang, channel) if in_new else None
                if before != after and ((before and before.pages) or (after and after.pages)):
                    found.append(ScreenDiff(channel, lang, before, after))
        return tuple(found)


def _node_changes(old: FlowSet, new: FlowSet, screens: _Screens) -> Iterator[NodeChange]:
    for flow_id in _unique([*new.flows, *old.flows]):
        old_nodes = old.flows[flow_id].nodes if flow_id in old.flows else {}
        new_nodes = new.flows[flow_id].nodes if flow_id in new.flows else {}
        for node_id in _unique([*new_nodes, *old_nodes]):
            ref = f"{flow_id}:{node_id}"
            before, after = old_nodes.get(node_id), new_nodes.get(node_id)
            if after is None:
                yield NodeChange(ref, "removed")
                continue
            if before is None:
                yield NodeChange(ref, "added", screens=screens.of(ref, False, True), behaviour=("", describe(after)))
                continue
            changed = _field_changes(node_fields(before), node_fields(after))
            if changed:
                yield NodeChange(ref, "changed", changed, screens.of(ref, True, True), (describe(before), describe(after)))


def _flow_changes(old: FlowSet, new: FlowSet) -> Iterator[ItemChange]:
    for flow_id in _unique([*new.flows, *old.flows]):
        before, after = old.flows.get(flow_id), new.flows.get(flow_id)
        if before is None or after is None:
            yield ItemChange(flow_id, "", "added" if before is None else "removed")
            continue
        changed = _field_changes(_flow_fields(before), _flow_fields(after))
        if changed:
            yield ItemChange(flow_id, "", "changed", changed)


def node_fields(node: Node) -> dict[str, Any]:
    """A node as flat `field → value` pairs to compare (`type`, `text[fa]`, `options[1].goto`…); where
    it came from (flow, file) is not part of it, and a validator is compared by what the operator wrote."""
    flat: dict[str, Any] = {"type": type(node).__name__.removesuffix("Node").lower()}
    for item in fields(node):
        if item.name not in ("id", "flow", "file", "validator"):
            _flatten("validator" if item.name == "validator_spec" else item.name, getattr(node, item.name), flat)
    return flat


def _flow_fields(flow: Flow) -> dict[str, Any]:
    """A flow's own settings (its start, …), its nodes aside."""
    flat: dict[str, Any] = {}
    for item in fields(flow):
        if item.name not in ("id", "file", "nodes"):
            _flatten(item.name, getattr(flow, item.name), flat)
    return flat


# -- catalogue -------------------------------------------------------------------------------------


def _service_changes(old: Catalogue, new: Catalogue, lang: str) -> Iterator[ItemChange]:
    def kind(before: Service, after: Service) -> str:
        return "retired" if before.active and not after.active else "changed"

    yield from _item_changes(old.services, new.services, lambda s: pick(s.title, lang), lambda s: s.to_dict(), kind)


def _category_changes(old: Catalogue, new: Catalogue, lang: str) -> Iterator[ItemChange]:
    yield from _item_changes(old.categories, new.categories, lambda c: pick(c.title, lang),
                             lambda c: {"title": dict(c.title)}, lambda before, after: "renamed")


def _item_changes(
    old: Iterable[Any],
    new: Iterable[Any],
    name: Callable[[Any], str],
    data: Callable[[Any], Mapping[str, Any]],
    kind: Callable[[Any, Any], str],
) -> Iterator[ItemChange]:
    """Services or categories matched by id, in the new order, then those removed, in the old."""
    before_by_id: dict[str, Any] = {item.id: item for item in old}
    after_by_id: dict[str, Any] = {item.id: item for item in new}
    for ident in _unique([*after_by_id, *before_by_id]):
        before, after = before_by_id.get(ident), after_by_id.get(ident)
        if before is None or after is None:
            yield ItemChange(ident, name(after or before), "added" if before is None else "removed")
            continue
        flat_before: dict[str, Any] = {}
        flat_after: dict[str, Any] = {}
        for key, value in data(before).items():
            _flatten(key, value, flat_before)
        for key, value in data(after).items():
            _flatten(key, value, flat_after)
        changed = _field_changes(flat_before, flat_after)
        if changed:
            yield ItemChange(ident, name(after), kind(before, after), changed)


# -- helpers ---------------------------------------------------------------------------------------


def _flatten(name: str, value: Any, out: dict[str, Any]) -> None:
    """`value` under `name` as leaves: mappings by key (`text[fa]`), lists of records by number from 1
    (`options[2].goto`), dataclasses by field; anything else (a number, a list of words) whole."""
    if is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            _flatten(f"{name}.{item.name}", getattr(value, item.name), out)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{name}[{key}]", item, out)
    elif isinstance(value, (list, tuple)) and any(isinstance(v, Mapping) or is_dataclass(v) for v in value):
        for number, item in enumerate(value, 1):
            _flatten(f"{name}[{number}]", item, out)
    else:
        out[name] = list(value) if isinstance(value, tuple) else value


def _field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """The fields whose values differ, in the new side's order, then those only the old side has."""
    return tuple(FieldChange(key, before.get(key), after.get(key))
                 for key in _unique([*after, *before]) if before.get(key) != after.get(key))


def _shown(value: Any) -> str:
    """A value on one line: texts quoted (a line break as \\n), `(none)` for a field not there."""
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


def _numbers(changed: Sequence[tuple[str, int, int, int, int]]) -> str:
    """The new side's line numbers (from 1) that a text diff touches: `3`, `3-4, 9`."""
    spans = [(j1 + 1, max(j1 + 1, j2)) for _, _, _, j1, j2 in changed]
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _unique(items: Iterable[str]) -> list[str]:
    """Each item once, where it first appears."""
    return list(dict.fromkeys(items))


def _counted(changes: Sequence[Any], one: str, many: str, kinds: Sequence[str]) -> str:
    """`3 nodes changed, 1 removed`: the noun once, with the first count."""
    parts: list[str] = []
    for kind in kinds:
        count = sum(1 for change in changes if change.change == kind)
        if count:
            parts.append(f"{count} {kind}" if parts else f"{count} {one if count == 1 else many} {kind}")
    return ", ".join(parts)
