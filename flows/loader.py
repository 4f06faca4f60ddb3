"""Parse flow definitions (YAML text or already-loaded dicts) into the typed model, collecting every error."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import yaml

from flows.errors import FlowError
from flows.model import (
    ActionNode,
    EndNode,
    Flow,
    InputNode,
    MenuNode,
    MessageNode,
    Node,
    Option,
    SwitchNode,
    qualify,
)
from flows.validators import build_validator

NODE_TYPES = ("menu", "input", "message", "action", "switch", "end")


NODE_KEYS: dict[str, frozenset[str]] = {
    "menu": frozenset({"type", "text", "options"}),
    "input": frozenset({"type", "text", "validator", "var", "next", "retries", "error"}),
    "message": frozenset({"type", "text", "next"}),
    "action": frozenset({"type", "action", "args", "next", "outcomes"}),
    "switch": frozenset({"type", "var", "cases", "default"}),
    "end": frozenset({"type", "text"}),
}
"""The keys each node type takes: any other (`retires:` for `retries:`) is an error, never ignored."""
OPTION_KEYS = frozenset({"label", "goto", "set"})
FLOW_KEYS = frozenset({"flow", "start", "nodes", "renames"})


def unknown_keys(data: Mapping[str, Any], known: frozenset[str]) -> list[tuple[str, str | None]]:
    """Each key of `data` that is not in `known`, with the closest known key when one is close."""
    found = []
    for key in sorted(str(k) for k in data if k not in known):
        close = difflib.get_close_matches(key, sorted(known), n=1)
        found.append((key, close[0] if close else None))
    return found


class _Reader:
    """Reads one node's fields, turning every problem into a FlowError instead of an exception."""

    def __init__(self, file: str, node: str, data: Mapping[str, Any], errors: list[FlowError]) -> None:
        self.file, self.node, self.data, self.errors = file, node, data, errors

    def fail(self, message: str, hint: str | None = None) -> None:
        self.errors.append(FlowError(self.file, self.node, message, hint))

    def only(self, known: frozenset[str], data: Mapping[str, Any] | None = None, where: str = "") -> None:
        """Record every key of `data` (the node's own by default) that `known` does not list."""
        for key, close in unknown_keys(self.data if data is None else data, known):
            hint = f"did you mean `{close}`?" if close else f"known keys: {', '.join(sorted(known))}"
            self.fail(f"{where}unknown key `{key}`", hint)

    def text(self, key: str, required: bool = True) -> dict[str, str] | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(f"`{key}` is missing", f"add `{key}: {{fa: ..., en: ...}}`")
            return None
        if isinstance(value, str):
            self.fail(f"`{key}` must give a text per language", f"write `{key}: {{fa: ..., en: ...}}`")
            return {"fa": value, "en": value}
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            self.fail(f"`{key}` must map languages to texts", f"write `{key}: {{fa: ..., en: ...}}`")
            return None
        return dict(value)

    def target(self, key: str, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(f"`{key}` is missing", f"name the node to go to, e.g. `{key}: home`")
            return None
        if not isinstance(value, str) or not value:
            self.fail(f"`{key}` must be a node id")
            return None
        return value

    def mapping(self, key: str) -> dict[str, str]:
        value = self.data.get(key) or {}
        if not isinstance(value, Mapping):
            self.fail(f"`{key}` must be a mapping")
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.fail(f"`{key}` must be a whole number from {low} to {high}")
            return default
        return value


def _options(reader: _Reader) -> tuple[Option, ...]:
    raw = reader.data.get("options")
    if not isinstance(raw, list) or not raw:
        reader.fail("a menu needs a list of `options`", "add `options:` with at least one `label` and `goto`")
        return ()
    options = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, Mapping):
            reader.fail(f"option {number} must be a mapping with `label` and `goto`")
            continue
        sub = _Reader(reader.file, reader.node, item, reader.errors)
        sub.only(OPTION_KEYS, where=f"option {number}: ")
        label = sub.text("label")
        goto = item.get("goto")
        if not isinstance(goto, str) or not goto:
            reader.fail(f"option {number} has no target", "add `goto: <node id>` to it")
            continue
        options.append(Option(label=label or {}, goto=goto, set=sub.mapping("set")))
    return tuple(options)


def parse_node(flow: str, file: str, node_id: str, data: Any, errors: list[FlowError], *, default_region: str) -> Node | None:
    """One node from its mapping; None (with errors recorded) when it cannot be built."""
    if not isinstance(data, Mapping):
        errors.append(FlowError(file, node_id, "a node must be a mapping", "give it at least `type:`"))
        return None
    reader = _Reader(file, node_id, data, errors)
    kind = data.get("type")
    common = {"id": node_id, "flow": flow, "file": file}
    if isinstance(kind, str) and kind in NODE_KEYS:
        reader.only(NODE_KEYS[kind])
    if kind == "menu":
        return MenuNode(**common, text=reader.text("text") or {}, options=_options(reader))
    if kind == "input":
        spec = data.get("validator", "text")
        try:
            validator = build_validator(spec, default_region=default_region)
        except (ValueError, TypeError) as exc:
            reader.fail(f"validator: {exc}")
            return None
        var = data.get("var")
        if not isinstance(var, str) or not var.isidentifier():
            reader.fail("`var` must name the variable the answer is stored in", "e.g. `var: national_code`")
            return None
        return InputNode(
            **common,
            text=reader.text("text") or {},
            validator=validator,
            validator_spec=spec,
            var=var,
            next=reader.target("next") or "",
            retries=reader.integer("retries", 3, 1, 10),
            error=reader.text("error", required=False),
        )
    if kind == "message":
        return MessageNode(**common, text=reader.text("text") or {}, next=reader.target("next", required=False))
    if kind == "action":
        action = data.get("action")
        if not isinstance(action, str):
            reader.fail("`action` is missing", "name the action, e.g. `action: submit_request`")
            return None
        return ActionNode(**common, action=action, args=reader.mapping("args"), next=reader.target("next") or "", outcomes=reader.mapping("outcomes"))
    if kind == "switch":
        var = data.get("var")
        if not isinstance(var, str):
            reader.fail("`var` is missing", "name the variable to branch on")
            return None
        return SwitchNode(**common, var=var, cases=reader.mapping("cases"), default=reader.target("default") or "")
    if kind == "end":
        return EndNode(**common, text=reader.text("text") or {})
    reader.fail(f"unknown node type {kind!r}", f"use one of: {', '.join(NODE_TYPES)}")
    return None


def parse_flow(data: Any, file: str, errors: list[FlowError], *, default_region: str = "IR") -> Flow | None:
    """A flow from its mapping (`flow`, `start`, `nodes`); None when its shape is wrong."""
    if not isinstance(data, Mapping):
        errors.append(FlowError(file, None, "a flow file must be a mapping", "start with `flow: <id>`"))
        return None
    flow_id = data.get("flow")
    nodes_data = data.get("nodes")
    if not isinstance(flow_id, str) or not flow_id.isidentifier():
        errors.append(FlowError(file, None, "`flow` must be an identifier", "e.g. `flow: main`"))
        return None
    if not isinstance(nodes_data, Mapping) or not nodes_data:
        errors.append(FlowError(file, None, "`nodes` is missing or empty", "add `nodes:` with at least one node"))
        return None
    for key, close in unknown_keys(data, FLOW_KEYS):
        hint = f"did you mean `{close}`?" if close else "a flow has flow, start, nodes and renames"
        errors.append(FlowError(file, None, f"unknown key `{key}`", hint))
    nodes = {}
    for node_id, node_data in nodes_data.items():
        node = parse_node(flow_id, file, str(node_id), node_data, errors, default_region=default_region)
        if node is not None:
            nodes[str(node_id)] = node
    start = data.get("start", next(iter(nodes_data)))
    if start not in nodes_data:
        errors.append(FlowError(file, None, f"start node {start!r} does not exist", "set `start:` to one of the nodes"))
    return Flow(id=flow_id, file=file, start=str(start), nodes=nodes, renames=_renames(flow_id, file, data.get("renames"), errors))


def _renames(flow_id: str, file: str, data: Any, errors: list[FlowError]) -> dict[str, str]:
    """`renames: {old: new}`: both node ids of this flow or `flow:node`; the targets are qualified here."""
    if data is None:
        return {}
    if not isinstance(data, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        errors.append(FlowError(file, None, "`renames` must map old node ids to new ones", "e.g. `renames: {track_old: track}`"))
        return {}
    return {old: qualify(flow_id, new) for old, new in data.items()}


SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (the wheels are): the same data, about 7 times
faster than the pure-Python one (the catalogue: 16 ms instead of 112), and every gateway start, check and
publish reads all of config/."""


def read_yaml(text: str) -> Any:
    """YAML text as data, safely (no tags that build objects); yaml.YAMLError when it is not YAML."""
    return yaml.load(text, Loader=SAFE_LOADER)


def load_yaml(text: str, file: str, errors: list[FlowError]) -> Any:
    """YAML text as data; a syntax error becomes a FlowError with its line (and None)."""
    try:
        return read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        errors.append(FlowError(file, None, f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", "check indentation and quotes"))
        return None


def parse_flow_text(text: str, file: str, errors: list[FlowError], *, default_region: str = "IR") -> Flow | None:
    """Parse YAML text (tests and one-file checks; the gateway parses a content version's data)."""
    before = len(errors)
    data = load_yaml(text, file, errors)
    if len(errors) > before:
        return None
    return parse_flow(data, file, errors, default_region=default_region)
